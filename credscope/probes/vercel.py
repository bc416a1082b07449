"""Vercel: `GET /v2/user` names the user, `GET /v5/user/tokens/current` the token itself (name, origin, expiry and
its scopes: the whole user, or named teams), and `GET /v2/teams` the teams and roles it reaches. Vercel tokens
cannot be made read-only: a working one can delete projects wherever its scope and its user's role allow.

Vercel answers 403 both for a token it does not know (`invalidToken: true` in the error) and for a valid token that
may not make the call: only the first is revoked.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from credscope.model import Access, Credential, Scope
from credscope.probes.base import NotProbed, bearer, capability_scope, get_object
from credscope.probes.client import ProviderSession


def invalid_token(status: int, body: dict[str, Any]) -> bool:
    error = body.get("error")
    return status == 401 or (isinstance(error, dict) and error.get("invalidToken") is True)


def probe(credential: Credential, session: ProviderSession) -> Scope:
    if credential.kind == "app-refresh-token":
        raise NotProbed("a refresh token is never sent: using it would rotate it")
    headers = bearer(credential.secret)
    _, body = get_object(
        session,
        "/v2/user",
        headers,
        revoked_on=(401, 403),
        still_valid=lambda s, b: None if invalid_token(s, b) else "valid",
    )
    user = body.get("user") or {}
    status, current = get_object(session, "/v5/user/tokens/current", headers, revoked_on=())
    token: dict[str, Any] = (current.get("token") or {}) if status == 200 else {}
    scopes = [s for s in token.get("scopes", []) if isinstance(s, dict)]
    team_ids = {str(s.get("teamId")) for s in scopes if s.get("type") == "team"}
    whole_user = not scopes or any(s.get("type") == "user" for s in scopes)
    status, listing = get_object(session, "/v2/teams", headers, revoked_on=(401,))
    teams = [t for t in listing.get("teams", []) if isinstance(t, dict)] if status == 200 else []
    if not whole_user:
        teams = [t for t in teams if str(t.get("id")) in team_ids]
    roles = [f"{t.get('name', t.get('slug'))} ({(t.get('membership') or {}).get('role', '?')})" for t in teams]
    evidence = [f"GET /v2/user: {user.get('username', '?')}" + (f"; teams: {', '.join(roles)}" if roles else "")]
    if token:
        evidence.append(_described(token, whole_user, team_ids))
    owner = (whole_user and not teams) or any((t.get("membership") or {}).get("role") == "OWNER" for t in teams)
    if not whole_user and len(teams) < len(team_ids):
        owner = True  # a team the token reaches but whose role it may not read: its worst case stands
        evidence.append("the token reaches teams whose role it cannot read: their worst case (owner) stands")
    capabilities = (
        ["projects.delete", "deployments.delete", "env.update"] if owner else ["deployments.delete", "env.update"]
    )
    identity = {"user": str(user.get("username", ""))}
    return capability_scope(session.provider, capabilities, evidence, identity, Access.WRITE)


def _described(token: dict[str, Any], whole_user: bool, team_ids: set[str]) -> str:
    reach = "the whole user account" if whole_user else "teams " + ", ".join(sorted(team_ids))
    said = f"GET /v5/user/tokens/current: token {token.get('name', '?')!r} ({token.get('type', '?')}"
    said += f", from {token['origin']})" if token.get("origin") else ")"
    said += f" scoped to {reach}"
    expires = token.get("expiresAt")
    if isinstance(expires, (int, float)):
        said += f", expires {datetime.fromtimestamp(expires / 1000, tz=timezone.utc):%Y-%m-%d}"
    else:
        said += ", never expires"
    return said
