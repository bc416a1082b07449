"""Render: an API key acts as its user in every workspace the user belongs to; it has no scopes of its own.
`GET /v1/users` names the user, `GET /v1/owners` the workspaces, `GET /v1/owners/{ownerId}/members` the user's role
in each (ADMIN deletes anything; DEVELOPER anything outside protected environments; WORKSPACE_VIEWER and
WORKSPACE_BILLING only read), `GET /v1/services` and `GET /v1/postgres` what would be deleted.
"""

from __future__ import annotations

from typing import Any

from credscope.model import Access, Credential, Scope
from credscope.probes.base import bearer, capability_scope, get_object, limited, unexpected
from credscope.probes.client import ProviderSession

_READ_ONLY = {"WORKSPACE_VIEWER", "WORKSPACE_BILLING"}
_ORDER = (Access.READ, Access.WRITE, Access.ADMIN)


def probe(credential: Credential, session: ProviderSession) -> Scope:
    headers = bearer(credential.secret)
    _, user = get_object(session, "/v1/users", headers)
    email = str(user.get("email", ""))
    evidence = [f"GET /v1/users: {email or '?'}; an API key acts as its user in every workspace, with no scopes"]
    status, owners = _list(session, "/v1/owners", headers, "owner")
    resources = _resources(session, headers)
    if status != 200:
        evidence.append(f"GET /v1/owners: HTTP {status} — its workspaces are not readable: taken as ADMIN of each")
        actions = [a for owner_id in sorted(resources) for a in _deletes(resources[owner_id], owner_id)]
        capabilities = ["services.delete", "postgres.delete"]
        return capability_scope(session.provider, capabilities, evidence, {"email": email}, Access.ADMIN, actions)
    access, actions, roles = Access.READ, [], []
    for owner in owners:
        name = str(owner.get("name") or owner.get("id"))
        role = _role(session, headers, owner, email)
        roles.append(f"{name} ({role})")
        if role in _READ_ONLY:
            continue
        level = Access.ADMIN if role.startswith(("ADMIN", "OWNER")) else Access.WRITE
        access = max(access, level, key=_ORDER.index)
        where = f"workspace {name}" + ("" if level is Access.ADMIN else ", outside protected environments")
        actions.extend(_deletes(resources.get(str(owner.get("id")), {}), where))
    evidence.append("workspaces: " + (", ".join(roles) or "none"))
    capabilities = ["services.read"] if access is Access.READ else ["env-vars.update"]
    if access is Access.ADMIN:
        capabilities += ["services.delete", "postgres.delete"]
    return capability_scope(session.provider, capabilities, evidence, {"email": email}, access, actions)


def _role(session: ProviderSession, headers: dict[str, str], owner: dict[str, Any], email: str) -> str:
    """The user's role in a workspace; its own personal workspace, or a role that cannot be read, is ADMIN."""
    if owner.get("type") == "user":
        return "OWNER"
    status, members = _list(session, f"/v1/owners/{owner.get('id')}/members", headers, "")
    mine = [m for m in members if email and str(m.get("email", "")).lower() == email.lower()]
    if status != 200 or not mine:
        return "ADMIN, taken as such: its role is not readable"
    return str(mine[0].get("role", "ADMIN")).upper()


def _resources(session: ProviderSession, headers: dict[str, str]) -> dict[str, dict[str, list[str]]]:
    """Workspace id -> {"services": names, "postgres": names}, from the first page of each listing."""
    found: dict[str, dict[str, list[str]]] = {}
    _, services = _list(session, "/v1/services", headers, "service")
    for service in services:
        found.setdefault(str(service.get("ownerId")), {}).setdefault("services", []).append(str(service.get("name")))
    _, databases = _list(session, "/v1/postgres", headers, "postgres")
    for database in databases:
        owner_id = str((database.get("owner") or {}).get("id"))
        found.setdefault(owner_id, {}).setdefault("postgres", []).append(str(database.get("name")))
    return found


def _deletes(resources: dict[str, list[str]], where: str) -> list[str]:
    listed = [
        f"render:{kind}.delete ({', '.join(limited(sorted(names), 10))}) in {where}"
        for kind, names in sorted(resources.items())
    ]
    return listed or [f"render:services.delete in {where}"]


def _list(session: ProviderSession, path: str, headers: dict[str, str], key: str) -> tuple[int, list[dict[str, Any]]]:
    """A Render listing: a JSON array of {<key>: object, cursor} (or of bare objects when `key` is empty)."""
    answer = session.get(path, headers, {"limit": "100"} if path != "/v1/users" and key else None)
    if 300 <= answer.status < 400:
        raise unexpected(answer, f"GET {path}")
    body = answer.json() if answer.status == 200 else None
    rows = body if isinstance(body, list) else []
    items = [row.get(key) if key else row for row in rows if isinstance(row, dict)]
    return answer.status, [i for i in items if isinstance(i, dict)]
