"""Stripe: `GET /v1/account` names the account a secret or restricted key belongs to; a restricted key's
permissions are not readable back, and publishable keys are public by design and never sent."""

from __future__ import annotations

from credscope.model import Access, Credential, Scope
from credscope.probes.base import NotProbed, bearer, capability_scope, get_object, unrevealed
from credscope.probes.client import ProviderSession


def probe(credential: Credential, session: ProviderSession) -> Scope:
    if credential.kind.startswith("publishable"):
        raise NotProbed("a publishable key is public by design")
    status, body = get_object(session, "/v1/account", bearer(credential.secret))
    if status == 403 or credential.kind.startswith("restricted"):
        evidence = ["a restricted key that works; Stripe does not report its permissions to a read call"]
        if status == 403:
            message = str((body.get("error") or {}).get("message", ""))
            evidence.append(f"GET /v1/account refused: {message[:200]}")
        return unrevealed(
            "a restricted key's permissions: none, read or write on each resource, deletes included", evidence
        )
    name = (body.get("settings") or {}).get("dashboard", {}).get("display_name") or body.get("email") or body.get("id")
    identity = {"account": str(body.get("id", "")), "name": str(name or "")}
    evidence = [f"GET /v1/account: {name} ({body.get('id', '?')}), livemode keys: {credential.kind.endswith('live')}"]
    kind = session.provider.kinds.get(credential.kind)
    capabilities = kind.capabilities if kind else ()
    return capability_scope(session.provider, capabilities, evidence, identity, Access.WRITE)
