"""OpenAI: an admin key lists the organization's projects; other keys can only show that they work — their
permission setting (All, Restricted, Read only) is not readable without trying a write, which credscope never does."""

from __future__ import annotations

from credscope.model import Access, Credential, Scope
from credscope.probes.base import bearer, capability_scope, get_object, undetermined
from credscope.probes.client import ProviderSession


def probe(credential: Credential, session: ProviderSession) -> Scope:
    headers = bearer(credential.secret)
    if credential.kind == "admin-key":
        _, body = get_object(session, "/v1/organization/projects", headers, params={"limit": "100"})
        projects = [str(p.get("name")) for p in body.get("data", []) if isinstance(p, dict)]
        evidence = [f"an organization admin key: lists {len(projects)} projects ({', '.join(projects[:10])})"]
        kind = session.provider.kinds.get("admin-key")
        return capability_scope(session.provider, kind.capabilities if kind else (), evidence, {}, Access.ADMIN)
    status, _ = get_object(session, "/v1/models", headers)
    if status == 403:
        evidence = ["the key works but may not list models: a restricted key; its permissions are not readable"]
    else:
        evidence = ["the key works (GET /v1/models); whether it may also delete files and assistants is not"
                    " readable without trying a write"]  # fmt: skip
    return undetermined(evidence, {})
