"""Kubernetes: client certificates in `system:masters` (cluster-admin RBAC cannot revoke), admin user names,
and service-account token claims; what RBAC grants anyone else needs a live query."""

from __future__ import annotations

import base64
import binascii
import calendar
import re
import urllib.parse
from dataclasses import dataclass, replace

from credscope.detect.decoding import decode_jwt_claims
from credscope.model import Scope
from credscope.scope.databases import host_verdict
from credscope.scope.facts import add, context_values, expired, from_kind, unknown
from credscope.scope.infer import Subject
from credscope.scope.jwt import claims_evidence, expiry_of

_ADMIN_USER = re.compile(r"(?i)(?:^|[-_.:])admin$|^cluster-admin$")
_CERT_PEM = re.compile(r"-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----")
RBAC_UNKNOWN = "what RBAC grants it needs a live query (SelfSubjectRulesReview)"


@dataclass(frozen=True)
class Certificate:
    common_name: str
    organizations: tuple[str, ...]
    not_after: float


def infer(subject: Subject) -> Scope:
    scope = _infer(subject)
    servers = context_values(subject.credential, "server")
    if not servers:
        return scope
    try:
        host = urllib.parse.urlsplit(servers[0]).hostname or servers[0]
    except ValueError:  # `server:` is scanned text: an unclosed `[` is no URL
        host = servers[0]
    production, _ = host_verdict(host)
    note = f"cluster server {servers[0]}" + (": this machine (a local cluster)" if production is False else "")
    return replace(add(scope, (note,)), production=production if production is False else scope.production)


def _infer(subject: Subject) -> Scope:
    credential = subject.credential
    certificate = next(filter(None, (certificate_of(v) for v in (*credential.parts.values(), credential.secret))), None)
    users = context_values(credential, "user", "username", "kube_user")
    if certificate is not None:
        return _certificate(subject, certificate)
    claims = decode_jwt_claims(credential.secret)
    if claims is not None and str(claims.get("sub", "")).startswith("system:serviceaccount:"):
        return _service_account(subject, claims)
    admin_user = next((u for u in users if _ADMIN_USER.search(u)), None)
    if admin_user is not None:
        note = f"kubeconfig user {admin_user}: an admin user by name (kubeadm's cluster-admin is kubernetes-admin)"
        return from_kind(subject, "cluster-admin", (note,), {"user": admin_user})
    identity = {"user": users[0]} if users else {}
    return unknown((RBAC_UNKNOWN,), identity)


def certificate_of(value: str) -> Certificate | None:
    """Parse an X.509 client certificate given as PEM or base64 PEM (kubeconfig *-data); None otherwise."""
    pem = _CERT_PEM.search(value)
    if pem is None:
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("ascii")
        except (binascii.Error, ValueError):
            return None
        pem = _CERT_PEM.search(decoded)
        if pem is None:
            return None
    try:
        from cryptography import x509  # noqa: PLC0415 - optional, heavy; only for certificates
        from cryptography.x509.oid import NameOID  # noqa: PLC0415
    except ImportError:
        return None
    try:
        certificate = x509.load_pem_x509_certificate(pem.group(0).encode("ascii"))
    except ValueError:
        return None
    subject = certificate.subject
    common = [str(a.value) for a in subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    groups = tuple(str(a.value) for a in subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME))
    not_after = float(calendar.timegm(certificate.not_valid_after_utc.utctimetuple()))
    return Certificate(common[0] if common else "", groups, not_after)


def _certificate(subject: Subject, certificate: Certificate) -> Scope:
    identity = {"user": certificate.common_name, "groups": ", ".join(certificate.organizations)}
    gone = expired(subject, certificate.not_after, "client certificate")
    if gone is not None:
        return gone
    if "system:masters" in certificate.organizations:
        note = "client certificate in group system:masters: cluster-admin that no RBAC change can revoke"
        return from_kind(subject, "cluster-admin", (note,), identity)
    if "kubeadm:cluster-admins" in certificate.organizations:
        note = "client certificate in group kubeadm:cluster-admins: bound to cluster-admin (revocable)"
        return from_kind(subject, "cluster-admin", (note,), identity)
    if _ADMIN_USER.search(certificate.common_name):
        note = f"client certificate for {certificate.common_name}: an admin user by name"
        return from_kind(subject, "cluster-admin", (note,), identity)
    groups = ", ".join(certificate.organizations) or "none"
    return unknown((f"client certificate CN={certificate.common_name}, groups {groups}", RBAC_UNKNOWN), identity)


def _service_account(subject: Subject, claims: dict[str, object]) -> Scope:
    sub = str(claims["sub"])
    _, _, namespace, name = [*sub.split(":", 3), "", ""][:4]
    identity = {"service_account": name, "namespace": namespace}
    gone = expired(subject, expiry_of(claims), "service-account token")
    if gone is not None:
        return gone
    legacy = claims.get("iss") == "kubernetes/serviceaccount"
    kind_note = "a legacy secret-based service-account token: it never expires" if legacy else "a bound token"
    note = f"service account {namespace}/{name}: {kind_note}"
    return unknown((note, *claims_evidence(claims), RBAC_UNKNOWN), identity)
