"""OpenAI and Anthropic: admin keys (organisation management) are told apart from API keys by prefix."""

from __future__ import annotations

from credscope.model import Scope
from credscope.scope.facts import from_kind, unknown
from credscope.scope.infer import Subject


def infer_openai(subject: Subject) -> Scope:
    secret = subject.credential.secret
    if secret.startswith("sk-admin-"):
        note = "sk-admin-: an organisation Admin API key: it manages users, projects and API keys"
        return from_kind(subject, "admin-key", (note,), {"key_type": "admin"})
    prefix, key_type = next(
        ((p, t) for p, t in (("sk-proj-", "project"), ("sk-svcacct-", "service-account")) if secret.startswith(p)),
        ("sk-", "legacy user"),
    )
    note = f"{prefix}: a {key_type} API key; it may have All, Restricted or Read Only permissions (live query)"
    return unknown((note,), {"key_type": key_type})


def infer_anthropic(subject: Subject) -> Scope:
    secret = subject.credential.secret
    if secret.startswith("sk-ant-admin01-"):
        note = "sk-ant-admin01-: an Admin API key: it manages the organisation's members, workspaces and API keys"
        return from_kind(subject, "admin-key", (note,), {"key_type": "admin"})
    note = (
        "sk-ant-api03-: a workspace API key: it calls the API, spending the organisation's credit, and can delete"
        " the workspace's files and batches; it cannot manage the organisation"
    )
    return from_kind(subject, "api-key", (note,), {"key_type": "api"})
