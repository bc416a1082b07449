"""Public material: public keys and certificates, identifiers public by design, data URIs."""

from __future__ import annotations

import re

from credscope.detect.filters.base import GENERIC_PROVIDER, FilterContext, before, words_of
from credscope.detect.public_ids import public_identifier

_PUBLIC = re.compile(
    r"^(?:ssh-(?:rsa|dss|ed25519)|ecdsa-sha2-nistp\d+|sk-(?:ssh|ecdsa)-[\w@.-]+) AAAA"
    r"|^-----BEGIN (?:PUBLIC KEY|RSA PUBLIC KEY|CERTIFICATE|CERTIFICATE REQUEST|NEW CERTIFICATE REQUEST"
    r"|X509 CRL|PGP PUBLIC KEY BLOCK|PGP SIGNATURE|SSH2 PUBLIC KEY|DH PARAMETERS|EC PARAMETERS)-----"
    # the same headers base64-encoded, as in kubeconfig *-data fields and Kubernetes Secrets
    r"|^LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t|^LS0tLS1CRUdJTiBQVUJMSUMgS0VZLS0tLS0|^LS0tLS1CRUdJTiBSU0EgUFVCTElDIEtFWS0tLS0t"
)
_PUBLIC_WORDS = frozenset({"public", "pub", "pubkey", "publickey", "cert", "certificate", "crt", "ca", "csr"})


def public_material(ctx: FilterContext) -> str | None:
    if _PUBLIC.search(ctx.secret):
        return "public key or certificate"
    if ctx.provider == GENERIC_PROVIDER and ctx.name:
        words = words_of(ctx.name)
        if words & _PUBLIC_WORDS:
            return "public key or certificate"
        # Algolia's search-only key is meant for browser code; its admin and write keys are not.
        if "algolia" in words and words & {"search", "searchonly"} and not words & {"admin", "write", "private"}:
            return "Algolia search-only key (public by design)"
    return None


def public_id(ctx: FilterContext) -> str | None:
    """Blockchain addresses, age and Nostr public keys, OAuth client ids, Mapbox public tokens: by format."""
    return public_identifier(ctx.secret)


_DATA_URI = re.compile(r"data:[\w.+-]+/[\w.+-]+(?:;[\w=.-]+)*;base64,\s*$")


def data_uri(ctx: FilterContext) -> str | None:
    if ctx.secret.startswith("data:"):
        return "data URI"
    return "data URI" if _DATA_URI.search(before(ctx)[-120:]) else None
