"""Property-based fuzzing of what decodes scanned values: base64/base64url, JWTs, PyPI macaroons, iron seals,
AWS key ids, the checksum validators, connection URIs, PEM previews, X.509 client certificates, and every
provider's offline inference fed hostile secrets and context (claims, caveats, hosts).

The decoders promise `None`, never an exception; inference promises a Scope, never an exception; the preview
promises never to show the secret.
"""

from __future__ import annotations

import base64
import functools
import json
import math
import os
import string
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from credscope.catalogue import Catalogue, load_catalogue
from credscope.detect.checksums import VALIDATORS, is_jwt, is_pypi_macaroon
from credscope.detect.decoding import (
    aws_account_from_key_id,
    b64url_decode,
    decode_jwt_claims,
    decode_jwt_part,
    decode_pypi_macaroon,
    iron_expiry_ms,
    parse_macaroon_v2,
)
from credscope.model import Credential, Location, Reach, canonical_secret, fingerprint_of, redact, shape
from credscope.scope import databases, kubernetes
from credscope.scope.infer import assess
from credscope.scope.registry import builtin_inferences

FUZZ = settings(
    # CREDSCOPE_FUZZ_SCALE=20 for a deeper local run; CI keeps the default.
    max_examples=80 * int(os.environ.get("CREDSCOPE_FUZZ_SCALE", "1")),
    deadline=2000,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

_B64URL = string.ascii_letters + string.digits + "-_"
anything = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=_B64URL + "=.*", max_size=200),
    st.binary(max_size=200).map(lambda b: b.decode("utf-8", "surrogateescape")),
)


@FUZZ
@given(anything)
def test_text_decoders_return_none_instead_of_raising(text: str) -> None:
    assert aws_account_from_key_id(text) is None or len(aws_account_from_key_id(text) or "") == 12
    decoded = b64url_decode(text)
    assert decoded is None or isinstance(decoded, bytes)
    assert decode_jwt_part(text) is None or isinstance(decode_jwt_part(text), dict)
    assert decode_jwt_claims(text) is None or isinstance(decode_jwt_claims(text), dict)
    assert decode_pypi_macaroon("pypi-" + text) is None or is_pypi_macaroon("pypi-" + text) in (True, False)
    assert iron_expiry_ms(text) is None or iron_expiry_ms(text) >= 0  # type: ignore[operator]
    for name, validator in VALIDATORS.items():
        assert validator(text) in (True, False), name


@FUZZ
@given(st.binary(max_size=300))
def test_macaroon_parser_never_raises_on_bytes(data: bytes) -> None:
    info = parse_macaroon_v2(data)
    assert info is None or isinstance(info["caveats"], list)
    assert parse_macaroon_v2(b"\x02" + data) is None or True


json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**40), max_value=10**40),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=30),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
# Claims a hostile file can carry: the registered ones with any JSON value, exp included (1e999 parses as inf).
claims = st.dictionaries(
    st.sampled_from(
        ["exp", "iat", "nbf", "sub", "iss", "aud", "role", "roles", "scope", "scp", "ref", "kubernetes.io"]
    ),
    json_values,
    max_size=6,
)


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _jwt(header: dict[str, Any], payload: dict[str, Any], signature: bytes) -> str:
    def encode(value: dict[str, Any]) -> str:
        return _b64url(json.dumps(value, allow_nan=True).encode())

    return f"{encode(header)}.{encode(payload)}.{_b64url(signature)}"


@FUZZ
@given(claims, st.binary(min_size=1, max_size=40))
def test_jwt_claims_decode_whatever_they_hold(payload: dict[str, Any], signature: bytes) -> None:
    token = _jwt({"alg": "HS256", "typ": "JWT"}, payload, signature)
    assert is_jwt(token)
    decoded = decode_jwt_claims(token)
    assert decoded is not None and decoded.keys() == payload.keys()


# --- PyPI macaroons with hostile caveats ----------------------------------------------------------------------


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(kind: int, data: bytes) -> bytes:
    return _varint(kind) + _varint(len(data)) + data


def _macaroon(location: str, caveats: list[str]) -> str:
    """A v2 macaroon with a signature of the right length (credscope reads structure only, never the HMAC)."""
    data = b"\x02" + _field(1, location.encode()) + _field(2, b"identifier") + b"\x00"
    for caveat in caveats:
        data += _field(2, caveat.encode()) + b"\x00"
    data += b"\x00" + _field(6, bytes(32))
    return "pypi-" + _b64url(data)


caveat_texts = st.one_of(
    json_values.map(lambda v: json.dumps(v, allow_nan=True)),
    st.tuples(st.integers(0, 4), json_values).map(lambda t: json.dumps(list(t), allow_nan=True)),
    st.integers(min_value=-(10**30), max_value=10**30).map(lambda n: json.dumps([0, n, 0])),
    st.integers(min_value=-(10**30), max_value=10**30).map(lambda n: json.dumps({"exp": n})),
    st.text(max_size=40),
)


