"""PlanetScale: an OAuth access token describes itself at `GET https://auth.planetscale.com/oauth/token/info`
(active, its space-separated scopes, expiry), so its scopes decide: `delete_database…` deletes databases,
`delete_branch…` and other deletes destroy branches, passwords or deploy requests, `write_`/`create_`/`approve_`
change things, the rest only reads.

A service token authenticates only with its id (`Authorization: <id>:<token>`), which is not kept beside it; a
branch password opens a MySQL session to a host taken from scanned text; a refresh token would be spent by using it.
None of them is sent.
"""

from __future__ import annotations

from datetime import datetime, timezone

from credscope.model import Access, Credential, Scope
from credscope.probes.base import NotProbed, bearer, capability_scope, get_object, limited, revoked
from credscope.probes.client import ProviderSession

_WRITES = ("write_", "create_", "approve_", "connect_", "manage_", "update_")


def probe(credential: Credential, session: ProviderSession) -> Scope:
    if credential.kind == "service-token":
        raise NotProbed("a service token authenticates only with its id (<id>:<token>), which was not found beside it")
    if credential.kind == "database-password":
        raise NotProbed("a branch password opens a MySQL session to a host from scanned text; not probed")
    if credential.secret.startswith("pscale_oauth_refresh_"):
        raise NotProbed("a refresh token is never sent: using it would spend it")
    _, info = get_object(session, "/oauth/token/info", bearer(credential.secret))
    if info.get("active") is not True:
        raise revoked("GET /oauth/token/info: active is false — the token is revoked or expired")
    scopes = sorted({s for s in str(info.get("scope", "")).split() if s})
    evidence = [f"GET /oauth/token/info: active, scopes {', '.join(scopes) or 'none'}" + _expiry(info.get("exp"))]
    identity = {"client_id": str(info["client_id"])} if info.get("client_id") else {}
    deletes = [s for s in scopes if s.startswith("delete_")]
    floor = Access.WRITE if any(s.startswith(_WRITES) for s in scopes) or deletes else Access.READ
    if any(s.startswith("delete_database") for s in deletes):
        floor = Access.ADMIN
    capabilities = ["read_database", *(s for s in scopes if s in session.provider.capabilities)]
    actions = [f"planetscale:{s}" for s in limited(deletes, 20)]
    return capability_scope(session.provider, capabilities, evidence, identity, floor, actions)


def _expiry(expires: object) -> str:
    if isinstance(expires, (int, float)) and not isinstance(expires, bool):
        return f", expires {datetime.fromtimestamp(expires, tz=timezone.utc):%Y-%m-%d}"
    return ""
