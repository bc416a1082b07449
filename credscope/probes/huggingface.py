"""Hugging Face: `whoami-v2` names the user and the token's role (read, write, fineGrained) with its permissions."""

from __future__ import annotations

from typing import Any

from credscope.model import Access, Credential, Scope
from credscope.probes.base import bearer, capability_scope, get_object
from credscope.probes.client import ProviderSession


def probe(credential: Credential, session: ProviderSession) -> Scope:
    _, body = get_object(session, "/api/whoami-v2", bearer(credential.secret))
    token: dict[str, Any] = (body.get("auth") or {}).get("accessToken") or {}
    role = str(token.get("role", ""))
    name = str(body.get("name", ""))
    orgs = [f"{o.get('name')} ({o.get('roleInOrg', '?')})" for o in body.get("orgs", []) if isinstance(o, dict)]
    evidence = [f"whoami-v2: {name}, token {token.get('displayName', '')!r} with role {role or 'unknown'}"]
    if orgs:
        evidence.append("member of " + ", ".join(orgs))
    capabilities: list[str] = []
    floor = Access.READ
    if role == "write":
        capabilities.append("repo.write")
        evidence.append("a write token can overwrite and delete every repository its user can write to")
    elif role == "fineGrained":
        fine: dict[str, Any] = token.get("fineGrained") or {}
        permissions = {str(p) for p in fine.get("global", [])}
        for scoped in fine.get("scoped", []):
            permissions.update(str(p) for p in scoped.get("permissions", []))
        capabilities.extend(sorted(permissions))
        if any(p.endswith(".write") for p in permissions):
            floor = Access.WRITE
        evidence.append("fine-grained permissions: " + (", ".join(sorted(permissions)) or "none"))
    elif role == "read":
        capabilities.append("repo.content.read")
    else:
        floor = Access.UNKNOWN
    identity = {"user": name, "role": role}
    return capability_scope(session.provider, capabilities, evidence, identity, floor)
