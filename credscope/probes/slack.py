"""Slack: `auth.test` names the workspace, user or bot, and its `x-oauth-scopes` header lists the token's scopes.
Webhooks and app-level tokens are never probed: the only way to test them is to post or to connect."""

from __future__ import annotations

from credscope.model import Access, Credential, Scope
from credscope.probes.base import NotProbed, ProbeFailure, bearer, capability_scope, json_object, revoked, unexpected
from credscope.probes.client import ProviderSession

_REVOKED = {"invalid_auth", "token_revoked", "account_inactive", "token_expired", "not_authed"}
_DESTRUCTIVE = {"channels:manage", "groups:write", "files:write", "admin", "usergroups:write", "bookmarks:write"}


def probe(credential: Credential, session: ProviderSession) -> Scope:
    if credential.kind not in ("bot-token", "user-token", "legacy-token"):
        raise NotProbed(f"a Slack {credential.kind} has no read-only check")
    answer = session.get("/api/auth.test", bearer(credential.secret))
    if answer.status != 200:
        raise unexpected(answer, "auth.test")
    body = json_object(answer, "auth.test")  # Slack answers 200 with ok: false for a bad token
    if body.get("ok") is not True:
        error = str(body.get("error", f"HTTP {answer.status}"))
        if error in _REVOKED:
            raise revoked(f"auth.test: {error}")
        raise ProbeFailure(f"auth.test: {error}")
    scopes = [s.strip() for s in answer.headers.get("x-oauth-scopes", "").split(",") if s.strip()]
    floor = Access.READ
    actions = []
    for scope in scopes:
        if scope.startswith("admin"):
            floor = Access.ADMIN
        elif scope.endswith((":write", ":manage")) or ":write." in scope:
            floor = Access.WRITE if floor is Access.READ else floor
        if scope in _DESTRUCTIVE or scope.startswith("admin"):
            actions.append(f"slack:{scope}")
    who = "bot" if body.get("bot_id") else "user"
    shown = ", ".join(scopes) or "none"
    evidence = [f"auth.test: {who} {body.get('user', '')} in workspace {body.get('team', '')}; scopes {shown}"]
    identity = {"team": str(body.get("team", "")), who: str(body.get("user", "")), "url": str(body.get("url", ""))}
    capabilities = [s for s in scopes if s in session.provider.capabilities]
    return capability_scope(session.provider, capabilities, evidence, identity, floor, actions)
