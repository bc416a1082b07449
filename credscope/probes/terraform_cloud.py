"""HCP Terraform (Terraform Cloud): every organization and workspace answer carries the caller's own `permissions`
(`can-destroy`, `can-queue-destroy`, `can-queue-apply`, …), so listing them says what the token may do there.
`GET /account/details` names the user, or for a team or organization token its synthetic service user and the team
or organization behind it (`authenticated-resource`). Only app.terraform.io is probed: a Terraform Enterprise host
comes from scanned text.
"""

from __future__ import annotations

from typing import Any

from credscope.model import Access, Credential, Scope
from credscope.probes.base import bearer, capability_scope, get_object, limited
from credscope.probes.client import ProviderSession

_API = {"Content-Type": "application/vnd.api+json"}
_MAX_ORGANIZATIONS = 10
# Workspace permissions, worst first: the capability ids of the provider's table.
_WORKSPACE = ("can-destroy", "can-queue-destroy", "can-queue-apply", "can-read-settings")
_ACTION = {"can-destroy": "delete workspace", "can-queue-destroy": "queue destroy runs (the infrastructure)"}


def probe(credential: Credential, session: ProviderSession) -> Scope:
    headers = {**_API, **bearer(credential.secret)}
    _, details = get_object(session, "/api/v2/account/details", headers)
    account = details.get("data") or {}
    attributes = account.get("attributes") or {}
    behind = ((account.get("relationships") or {}).get("authenticated-resource") or {}).get("data") or {}
    what = {"teams": "a team token", "organizations": "an organization token"}.get(
        str(behind.get("type")), "a user token"
    )
    evidence = [f"GET /account/details: {attributes.get('username', '?')}, {what}"]
    status, listing = get_object(session, "/api/v2/organizations", headers, revoked_on=())
    if status != 200:
        evidence.append(f"GET /organizations: HTTP {status} — what it may do in them is not readable: its worst case")
        return capability_scope(session.provider, ["can-queue-destroy", "can-destroy"], evidence, {}, Access.ADMIN)
    organizations = [o for o in listing.get("data") or [] if isinstance(o, dict)][:_MAX_ORGANIZATIONS]
    capabilities: list[str] = ["can-read-settings"]
    actions: list[str] = []
    floor = Access.READ
    for organization in organizations:
        name = str((organization.get("attributes") or {}).get("name") or organization.get("id"))
        permissions = (organization.get("attributes") or {}).get("permissions") or {}
        if permissions.get("can-destroy"):
            actions.append(f"terraform-cloud:delete organization {name}")
            capabilities.append("can-destroy")
        if permissions.get("can-update"):
            floor = Access.ADMIN
        found, said = _workspaces(session, headers, name)
        evidence.append(said)
        for permission, workspaces in found.items():
            capabilities.append(permission)
            if permission in _ACTION:
                shown = ", ".join(limited(sorted(workspaces), 10))
                actions.append(f"terraform-cloud:{permission} — {_ACTION[permission]} — in {name}: {shown}")
    if not organizations:
        evidence.append("GET /organizations: none listed")
    return capability_scope(session.provider, capabilities, evidence, {"user": str(attributes.get("username", ""))},
                            floor, actions)  # fmt: skip


def _workspaces(
    session: ProviderSession, headers: dict[str, str], organization: str
) -> tuple[dict[str, list[str]], str]:
    """Permission -> the workspaces (first page) where the token holds it, and a line saying so."""
    path = f"/api/v2/organizations/{organization}/workspaces"
    status, listing = get_object(session, path, headers, params={"page[size]": "100"}, revoked_on=())
    if status != 200:
        # The workspaces cannot be listed: what the token may do in them is its worst case.
        worst = {"can-queue-destroy": ["(workspaces not listed)"]}
        return (
            worst,
            f"{organization}: workspaces not listed (HTTP {status}): queueing destroy runs is taken as allowed",
        )
    found: dict[str, list[str]] = {}
    workspaces = [w for w in listing.get("data") or [] if isinstance(w, dict)]
    for workspace in workspaces:
        attributes: dict[str, Any] = workspace.get("attributes") or {}
        permissions = attributes.get("permissions") or {}
        for permission in _WORKSPACE:
            if permissions.get(permission):
                found.setdefault(permission, []).append(str(attributes.get("name") or workspace.get("id")))
    held = ", ".join(f"{p} on {len(found[p])}" for p in _WORKSPACE if p in found) or "no permission"
    return found, f"{organization}: {len(workspaces)} workspaces; {held}"
