"""Vercel: `GET /v2/user` names the user and `GET /v2/teams` the teams and roles the token reaches. Vercel
tokens cannot be made read-only: a working one can delete projects wherever its user may."""

from __future__ import annotations

from credscope.model import Access, Credential, Scope
from credscope.probes.base import NotProbed, bearer, capability_scope, get_object
from credscope.probes.client import ProviderSession


def probe(credential: Credential, session: ProviderSession) -> Scope:
    if credential.kind == "app-refresh-token":
        raise NotProbed("a refresh token is never sent: using it would rotate it")
    headers = bearer(credential.secret)
    _, body = get_object(session, "/v2/user", headers, revoked_on=(401, 403))
    user = body.get("user") or {}
    status, listing = get_object(session, "/v2/teams", headers, revoked_on=(401,))
    teams = [t for t in listing.get("teams", []) if isinstance(t, dict)] if status == 200 else []
    roles = [f"{t.get('name', t.get('slug'))} ({(t.get('membership') or {}).get('role', '?')})" for t in teams]
    evidence = [f"GET /v2/user: {user.get('username', '?')}" + (f"; teams: {', '.join(roles)}" if roles else "")]
    owner = not teams or any((t.get("membership") or {}).get("role") == "OWNER" for t in teams)
    capabilities = (
        ["projects.delete", "deployments.delete", "env.update"] if owner else ["deployments.delete", "env.update"]
    )
    identity = {"user": str(user.get("username", ""))}
    return capability_scope(session.provider, capabilities, evidence, identity, Access.WRITE)
