"""Anthropic: an admin key reads its organization (`/v1/organizations/me`); an API key lists models."""

from __future__ import annotations

from credscope.model import Access, Credential, Scope
from credscope.probes.base import capability_scope, get_object
from credscope.probes.client import ProviderSession

_VERSION = {"anthropic-version": "2023-06-01"}


def probe(credential: Credential, session: ProviderSession) -> Scope:
    headers = {**_VERSION, "x-api-key": credential.secret}
    provider = session.provider
    if credential.kind == "admin-key":
        _, org = get_object(session, "/v1/organizations/me", headers)
        evidence = [f"an Admin API key of organization {org.get('name', '?')}: manages keys, members and workspaces"]
        kind = provider.kinds.get("admin-key")
        capabilities = kind.capabilities if kind else ()
        return capability_scope(
            provider, capabilities, evidence, {"organization": str(org.get("name", ""))}, Access.ADMIN
        )
    get_object(session, "/v1/models", headers)
    kind = provider.kinds.get("api-key")
    evidence = ["the API key works (GET /v1/models): it can spend on the API and delete the workspace's files"]
    return capability_scope(provider, kind.capabilities if kind else (), evidence, {}, Access.WRITE)
