"""OpenAI: an admin key lists the organization's projects; other keys can only show that they work — their
permission setting (All, Restricted, Read only) is not readable without trying a write, which credscope never does.

OpenAI answers both "no such key" and "this key lacks a permission" with HTTP 401; only the error body tells them
apart (`code: invalid_api_key` against "insufficient permissions … Missing scopes: api.model.read"). A key that
was recognised is never called revoked, whatever the status.
"""

from __future__ import annotations

import re
from typing import Any

from credscope.model import Access, Credential, Scope
from credscope.probes.base import bearer, capability_scope, get_object, unrevealed
from credscope.probes.client import ProviderSession

_SCOPE = r"[a-z0-9_:-]+(?:\.[a-z0-9_:-]+)*"
_PERMISSIONS = (
    "its permission setting (All, Restricted, Read only): whether it may write or delete files, assistants, vector"
    " stores"
)
_MISSING_SCOPES = re.compile(rf"Missing scopes?:\s*({_SCOPE}(?:,\s*{_SCOPE})*)")


def missing_scopes(status: int, body: dict[str, Any]) -> str | None:
    """The scopes a recognised key lacks, when the error body says so; None for an unknown or revoked key."""
    error = body.get("error")
    if not isinstance(error, dict) or error.get("code") == "invalid_api_key":
        return None
    message = str(error.get("message") or "")
    found = _MISSING_SCOPES.search(message)
    if found:
        return found.group(1)
    if "insufficient permissions" in message.lower():
        return "unnamed"
    return None


def probe(credential: Credential, session: ProviderSession) -> Scope:
    headers = bearer(credential.secret)
    if credential.kind == "admin-key":
        status, body = get_object(
            session, "/v1/organization/projects", headers, params={"limit": "100"}, still_valid=missing_scopes
        )
        if status != 200:
            return _restricted("GET /v1/organization/projects", status, body)
        projects = [str(p.get("name")) for p in body.get("data", []) if isinstance(p, dict)]
        evidence = [f"an organization admin key: lists {len(projects)} projects ({', '.join(projects[:10])})"]
        kind = session.provider.kinds.get("admin-key")
        return capability_scope(session.provider, kind.capabilities if kind else (), evidence, {}, Access.ADMIN)
    status, body = get_object(session, "/v1/models", headers, still_valid=missing_scopes)
    if status != 200:
        return _restricted("GET /v1/models", status, body)
    return unrevealed(_PERMISSIONS, ["the key works (GET /v1/models)"])


def _restricted(call: str, status: int, body: dict[str, Any]) -> Scope:
    """A key OpenAI recognised but that may not make this read: a restricted key, whose other permissions (files,
    assistants, fine-tuning: deletes included) stay unknown."""
    scopes = missing_scopes(status, body)
    if scopes is not None:
        said = f"it lacks {scopes}" if scopes != "unnamed" else "it lacks a permission OpenAI does not name"
        evidence = [f"{call}: HTTP {status}, insufficient permissions — a valid restricted key ({said})"]
    else:
        evidence = [f"{call}: HTTP {status} — the key works but may not make this read: a restricted key"]
    return unrevealed(_PERMISSIONS, evidence)
