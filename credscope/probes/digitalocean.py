"""DigitalOcean: `GET /v2/account` names the account and team; the listings of droplets, databases, volumes and
projects say which of them the token may read, by name. A token's scopes are never readable back: a read-only token
lists exactly what a full-access one does, and a custom token's delete scopes show only by deleting.
"""

from __future__ import annotations

from typing import Any

from credscope.model import Credential, Scope
from credscope.probes.base import NotProbed, bearer, get_object, limited, unrevealed
from credscope.probes.client import ProviderSession

# listing, its key in the answer, the read scope it needs, the delete scope that would destroy what it lists
LISTINGS = (
    ("/v2/droplets", "droplets", "droplet:read", "droplet:delete"),
    ("/v2/databases", "databases", "database:read", "database:delete"),
    ("/v2/volumes", "volumes", "block_storage:read", "block_storage:delete"),
    ("/v2/projects", "projects", "project:read", "project:delete"),
)


def probe(credential: Credential, session: ProviderSession) -> Scope:
    if credential.kind == "refresh-token":
        raise NotProbed("a refresh token is never sent: using it would rotate it")
    headers = bearer(credential.secret)
    status, body = get_object(session, "/v2/account", headers)
    account: dict[str, Any] = (body.get("account") or {}) if status == 200 else {}
    team = str((account.get("team") or {}).get("name", ""))
    if status == 200:
        said = f"GET /v2/account: {account.get('email', '?')} (status {account.get('status', '?')})"
        evidence = [said + (f", team {team}" if team else "")]
    else:
        evidence = [f"GET /v2/account: HTTP {status}{_error(body)} — the token is recognised but may not read the"
                    " account (no account:read)"]  # fmt: skip
    read, unread = [], []
    for path, key, read_scope, delete_scope in LISTINGS:
        params = {"per_page": "50"} if key != "databases" else None
        listed_status, listed = get_object(session, path, headers, params=params, revoked_on=())
        if listed_status != 200:
            unread.append(f"{key} (HTTP {listed_status}{_error(listed)}: no {read_scope})")
            continue
        items = [i for i in listed.get(key) or [] if isinstance(i, dict)]
        total = (listed.get("meta") or {}).get("total", len(items)) if key != "databases" else len(items)
        names = ", ".join(limited((str(i.get("name", "?")) for i in items), 10))
        read.append(f"{total} {key}" + (f" ({names})" if names else "") + f" — {delete_scope} would delete them")
    if read:
        evidence.append("reads " + "; ".join(read))
    if unread:
        evidence.append("may not read " + "; ".join(unread))
    identity = {"email": str(account.get("email", "")), "team": team}
    what = "whether it may delete what it reads: a read-only token lists the same, and no call reports a token's scopes"
    return unrevealed(what, evidence, {k: v for k, v in identity.items() if v})


def _error(body: dict[str, Any]) -> str:
    """DigitalOcean's error shape: {id, message}."""
    return f", {body.get('id')}: {body.get('message')}" if body.get("id") else ""
