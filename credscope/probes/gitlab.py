"""GitLab: a personal, project or group access token reads its own scopes (`personal_access_tokens/self`), and
`/user` says whether its user is an administrator."""

from __future__ import annotations

from credscope.model import Access, Credential, Scope
from credscope.probes.base import NotProbed, capability_scope, get_object, revoked
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
    _, token = get_object(session, "/api/v4/personal_access_tokens/self", headers)
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
    return capability_scope(session.provider, capabilities, evidence, identity, floor)
