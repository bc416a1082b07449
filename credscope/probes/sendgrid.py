"""SendGrid: `GET /v3/scopes` returns the key's own scopes."""

from __future__ import annotations

from credscope.model import Access, Credential, Scope
from credscope.probes.base import bearer, capability_scope, get_object, limited, undetermined
from credscope.probes.client import ProviderSession

# Scopes that manage the account itself: keys, teammates, subusers, the user.
_ADMIN_PREFIXES = ("api_keys.", "teammates.", "subusers.", "user.")


def probe(credential: Credential, session: ProviderSession) -> Scope:
    # 401 is an unknown or revoked key; 403 a key SendGrid recognised that may not make this call.
    status, body = get_object(session, "/v3/scopes", bearer(credential.secret), revoked_on=(401,))
    if status != 200:
        evidence = [f"GET /v3/scopes: HTTP {status} — the key is recognised but may not list its scopes"]
        return undetermined(evidence, {})
    scopes = [str(s) for s in body.get("scopes", [])]
    floor = Access.READ
    actions = []
    for scope in scopes:
        if scope.startswith(_ADMIN_PREFIXES) and not scope.endswith(".read"):
            floor = Access.ADMIN
        elif not scope.endswith(".read") and floor is Access.READ:
            floor = Access.WRITE
        if scope.endswith(".delete"):
            actions.append(f"sendgrid:{scope}")
    evidence = [f"GET /v3/scopes: {len(scopes)} scopes, among them " + ", ".join(limited(sorted(scopes), 12))]
    if "mail.send" in scopes:
        evidence.append("can send mail as the account (phishing from a trusted sender)")
    capabilities = [s for s in scopes if s in session.provider.capabilities]
    return capability_scope(session.provider, capabilities, evidence, {}, floor, limited(actions))