@functools.cache
def _catalogue() -> Catalogue:
    return load_catalogue()


def _credential(provider: str, kind: str, rule: str, secret: str, context: dict[str, str] | None = None) -> Credential:
    location = Location("config/app.env", 1, 1, Reach.TRACKED, context=context or {})
    return Credential(fingerprint_of(secret), provider, kind, rule, secret, (location,))


@FUZZ
@given(st.sampled_from(["pypi.org", "test.pypi.org"]), st.lists(caveat_texts, max_size=4))
def test_pypi_inference_survives_any_caveat(location: str, caveats: list[str]) -> None:
    token = _macaroon(location, caveats)
    info = decode_pypi_macaroon(token)
    assert info is not None and info["caveats"] == caveats
    assert is_pypi_macaroon(token)
    assessed = assess(_credential("pypi", "user-token", "pypi-token", token), _catalogue(), builtin_inferences())
    assert assessed.scope.evidence


def test_pypi_expiration_caveat_beyond_the_calendar() -> None:
    # Regression: an Expiration caveat far in the future (or past) overflowed time.gmtime and the scan died
    # with an internal error; now the date is shown as out of range and the token judged by its other caveats.
    for exp, access in ((10**30, "write"), (-(10**30), "none")):
        token = _macaroon("pypi.org", [json.dumps([0, exp, 0]), json.dumps([1, ["demo"]])])
        assessed = assess(_credential("pypi", "user-token", "pypi-token", token), _catalogue(), builtin_inferences())
        assert assessed.scope.access.value == access
        assert any("out of range" in line for line in assessed.scope.evidence), assessed.scope.evidence


# --- JWT-bearing providers with hostile claims ----------------------------------------------------------------


def _jwt_rules() -> list[tuple[str, str, str]]:
    wanted = []
    for provider in _catalogue().providers.values():
        for rule in provider.rules:
            if rule.validate == "jwt" or "jwt" in rule.id:
                wanted.append((provider.id, rule.kind, rule.id))
    return sorted(set(wanted))


def test_jwt_bearing_rules_exist() -> None:
    providers = {provider for provider, _, _ in _jwt_rules()}
    assert {"generic", "supabase", "kubernetes"} <= providers


@FUZZ
@given(st.data(), claims)
def test_jwt_inference_survives_any_claims(data: st.DataObject, payload: dict[str, Any]) -> None:
    provider, kind, rule = data.draw(st.sampled_from(_jwt_rules()))
    token = _jwt({"alg": "HS256"}, payload, b"signature")
    assessed = assess(_credential(provider, kind, rule, token), _catalogue(), builtin_inferences())
    assert assessed.scope.evidence


@pytest.mark.parametrize("exp", [1e999, -1e999, float("nan"), 10**30, -(10**30), 1e300])
def test_jwt_expiry_beyond_the_calendar(exp: float) -> None:
    # Regression: `exp` of 1e999 (inf), NaN or 10**30 overflowed time.gmtime in the evidence and the scan died
    # with an internal error (exit 3).
    token = _jwt({"alg": "HS256"}, {"sub": "system:serviceaccount:ns:sa", "exp": exp}, b"sig")
    for provider, kind, rule in _jwt_rules():
        assessed = assess(_credential(provider, kind, rule, token), _catalogue(), builtin_inferences())
        assert assessed.scope.evidence
        if isinstance(exp, float) and math.isnan(exp):
            assert assessed.scope.access.value != "none", "NaN is no expiry, not an expired token"


# --- connection URIs ------------------------------------------------------------------------------------------

uri_part = st.text(alphabet=string.printable + "é[]@:/?#%", max_size=20)
uris = st.one_of(
    st.builds(
        lambda scheme, user, password, host, port, db, query: f"{scheme}://{user}:{password}@{host}{port}/{db}{query}",
        st.sampled_from(["postgres", "postgresql", "mysql", "mongodb", "mongodb+srv", "redis", "rediss", "jdbc:mysql"]),
        uri_part,
        uri_part,
        st.one_of(uri_part, st.just("[::1"), st.just("[fe80::1%eth0]"), st.just("h1,h2:27017")),
        st.one_of(st.just(""), st.integers(-5, 99999).map(lambda p: f":{p}"), uri_part.map(lambda p: ":" + p)),
        uri_part,
        st.one_of(st.just(""), uri_part.map(lambda q: "?" + q)),
    ),
    st.builds(lambda u, p, h: f"{u}:{p}@tcp({h})/db?x=1", uri_part, uri_part, uri_part),
    st.builds(lambda h, p: f"host={h} user=u password={p} dbname=d", uri_part, uri_part),
    anything,
)


