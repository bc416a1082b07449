"""GitLab: a personal, project or group access token reads its own scopes (`personal_access_tokens/self`), and
`/user` says whether its user is an administrator."""

from __future__ import annotations

from credscope.model import Access, Credential, Scope
from credscope.probes.base import NotProbed, capability_scope, get_object, limited, revoked, undetermined
from credscope.probes.client import ProviderSession

_WRITE_SCOPES = {
    "write_registry",
    "write_package_registry",
    "create_runner",
    "manage_runner",
    "k8s_proxy",
    "ai_features",
}
_READ_SCOPES = {
    "read_api",
    "read_user",
    "read_repository",
    "read_registry",
    "read_package_registry",
    "read_virtual_registry",
}


def probe(credential: Credential, session: ProviderSession) -> Scope:
    if credential.kind != "personal-access-token":
        raise NotProbed(f"a GitLab {credential.kind} cannot describe itself through a read-only call")
    headers = {"PRIVATE-TOKEN": credential.secret}
    status, token = get_object(session, "/api/v4/personal_access_tokens/self", headers)
    if status != 200:
        # 403 insufficient_scope: a valid token whose scopes do not cover this read (read_repository alone).
        error = token.get("error_description") or token.get("error") or token.get("message") or "no reason given"
        evidence = [f"GET /api/v4/personal_access_tokens/self: HTTP {status} ({str(error)[:160]}): the token is"
                    " recognised, but its scopes are not readable"]  # fmt: skip
        return undetermined(evidence, {})
    if token.get("revoked") is True or token.get("active") is False:
        raise revoked(f"GitLab says the token {token.get('name', '')!r} is revoked or expired")
    scopes = [str(s) for s in token.get("scopes", [])]
    status, user = get_object(session, "/api/v4/user", headers)
    username = str(user.get("username", "")) if status == 200 else ""
    admin = user.get("is_admin") is True
    evidence = [f"token {token.get('name', '')!r} of {username or 'its user'}: scopes {', '.join(scopes) or 'none'}"]
    if token.get("expires_at"):
        evidence.append(f"expires {token['expires_at']}")
    floor = Access.READ
    capabilities = [s for s in scopes if s in session.provider.capabilities]
    if any(s in _WRITE_SCOPES for s in scopes):
        floor = Access.WRITE
    if admin and ("admin_mode" in scopes or "sudo" in scopes or "api" in scopes):
        floor = Access.ADMIN
        evidence.append(f"{username} is a GitLab administrator")
    unknown = [s for s in scopes if s not in session.provider.capabilities and s not in _WRITE_SCOPES | _READ_SCOPES]
    if unknown:
        evidence.append("scopes not in credscope's table: " + ", ".join(unknown))
    identity = {"user": username, "token": str(token.get("name", ""))}
    # With the api scope, what the token may destroy is where its user is Owner or Maintainer.
    reached = _associations(session, headers, evidence) if "api" in scopes else []
    table = [f"gitlab:{c}" for c in capabilities if session.provider.capabilities[c].destructive]
    return capability_scope(
        session.provider, capabilities, evidence, identity, floor, [*table, *reached] if reached else ()
    )


# Access levels (GitLab's numbers) and what the token may destroy there with the `api` scope.
_LEVELS = {10: "Guest", 15: "Planner", 20: "Reporter", 30: "Developer", 40: "Maintainer", 50: "Owner"}


def _associations(session: ProviderSession, headers: dict[str, str], evidence: list[str]) -> list[str]:
    """The groups and projects the token reaches, with its user's role there: an Owner may delete them."""
    status, reach = get_object(
        session, "/api/v4/personal_access_tokens/self/associations", headers, params={"per_page": "100"}
    )
    if status != 200:
        evidence.append(f"GET personal_access_tokens/self/associations: HTTP {status}; what it reaches is unknown")
        return []
    actions: list[str] = []
    reached: list[str] = []
    for group in (g for g in reach.get("groups", []) if isinstance(g, dict)):
        level = _level(group.get("access_levels"))
        reached.append(f"group {group.get('name', group.get('id'))} ({_LEVELS.get(level, level or '?')})")
        if level >= 50:
            actions.append(f"gitlab:delete group {group.get('name', group.get('id'))} (Owner)")
    for project in (p for p in reach.get("projects", []) if isinstance(p, dict)):
        levels = project.get("access_levels") or {}
        level = max(_level(levels.get("project_access_level")), _level(levels.get("group_access_level")))
        name = project.get("path_with_namespace") or project.get("name") or project.get("id")
        reached.append(f"project {name} ({_LEVELS.get(level, level or '?')})")
        if level >= 50:
            actions.append(f"gitlab:delete project {name} (Owner)")
        elif level >= 40:
            actions.append(f"gitlab:delete branches and tags of {name} (Maintainer)")
    evidence.append("reaches: " + (", ".join(limited(reached, 20)) or "no group or project"))
    return list(limited(actions, 20))


def _level(value: object) -> int:
    return value if isinstance(value, int) else 0
