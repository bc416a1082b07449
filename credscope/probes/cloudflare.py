"""Cloudflare: `user/tokens/verify` says whether an API token is active; the token's own policies are read from
`user/tokens/{id}` when it may read tokens. Global API keys need the account email and are not probed."""

from __future__ import annotations

from typing import Any

from credscope.model import Access, Credential, Scope
from credscope.probes.base import (
    NotProbed,
    bearer,
    capability_scope,
    get_object,
    limited,
    revoked,
    undetermined,
)
from credscope.probes.client import ProviderSession

# Permission groups that change who controls the account.
_ADMIN_GROUPS = ("API Tokens Write", "Account Settings Write", "Memberships Write", "User Details Write")
_DESTRUCTIVE_WORDS = ("Zone", "DNS", "Workers", "R2", "Pages", "D1", "Account")


def probe(credential: Credential, session: ProviderSession) -> Scope:
    if credential.kind in ("global-api-key", "origin-ca-key"):
        raise NotProbed(f"a Cloudflare {credential.kind} is checked only with the account email; not probed")
    headers = bearer(credential.secret)
    _, verified = get_object(session, "/client/v4/user/tokens/verify", headers, revoked_on=(400, 401))
    result: dict[str, Any] = verified.get("result") or {}
    if verified.get("success") is not True or result.get("status") != "active":
        raise revoked(f"tokens/verify: status {result.get('status', 'unknown')}")
    token_id = str(result.get("id", ""))
    identity = {"token_id": token_id}
    status, details = get_object(session, f"/client/v4/user/tokens/{token_id}", headers)
    if status != 200 or not isinstance(details.get("result"), dict):
        evidence = ["the token is active; it may not read its own policies, so its permissions are unknown"]
        return undetermined(evidence, identity)
    groups: list[str] = []
    for policy in details["result"].get("policies", []):
        if policy.get("effect", "allow") == "allow":
            groups.extend(str(g.get("name")) for g in policy.get("permission_groups", []) if isinstance(g, dict))
    floor = Access.READ
    actions = []
    for group in groups:
        if group in _ADMIN_GROUPS:
            floor = Access.ADMIN
        elif (group.endswith(("Write", "Edit"))) and floor is Access.READ:
            floor = Access.WRITE
        if group.endswith(("Write", "Edit")) and any(word in group for word in _DESTRUCTIVE_WORDS):
            actions.append(f"cloudflare:{group}")
    evidence = ["the token is active; permission groups: " + (", ".join(groups) or "none")]
    return capability_scope(session.provider, (), evidence, identity, floor, limited(actions))
