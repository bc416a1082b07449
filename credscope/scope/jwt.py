"""JSON Web Tokens in general: claims (role, scope, exp) decoded without verifying the signature."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from credscope.detect.decoding import decode_jwt_claims
from credscope.model import Scope
from credscope.scope.facts import date, expired, from_kind, unknown, with_capabilities
from credscope.scope.infer import Subject

_SHOWN_CLAIMS = ("iss", "sub", "aud", "role", "scope", "scp", "roles")
_ADMIN_ROLES = frozenset({"admin", "administrator", "superuser", "root", "owner", "service_role", "cluster-admin"})
_READ_SCOPE = re.compile(r"(?i)^(?:read|view|get|list)\b|[:._](?:read|readonly|read_only|view)$")
UNVERIFIED = "claims decoded without verifying the signature"


def expiry_of(claims: dict[str, Any]) -> float | None:
    exp = claims.get("exp")
    return float(exp) if isinstance(exp, int | float) and not isinstance(exp, bool) else None


def claims_evidence(claims: dict[str, Any]) -> tuple[str, ...]:
    shown = [f"{key}={_short(claims[key])}" for key in _SHOWN_CLAIMS if key in claims]
    expiry = expiry_of(claims)
    lifetime = f"expires {date(expiry)}" if expiry is not None else "no exp claim: it does not expire"
    return (f"JWT claims ({UNVERIFIED}): {', '.join(shown) or 'none of role/scope/sub'}; {lifetime}",)


def _short(value: object) -> str:
    text = " ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def grants(claims: dict[str, Any]) -> tuple[str, ...]:
    """The role, roles and scope values a JWT asserts."""
    values: list[str] = []
    for key in ("role", "roles", "scope", "scp"):
        value = claims.get(key)
        if isinstance(value, str):
            values.extend(value.split())
        elif isinstance(value, list):
            values.extend(str(v) for v in value)
    return tuple(values)


def infer(subject: Subject) -> Scope:
    claims = decode_jwt_claims(subject.credential.secret)
    if claims is None:
        return from_kind(subject, subject.credential.kind)
    gone = expired(subject, expiry_of(claims), "JWT")
    if gone is not None:
        return gone
    evidence = claims_evidence(claims)
    identity: dict[str, str] = {key: _short(claims[key]) for key in ("iss", "sub") if key in claims}
    asserted = grants(claims)
    admin = [g for g in asserted if g.lower() in _ADMIN_ROLES or g == "*" or "admin" in g.lower()]
    if admin:
        scope = with_capabilities(
            subject, ["admin-claim"], (f"JWT asserts {', '.join(admin)}: an administrative grant", *evidence), identity
        )
        # What an admin claim lets one destroy depends on the service that trusts it.
        return replace(scope, destructive=None)
    if asserted and all(_READ_SCOPE.search(g) for g in asserted):
        note = f"JWT asserts only {', '.join(asserted)}"
        return with_capabilities(subject, ["read-claim"], (note, *evidence), identity)
    reason = "what it allows depends on the service that accepts it"
    return unknown((*evidence, reason), identity)
