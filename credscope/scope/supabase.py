"""Supabase: legacy keys are JWTs whose `role` claim says anon (public) or service_role (bypasses row-level
security); new keys say the same with `sb_publishable_` / `sb_secret_`; `sbp_` is a Management API token."""

from __future__ import annotations

from credscope.detect.decoding import decode_jwt_claims
from credscope.model import Scope
from credscope.scope.facts import expired, from_kind, unknown
from credscope.scope.infer import Subject
from credscope.scope.jwt import claims_evidence, expiry_of


def infer(subject: Subject) -> Scope:
    secret = subject.credential.secret
    if secret.startswith("sb_secret_"):
        return from_kind(subject, "secret-key", ("sb_secret_: a secret API key, with the service_role's power",))
    if secret.startswith("sb_publishable_"):
        return from_kind(subject, "publishable-key", ("sb_publishable_: a publishable key, public by design",))
    if secret.startswith("sbp_"):
        return from_kind(subject, "management-token", ("sbp_: a personal access token for the Management API",))
    claims = decode_jwt_claims(secret)
    if claims is None:
        return from_kind(subject, subject.credential.kind)
    identity = {"project": str(claims["ref"])} if isinstance(claims.get("ref"), str) else {}
    role = claims.get("role")
    if isinstance(role, str):
        identity["role"] = role
    gone = expired(subject, expiry_of(claims), "Supabase JWT")
    if gone is not None:
        return gone
    evidence = claims_evidence(claims)
    match role:
        case "service_role":
            note = "JWT claim role=service_role bypasses row-level security"
            return from_kind(subject, "service-role-jwt", (note, *evidence), identity)
        case "anon":
            return from_kind(
                subject,
                "anon-jwt",
                ("JWT claim role=anon: the public anon key; row-level security decides what it reads", *evidence),
                identity,
            )
        case _:
            return unknown(
                (f"JWT claim role={role}: what it may do is up to row-level security policies", *evidence), identity
            )
