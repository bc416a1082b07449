"""Neon: `GET /auth` says what kind of key this is (a personal key acts as its user; an organization key is
admin-level on every project of its organization), the projects listing names what it reaches, and for a personal
key the user's role in each organization decides: only an organization's admins may delete its projects, members
delete branches (Neon, "User permissions"); projects of the user's own account are the user's to delete.
"""

from __future__ import annotations

from typing import Any

from credscope.model import Access, Credential, Scope
from credscope.probes.base import bearer, capability_scope, get_object, limited
from credscope.probes.client import ProviderSession

_MAX_ORGANIZATIONS = 10


def probe(credential: Credential, session: ProviderSession) -> Scope:
    headers = bearer(credential.secret)
    status, auth = get_object(session, "/api/v2/auth", headers)
    method = str(auth.get("auth_method", "")) if status == 200 else ""
    account = str(auth.get("account_id", "")) if status == 200 else ""
    said = f"GET /auth: {method or f'HTTP {status}'}" + (f", account {account}" if account else "")
    if method == "api_key_org":
        projects = _projects(session, headers, account)
        evidence = [said, f"an organization key: admin on every project of {account}: {_names(projects)}"]
        actions = [f"neon:projects.delete ({_names(projects)}) in organization {account}"]
        return capability_scope(
            session.provider, ["projects.delete"], evidence, {"org": account}, Access.ADMIN, actions
        )
    if method == "api_key_user":
        return _personal(session, headers, said)
    # A project-scoped key, or a kind Neon did not name: what it reaches, with its worst case on each.
    projects = _projects(session, headers, None)
    evidence = [
        said,
        f"reaches projects: {_names(projects)}; whether it may delete them is not readable: its worst case",
    ]
    actions = [f"neon:projects.delete ({_names(projects)})"]
    return capability_scope(session.provider, ["projects.delete"], evidence, {}, Access.ADMIN, actions)


def _personal(session: ProviderSession, headers: dict[str, str], said: str) -> Scope:
    _, user = get_object(session, "/api/v2/users/me", headers, revoked_on=())
    user_id, email = str(user.get("id", "")), str(user.get("email", ""))
    evidence = [said, f"a personal key of {email or '?'}: it acts as its user"]
    own = [p for p in _projects(session, headers, None) if not p.get("org_id")]
    actions = [f"neon:projects.delete ({_names(own)}) in the user's own account"] if own else []
    access = Access.ADMIN if own else Access.WRITE
    status, listing = get_object(session, "/api/v2/users/me/organizations", headers, revoked_on=())
    organizations = [o for o in listing.get("organizations") or [] if isinstance(o, dict)][:_MAX_ORGANIZATIONS]
    if status != 200:
        evidence.append(f"GET /users/me/organizations: HTTP {status} — its organizations are not readable")
    for organization in organizations:
        org_id = str(organization.get("id"))
        name = str(organization.get("name") or org_id)
        projects = _projects(session, headers, org_id)
        role = _role(session, headers, org_id, user_id)
        evidence.append(f"organization {name}: {role}; projects {_names(projects)}")
        if role.startswith("admin"):
            access = Access.ADMIN
            actions.append(f"neon:projects.delete ({_names(projects)}) in organization {name}")
        else:
            actions.append(f"neon:branches.delete ({_names(projects)}) in organization {name}")
    capabilities = ["projects.read", "branches.delete"] + (["projects.delete"] if access is Access.ADMIN else [])
    identity = {"email": email} if email else {}
    return capability_scope(session.provider, capabilities, evidence, identity, access, actions)


def _role(session: ProviderSession, headers: dict[str, str], org_id: str, user_id: str) -> str:
    """The user's role in the organization; one that cannot be read is taken as admin (its worst case)."""
    status, listing = get_object(session, f"/api/v2/organizations/{org_id}/members", headers, revoked_on=())
    for row in listing.get("members") or []:
        member = (row or {}).get("member") or {}
        if user_id and str(member.get("user_id")) == user_id:
            return str(member.get("role", "admin"))
    return f"admin, taken as such: its role is not readable (HTTP {status})"


def _projects(session: ProviderSession, headers: dict[str, str], org_id: str | None) -> list[dict[str, Any]]:
    params = {"limit": "100", **({"org_id": org_id} if org_id else {})}
    status, listing = get_object(session, "/api/v2/projects", headers, params=params, revoked_on=())
    return [p for p in listing.get("projects") or [] if isinstance(p, dict)] if status == 200 else []


def _names(projects: list[dict[str, Any]]) -> str:
    return ", ".join(limited(sorted(str(p.get("name") or p.get("id")) for p in projects), 10)) or "none listed"
