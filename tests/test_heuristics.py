"""credscope's own copies of detect-secrets' heuristics answer exactly as detect-secrets does, and every filter
is monotone in the name (the engine judges a value unnamed before it parses the document for names)."""

from __future__ import annotations

import string

from detect_secrets.filters import heuristic as upstream
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credscope.detect import heuristics
from credscope.detect.filters import FILTERS, FilterContext, why_not_a_secret
from credscope.testing.generate import expand

# Values near the heuristics' edges: alphabet runs, braces, dollar signs, no letters, one character.
_ALPHABETS = string.ascii_letters + string.digits + "+/=${}<>-_.*"
values = st.one_of(
    st.text(alphabet=_ALPHABETS, min_size=0, max_size=40),
    st.text(min_size=0, max_size=20),
    st.builds(
        lambda seq, start, length: seq[start : start + length],
        st.sampled_from([string.ascii_uppercase * 2 + string.digits, string.digits * 3, string.hexdigits * 2]),
        st.integers(0, 30),
        st.integers(0, 30),
    ),
)
paths = st.one_of(
    st.sampled_from(
        [
            "yarn.lock",
            "a/b/Cargo.lock",
            "package-lock.json",
            "x/package-lock.json.bak",
            "docs/swagger-ui.html",
            "api/swagger/v1.json",
            "Swagger.json",
            "src\\yarn.lock",
            "poetry.lock/",
            "",
        ]
    ),
    st.text(alphabet=string.ascii_letters + "/._-\\", max_size=30),
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(values)
def test_value_heuristics_agree_with_detect_secrets(value: str) -> None:
    assert heuristics.is_sequential_string(value) == upstream.is_sequential_string(value)
    assert heuristics.is_templated_secret(value) == upstream.is_templated_secret(value)
    assert heuristics.is_not_alphanumeric_string(value) == upstream.is_not_alphanumeric_string(value)


@settings(max_examples=300)
@given(paths)
def test_path_heuristics_agree_with_detect_secrets(path: str) -> None:
    assert heuristics.is_lock_file(path) == upstream.is_lock_file(path)
    assert heuristics.is_swagger_file(path) == upstream.is_swagger_file(path)


def test_heuristics_on_known_values() -> None:
    assert heuristics.is_sequential_string("ABCDEFGHIJKLMNOP")
    assert heuristics.is_sequential_string("0123456789abcdef")
    assert not heuristics.is_sequential_string("q8Zr2LmP")
    assert heuristics.is_templated_secret("${DB_PASSWORD}")
    assert heuristics.is_templated_secret("<password>")
    assert heuristics.is_templated_secret("") and not heuristics.is_templated_secret("x")
    assert not heuristics.is_templated_secret("$secret}")
    assert heuristics.is_not_alphanumeric_string("********")
    assert not heuristics.is_not_alphanumeric_string("1234a")
    assert heuristics.is_lock_file("web/yarn.lock") and not heuristics.is_lock_file("yarn.lock.txt")
    assert heuristics.is_swagger_file("static/swagger-ui.html") and not heuristics.is_swagger_file("api/v1.json")


# Names that switch on each name-reading filter: identifiers, hash names, public material, pagination tokens,
# names the value repeats, and plain credential names.
_NAMES = [
    "password",
    "DB_PASSWORD",
    "client_secret",
    "token_id",
    "api_key_name",
    "secret.name",
    "sha256_hash",
    "public_key",
    "NextToken",
    "csrf_token",
    "secretsmanager",
    "prod_db_password",
    "SMTP_PASSWORD",
    "updated_token",
    "ALGOLIA_SEARCH_API_KEY",
    "test",
    "cert",
]
_GENERATED = ["{{github:ghp}}", "{{aws-secret}}", "{{password}}", "{{stripe:sk_live}}", "{{jwt}}"]
secrets_ = st.one_of(
    st.text(alphabet=string.ascii_letters + string.digits + "-_.:/@${}<>%", min_size=1, max_size=40),
    st.sampled_from(
        [
            "secrets-manager",
            "changeme123",
            "role-secret-key",
            "https://user:password@proxy.example",
            "ssh-rsa AAAAB3Nza",
            "deadbeefdeadbeefdeadbeefdeadbeefdeadbeef",
            "0123456789abcdef0123",
            "${SECRET}",
            "updated-token",
            "dbpassword123",
            "smtp-password-2",
            "Wachtwoord",
            "2FA-token",
        ]
    ),
)


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(
    secret=st.one_of(secrets_, st.sampled_from(_GENERATED).map(lambda t: expand(t).text)),
    name=st.one_of(st.sampled_from(_NAMES), st.text(alphabet=string.ascii_letters + "_.", min_size=1, max_size=20)),
    provider=st.sampled_from(["generic", "github", "aws"]),
    path=st.sampled_from(
        [
            "app.py",
            "yarn.lock",
            "docs/swagger.json",
            "botocore/data/s3/examples-1.json",
            ".env",
            "config/locales/nl.yml",
        ]
    ),
    prefix=st.sampled_from(["", "commit ", "sha256-", "data:image/png;base64,", "x = "]),
)
def test_every_filter_is_monotone_in_the_name(secret: str, name: str, provider: str, path: str, prefix: str) -> None:
    line = f"{prefix}{secret}  # {name}"
    unnamed = FilterContext(secret, line, None, path, "rule", provider)
    named = FilterContext(secret, line, name, path, "rule", provider)
    for check in FILTERS:
        if check(unnamed):
            assert check(named), f"{check.__name__} rejects {secret!r} unnamed but keeps it as {name!r}"
    if why_not_a_secret(unnamed):
        assert why_not_a_secret(named)
