"""Datadog: an API key is checked at `GET /api/v1/validate`; an application key (always sent with its API key) lists
its user's application keys (`GET /api/v2/current_user/application_keys`), where it is found by its last four
characters with its scopes — none means every permission of its user, read at `GET /api/v2/users/{id}/permissions`.

Datadog has several sites (US1, EU, US3, US5, AP1, AP2, US1-FED) and answers a key of another site 403, as it answers
a revoked one: a rejection at the site probed is never read as revoked.
"""

from __future__ import annotations

from typing import Any

from credscope.model import Access, Credential, Scope
from credscope.probes.base import NotProbed, capability_scope, get_object, limited, undetermined
from credscope.probes.client import ProviderSession

_ELSEWHERE = (
    "a key of another Datadog site (EU, US3, US5, AP1, AP2, US1-FED) is refused here alike: whether it is live is"
    " unknown"
)
# Datadog permissions (and application key scopes) -> the capability of the provider's table they grant.
_CAPABILITY = {
    "dashboards_write": "dashboards.delete",
    "monitors_write": "monitors.delete",
    "logs_delete_data": "logs_delete_data",
    "user_access_manage": "user_access_manage",
}


def probe(credential: Credential, session: ProviderSession) -> Scope:
    if credential.kind == "api-key":
        return _api_key(credential, session)
    api_key = credential.parts.get("api_key", "")
    if not api_key:
        raise NotProbed("an application key is used only with an API key, which was not found beside it")
    headers = {"DD-API-KEY": api_key, "DD-APPLICATION-KEY": credential.secret}
    path = "/api/v2/current_user/application_keys"
    status, listing = get_object(session, path, headers, params={"page[size]": "100"}, revoked_on=())
    if status != 200:
        return undetermined([f"GET {path}: HTTP {status}{_errors(listing)} — refused at this site; {_ELSEWHERE}"])
    last4 = credential.secret[-4:]
    mine = [k for k in listing.get("data") or [] if isinstance(k, dict) and _attributes(k).get("last4") == last4]
    if not mine:
        evidence = [f"GET {path}: no key of its user ends in …{last4}: its scopes are not readable"]
        return undetermined(evidence)
    names = ", ".join(str(_attributes(k).get("name", "?")) for k in mine)
    scoped = [k for k in mine if _attributes(k).get("scopes")]
    if len(scoped) == len(mine):
        granted = sorted({str(s) for k in scoped for s in _attributes(k).get("scopes") or []})
        evidence = [f"application key {names!r}: scoped to {', '.join(limited(granted, 20))}"]
        return _judged(session, granted, evidence)
    owner = str((((mine[0].get("relationships") or {}).get("owned_by") or {}).get("data") or {}).get("id", ""))
    evidence = [f"application key {names!r}: no scopes — every permission of its user"]
    status, permissions = get_object(session, f"/api/v2/users/{owner}/permissions", headers, revoked_on=())
    if status != 200 or not owner:
        evidence.append(f"GET /api/v2/users/…/permissions: HTTP {status} — its user's permissions are not readable")
        return undetermined(evidence)
    granted = sorted({str(_attributes(p).get("name")) for p in permissions.get("data") or [] if isinstance(p, dict)})
    evidence.append(f"its user's permissions: {', '.join(limited(granted, 20))}")
    return _judged(session, granted, evidence)


def _api_key(credential: Credential, session: ProviderSession) -> Scope:
    status, body = get_object(session, "/api/v1/validate", {"DD-API-KEY": credential.secret}, revoked_on=())
    if status != 200 or body.get("valid") is not True:
        return undetermined([f"GET /api/v1/validate: HTTP {status}{_errors(body)} at this site; {_ELSEWHERE}"])
    evidence = ["GET /api/v1/validate: valid — an API key submits metrics, logs and events; it cannot read or delete"]
    return capability_scope(session.provider, ["series.submit"], evidence, {}, Access.WRITE)


def _judged(session: ProviderSession, granted: list[str], evidence: list[str]) -> Scope:
    capabilities = [_CAPABILITY[p] for p in granted if p in _CAPABILITY]
    writes = any(p.endswith(("_write", "_manage", "_delete", "_delete_data")) for p in granted)
    floor = Access.WRITE if writes else Access.READ
    return capability_scope(session.provider, capabilities, evidence, {}, floor)


def _attributes(item: dict[str, Any]) -> dict[str, Any]:
    attributes = item.get("attributes")
    return attributes if isinstance(attributes, dict) else {}


def _errors(body: dict[str, Any]) -> str:
    errors = [str(e) for e in body.get("errors") or []]
    return f" ({'; '.join(errors)[:160]})" if errors else ""
