"""Supabase: a management token (sbp_) lists the projects and organizations it reaches. Project API keys are not
probed: their host would come from scanned text, and credentials only go to hosts in the catalogue."""

from __future__ import annotations

from typing import Any

from credscope.model import Access, Credential, Scope
from credscope.probes.base import NotProbed, bearer, capability_scope, limited, revoked, undetermined, unexpected
from credscope.probes.client import ProviderSession


def probe(credential: Credential, session: ProviderSession) -> Scope:
    if credential.kind != "management-token":
        raise NotProbed("project API keys are checked only against their project's own URL, which is not probed")
    answer = session.get("/v1/projects", bearer(credential.secret))
    if answer.status == 401:
        raise revoked(f"GET /v1/projects: HTTP {answer.status} — the management token is rejected")
    if answer.status == 403:
        # Recognised, but not allowed to list projects (a scoped OAuth token): not revoked.
        evidence = ["GET /v1/projects: HTTP 403 — the token is recognised but may not list projects"]
        return undetermined(evidence, {})
    if answer.status != 200:
        raise unexpected(answer, "GET /v1/projects")
    body: Any = answer.json()
    projects = [p for p in body if isinstance(p, dict)] if isinstance(body, list) else []
    names = [f"{p.get('name', p.get('id'))} ({p.get('region', '?')})" for p in projects]
    evidence = [f"the management token reaches {len(projects)} projects: " + ", ".join(limited(names, 15))]
    actions = [f"supabase:projects.delete {p.get('name', p.get('id'))}" for p in projects]
    kind = session.provider.kinds.get("management-token")
    capabilities = kind.capabilities if kind else ("projects.delete",)
    return capability_scope(session.provider, capabilities, evidence, {}, Access.ADMIN, limited(actions))
