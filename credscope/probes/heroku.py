"""Heroku: every Platform API answer carries the token's own OAuth scope in its `Oauth-Scope` header, so
`GET /account` says both who the token is and what it may do; `GET /apps` names the apps it reaches.

Scopes (Heroku Dev Center, "OAuth"): `global` is the whole account (what the CLI's login and API key hold);
`write`/`write-protected` change every app and its resources (config vars too with `-protected`); `read`,
`read-protected` and `identity` only read.
"""

from __future__ import annotations

from credscope.model import Access, Credential, Scope
from credscope.probes.base import bearer, capability_scope, json_object, limited, revoked, unexpected
from credscope.probes.client import ProviderSession

_API = {"Accept": "application/vnd.heroku+json; version=3"}
_WRITES = {"write", "write-protected"}
_READS = {"read", "read-protected", "identity"}


def probe(credential: Credential, session: ProviderSession) -> Scope:
    headers = {**_API, **bearer(credential.secret)}
    answer = session.get("/account", headers)
    if answer.status == 401:
        raise revoked("GET /account: HTTP 401 — the credential is rejected (revoked, expired or invalid)")
    if answer.status != 200:
        raise unexpected(answer, "GET /account")
    account = json_object(answer, "GET /account")
    scopes = [s for s in answer.headers.get("oauth-scope", "").replace(",", " ").split() if s]
    identity = {"email": str(account.get("email", ""))} if account.get("email") else {}
    evidence = [f"GET /account: {account.get('email', '?')}; Oauth-Scope: {' '.join(scopes) or '(not sent)'}"]
    apps = _apps(session, headers)
    if apps is not None:
        evidence.append(f"GET /apps: {len(apps)} apps" + (f" ({', '.join(limited(apps, 15))})" if apps else ""))
    reached = f" ({', '.join(limited(apps or [], 10))})" if apps else ""
    if "global" in scopes or not scopes:
        if not scopes:
            evidence.append("the answer does not say the token's scope: taken as global, its worst case")
        actions = [f"heroku:apps.delete{reached}", "heroku:addons.delete"]
        capabilities = ["apps.delete", "addons.delete", "config-vars.update"]
        return capability_scope(session.provider, capabilities, evidence, identity, Access.ADMIN, actions)
    if _WRITES & set(scopes):
        # Heroku does not say which writes delete an app: a write scope's worst case (deleting apps) stands.
        actions = [f"heroku:apps.delete{reached}", "heroku:addons.delete"]
        return capability_scope(session.provider, ["config-vars.update"], evidence, identity, Access.WRITE, actions)
    if set(scopes) <= _READS:
        return capability_scope(session.provider, ["account.read"], evidence, identity, Access.READ)
    evidence.append(f"unrecognised scope {' '.join(scopes)}: taken as global, its worst case")
    capabilities = ["apps.delete", "addons.delete", "config-vars.update"]
    return capability_scope(session.provider, capabilities, evidence, identity, Access.ADMIN)


def _apps(session: ProviderSession, headers: dict[str, str]) -> list[str] | None:
    """The apps' names (first page), or None when the token may not list them (identity scope: 403)."""
    answer = session.get("/apps", headers)
    if 300 <= answer.status < 400:
        raise unexpected(answer, "GET /apps")
    body = answer.json() if answer.status == 200 else None
    if not isinstance(body, list):
        return None
    return sorted(str(app.get("name")) for app in body if isinstance(app, dict))