@FUZZ
@given(st.data(), uris, st.dictionaries(st.sampled_from(["name", "server", "user", "host"]), uri_part, max_size=3))
def test_database_inference_survives_any_uri(data: st.DataObject, uri: str, context: dict[str, str]) -> None:
    databases.parse(uri)
    provider = data.draw(st.sampled_from(["postgres", "mysql", "mongodb", "redis"]))
    kind = next(iter(_catalogue().providers[provider].kinds))
    assessed = assess(_credential(provider, kind, f"{provider}-uri", uri, context), _catalogue(), builtin_inferences())
    assert assessed.scope.evidence


# --- every provider's inference with any secret and any context -----------------------------------------------


def _every_rule() -> list[tuple[str, str, str]]:
    return sorted({(p.id, r.kind, r.id) for p in _catalogue().providers.values() for r in p.rules})


context_values = st.one_of(uri_part, st.just("https://[::1"), st.just("http://[bad"), st.just(""))


@FUZZ
@given(
    st.data(),
    anything,
    st.dictionaries(
        st.sampled_from(["name", "server", "user", "username", "kube_user", "profile", "role_arn", "host", "key_path"]),
        context_values,
        max_size=4,
    ),
)
def test_every_inference_survives_any_secret_and_context(
    data: st.DataObject, secret: str, context: dict[str, str]
) -> None:
    assume(secret)
    provider, kind, rule = data.draw(st.sampled_from(_every_rule()))
    assessed = assess(_credential(provider, kind, rule, secret, context), _catalogue(), builtin_inferences())
    assert assessed.severity is not None


def test_kubeconfig_server_that_is_not_a_url() -> None:
    # Regression: a kubeconfig `server:` with an unclosed IPv6 bracket made urlsplit raise ValueError inside
    # the Kubernetes inference: the scan died with an internal error instead of judging the token.
    for server in ("https://[::1", "http://[bad]:x", "https://[fe80::1%25eth0"):
        context = {"server": server}
        credential = _credential("kubernetes", "kubeconfig-token", "kubernetes-kubeconfig-token", "x" * 40, context)
        assessed = assess(credential, _catalogue(), builtin_inferences())
        assert any(server in line for line in assessed.scope.evidence)


# --- PEM blocks, certificates and the preview -----------------------------------------------------------------

pem_bodies = st.text(alphabet=string.ascii_letters + string.digits + "+/=\n \t\\rn", max_size=300)
pem_labels = st.sampled_from(["RSA PRIVATE KEY", "PRIVATE KEY", "OPENSSH PRIVATE KEY", "CERTIFICATE", "", "X" * 50])


@FUZZ
@given(pem_labels, pem_bodies, st.booleans())
def test_pem_blocks_and_certificates_never_raise(label: str, body: str, closed: bool) -> None:
    block = f"-----BEGIN {label}-----{body}" + (f"-----END {label}-----" if closed else "")
    assert canonical_secret(block).startswith("-----BEGIN")
    assert len(fingerprint_of(block)) == 64
    preview = redact(block)
    assert body.strip() == "" or body not in preview or len(body) < 3
    assert kubernetes.certificate_of(block) is None
    assert kubernetes.certificate_of(base64.b64encode(block.encode()).decode()) is None


@FUZZ
@given(st.text(alphabet=string.ascii_letters + string.digits + "_-+/", min_size=9, max_size=120))
@example("-----BEGIN")  # found by Hypothesis in CI: a bare PEM opening was shown whole
def test_the_preview_never_shows_the_secret(secret: str) -> None:
    preview = redact(secret)
    assert secret not in preview
    # Not even most of it: at most 8 characters of the secret are shown, then its shape (length and classes).
    shown, _, described = preview.rpartition(" (")
    assert described == shape(secret) + ")"
    assert len(shown.replace("…", "").replace("*", "")) <= 8


@FUZZ
@given(
    st.sampled_from(["postgres", "mysql", "redis", "mongodb+srv"]),
    st.text(alphabet=string.ascii_letters, min_size=1, max_size=10),
    st.text(alphabet=string.ascii_letters + string.digits + "!$%^&*()_+-=", min_size=12, max_size=40),
    st.text(alphabet=string.ascii_lowercase + ".", min_size=1, max_size=30),
)
def test_the_preview_of_a_connection_uri_hides_the_password(scheme: str, user: str, password: str, host: str) -> None:
    assume(password not in f"{scheme}://{user}:@{host}/db")
    assert password not in redact(f"{scheme}://{user}:{password}@{host}/db")
    assert password not in redact(f"Server={host};User Id={user};Password={password};")


def test_aws_inference_on_a_key_id_shorter_than_a_prefix() -> None:
    # Regression: the evidence indexed key_id[4] and raised IndexError for a key id of 4 characters or fewer
    # (reachable through a provider directory whose AWS-like rule matches shorter ids).
    for key_id in ("AKIA", "A"):
        assessed = assess(
            _credential("aws", "access-key-id", "aws-access-key-id", key_id), _catalogue(), builtin_inferences()
        )
        assert any(f"key id {key_id}… predates" in line for line in assessed.scope.evidence), assessed.scope.evidence
