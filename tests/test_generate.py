"""Generated credentials have each provider's real format, pass their validators and round-trip decoders."""

from __future__ import annotations

import base64
import calendar
import hashlib
import hmac
import json
import random
import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credscope.detect.checksums import VALIDATORS, base62_crc32, gitlab_routable_crc32
from credscope.detect.decoding import (
    aws_account_from_key_id,
    b64url_decode,
    decode_jwt_claims,
    decode_pypi_macaroon,
    iron_expiry_ms,
)
from credscope.detect.entropy import shannon
from credscope.testing.generate import GENERATORS, Expansion, expand

DRAWS = 50

# template -> (full-match regex, validator name or None). Regexes come from scopes.md / railway.md.
FORMATS: dict[str, tuple[str, str | None]] = {
    "{{uuid4}}": (r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", None),
    "{{password}}": (r"\S{20}", None),
    "{{aws}}": (r"AKIA[Q-Z2-7][A-Z2-7]{15}", None),
    "{{aws:asia}}": (r"ASIA[Q-Z2-7][A-Z2-7]{15}", None),
    "{{aws-secret}}": (r"[A-Za-z0-9+/]{40}", None),
    "{{aws-session}}": (r"IQoJb3JpZ2luX2Vj[A-Za-z0-9+/]{600,}", None),
    "{{github}}": (r"ghp_[A-Za-z0-9]{36}", "github-crc32"),
    "{{github:gho}}": (r"gho_[A-Za-z0-9]{36}", "github-crc32"),
    "{{github:ghu}}": (r"ghu_[A-Za-z0-9]{36}", "github-crc32"),
    "{{github:ghs}}": (r"ghs_[A-Za-z0-9]{36}", "github-crc32"),
    "{{github:ghr}}": (r"ghr_[A-Za-z0-9]{36}", "github-crc32"),
    "{{github:fine}}": (r"github_pat_11[A-Za-z0-9]{20}_[A-Za-z0-9]{59}", None),
    "{{railway-legacy}}": (
        r"rw_Fe26\.2\*\*[0-9a-f]{64}\*[A-Za-z0-9_-]{22}\*[A-Za-z0-9_-]+\*\d{13}\*[A-Za-z0-9_-]+\*[A-Za-z0-9_-]+",
        None,
    ),
    "{{postgres}}": (r"postgresql://app:[A-Za-z0-9]{24}@db\.internal:5432/app", None),
    "{{postgres:admin@db.prod.example:6543/rentals}}": (
        r"postgresql://admin:[A-Za-z0-9]{24}@db\.prod\.example:6543/rentals",
        None,
    ),
    "{{mysql}}": (r"mysql://app:[A-Za-z0-9]{24}@mysql\.internal:3306/app", None),
    "{{mongodb}}": (r"mongodb://app:[A-Za-z0-9]{24}@mongo\.internal:27017/app\?authSource=admin", None),
    "{{mongodb:srv}}": (
        r"mongodb\+srv://app:[A-Za-z0-9]{24}@cluster0\.abcde\.mongodb\.net/\?retryWrites=true&w=majority",
        None,
    ),
    "{{redis}}": (r"redis://:[A-Za-z0-9]{24}@redis\.internal:6379/0", None),
    "{{redis:default@cache.example:6380}}": (r"redis://default:[A-Za-z0-9]{24}@cache\.example:6380/0", None),
    "{{gitlab}}": (r"glpat-[0-9A-Za-z_-]{27,300}\.01\.[0-9a-z]{2}[0-9a-z]{7}", "gitlab-routable-crc32"),
    "{{gitlab:glpat-unversioned}}": (r"glpat-[0-9A-Za-z_-]{27,300}\.[0-9a-z]{2}[0-9a-z]{7}", "gitlab-routable-crc32"),
    "{{gitlab:glrt}}": (r"glrt-t1_[0-9A-Za-z_-]{27,300}\.01\.[0-9a-z]{2}[0-9a-z]{7}", "gitlab-routable-crc32"),
    "{{gitlab:glpat-legacy}}": (r"glpat-[\w-]{20}", None),
    "{{gitlab:glrt-legacy}}": (r"glrt-[\w-]{20}", None),
    "{{gitlab:gldt}}": (r"gldt-[\w-]{20}", None),
    "{{gitlab:glft}}": (r"glft-[\w-]{20}", None),
    "{{gitlab:glsoat}}": (r"glsoat-[\w-]{20}", None),
    "{{gitlab:glffct}}": (r"glffct-[\w-]{20}", None),
    "{{gitlab:glimt}}": (r"glimt-[\w-]{25}", None),
    "{{gitlab:glagent}}": (r"glagent-[\w-]{50}", None),
    "{{gitlab:gloas}}": (r"gloas-[\w-]{64}", None),
    "{{gitlab:glptt}}": (r"glptt-[0-9a-f]{40}", None),
    "{{stripe}}": (r"sk_live_51[A-Za-z0-9]{97}", None),
    "{{stripe:sk_test}}": (r"sk_test_51[A-Za-z0-9]{97}", None),
    "{{stripe:rk_live}}": (r"rk_live_51[A-Za-z0-9]{97}", None),
    "{{stripe:rk_test}}": (r"rk_test_51[A-Za-z0-9]{97}", None),
    "{{stripe:pk_live}}": (r"pk_live_51[A-Za-z0-9]{97}", None),
    "{{stripe:pk_test:legacy}}": (r"pk_test_[A-Za-z0-9]{24}", None),
    "{{slack}}": (r"xoxb-[0-9]{10,13}-[0-9]{10,13}[a-zA-Z0-9-]*", None),
    "{{slack:xoxp}}": (r"xoxp(?:-[0-9]{10,13}){3}-[a-zA-Z0-9-]{28,34}", None),
    "{{slack:xapp}}": (r"xapp-\d-[A-Z0-9]+-\d+-[a-z0-9]+", None),
    "{{slack:xoxe.xoxp}}": (r"xoxe\.xoxp-\d-[A-Z0-9]{163,166}", None),
    "{{slack:xoxe}}": (r"xoxe-\d-[A-Z0-9]{146}", None),
    "{{slack:webhook}}": (r"https://hooks\.slack\.com/services/T[A-Z0-9]{10}/B[A-Z0-9]{10}/[A-Za-z0-9]{24}", None),
    "{{openai}}": (r"sk-proj-[A-Za-z0-9_-]{74}T3BlbkFJ[A-Za-z0-9_-]{74}", None),
    "{{openai:svcacct}}": (r"sk-svcacct-[A-Za-z0-9_-]{74}T3BlbkFJ[A-Za-z0-9_-]{74}", None),
    "{{openai:admin}}": (r"sk-admin-[A-Za-z0-9_-]{58}T3BlbkFJ[A-Za-z0-9_-]{58}", None),
    "{{openai:legacy}}": (r"sk-[a-zA-Z0-9]{20}T3BlbkFJ[a-zA-Z0-9]{20}", None),
    "{{anthropic}}": (r"sk-ant-(?:api03)-[\w-]{93}AA", None),
    "{{anthropic:admin01}}": (r"sk-ant-(?:admin01)-[\w-]{93}AA", None),
    "{{huggingface}}": (r"hf_[A-Za-z]{34}", None),
    "{{huggingface:org}}": (r"api_org_[A-Za-z]{34}", None),
    "{{jwt}}": (r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]{43}", "jwt"),
    "{{supabase}}": (r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]{43}", "jwt"),
    "{{supabase:service_role}}": (r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]{43}", "jwt"),
    "{{supabase:secret}}": (r"sb_secret_[\w-]{22}_[\w-]{8}", None),
    "{{supabase:publishable}}": (r"sb_publishable_[\w-]{22}_[\w-]{8}", None),
    "{{supabase:pat}}": (r"sbp_[0-9a-f]{40}", None),
    "{{kubernetes}}": (r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]{342}", "jwt"),
    "{{kubernetes:legacy}}": (r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]{342}", "jwt"),
    "{{npm}}": (r"npm_[A-Za-z0-9]{36}", "npm-crc32"),
    "{{npm:legacy}}": (r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", None),
    "{{pypi}}": (r"pypi-AgEIcHlwaS5vcmcCJ[\w-]{150,157}", "pypi-macaroon"),
    "{{pypi:project:requests}}": (r"pypi-AgEIcHlwaS5vcmcCJ[\w-]{50,1000}", "pypi-macaroon"),
    "{{pypi:user,test}}": (r"pypi-AgENdGVzdC5weXBpLm9yZw[\w-]{50,1000}", "pypi-macaroon"),
    "{{docker}}": (r"dckr_pat_[\w-]{27}", None),
    "{{docker:oat}}": (r"dckr_oat_[\w-]{32}", None),
    "{{docker-auth}}": (r"[A-Za-z0-9+/]+={0,2}", None),
    "{{digitalocean}}": (r"dop_v1_[a-f0-9]{64}", None),
    "{{digitalocean:doo}}": (r"doo_v1_[a-f0-9]{64}", None),
    "{{digitalocean:dor}}": (r"dor_v1_[a-f0-9]{64}", None),
    "{{cloudflare}}": (r"cfut_[A-Za-z0-9]{40}[0-9a-f]{8}", "cloudflare-crc32"),
    "{{cloudflare:cfat}}": (r"cfat_[A-Za-z0-9]{40}[0-9a-f]{8}", "cloudflare-crc32"),
    "{{cloudflare:cfk}}": (r"cfk_[A-Za-z0-9]{40}[0-9a-f]{8}", "cloudflare-crc32"),
    "{{cloudflare:legacy-token}}": (r"[\w-]{40}", None),
    "{{cloudflare:legacy-key}}": (r"[0-9a-f]{37}", None),
    "{{cloudflare:origin-ca}}": (r"v1\.0-[0-9a-f]{24}-[0-9a-f]{146}", None),
    "{{vercel}}": (r"vcp_[A-Za-z0-9_-]{56}", None),
    "{{vercel:vci}}": (r"vci_[A-Za-z0-9_-]{56}", None),
    "{{vercel:vca}}": (r"vca_[A-Za-z0-9_-]{56}", None),
    "{{vercel:vcr}}": (r"vcr_[A-Za-z0-9_-]{56}", None),
    "{{vercel:vck}}": (r"vck_[A-Za-z0-9_-]{56}", None),
    "{{vercel:legacy}}": (r"[A-Za-z0-9]{24}", None),
    "{{fly}}": (r"FlyV1 fm2_lJPE[A-Za-z0-9+/]{100,}={0,3},fm2_lJPE[A-Za-z0-9+/]{100,}={0,3}", None),
    "{{fly:fo1}}": (r"fo1_[\w-]{43}", None),
    "{{heroku}}": (r"HRKU-AA[0-9a-zA-Z_-]{58}", None),
    "{{heroku:legacy}}": (r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", None),
    "{{netlify}}": (r"nfp_[A-Za-z0-9]{40}", None),
    "{{render}}": (r"rnd_[A-Za-z0-9]{32}", None),
    "{{neon}}": (r"napi_[a-z0-9]{64}", None),
    "{{planetscale}}": (r"pscale_tkn_[\w-]{43}", None),
    "{{planetscale:pw}}": (r"pscale_pw_[\w-]{43}", None),
    "{{planetscale:oauth}}": (r"pscale_oauth_[\w-]{43}", None),
    "{{terraform}}": (r"[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9]{67}", None),
    "{{sendgrid}}": (r"SG\.[\w-]{22}\.[\w-]{43}", None),
    "{{twilio}}": (r"AC[0-9a-f]{32}", None),
    "{{twilio:token}}": (r"[0-9a-f]{32}", None),
    "{{twilio:key-sid}}": (r"SK[0-9a-f]{32}", None),
    "{{twilio:key-secret}}": (r"[0-9a-zA-Z]{32}", None),
    "{{datadog}}": (r"[0-9a-f]{32}", None),
    "{{datadog:app}}": (r"[0-9a-f]{40}", None),
    "{{azure-storage}}": (r"[A-Za-z0-9+/]{86}==", None),
    "{{azure-storage:sig}}": (r"(?:[A-Za-z0-9]|%2B|%2F){43}%3D", None),
    "{{azure-storage:connection:acme}}": (
        r"DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=[A-Za-z0-9+/]{86}==;EndpointSuffix=core\.windows\.net",
        None,
    ),
    "{{azure-storage:sas:rl}}": (
        r"sv=[\d-]+&ss=bfqt&srt=sco&sp=rl&se=[\dT:Z-]+&st=[\dT:Z-]+&spr=https&sig=(?:[A-Za-z0-9]|%2B|%2F){43}%3D",
        None,
    ),
}

# Key generation is slow, so fewer draws.
PEM_HEADERS = {
    "rsa": ("RSA PRIVATE KEY", None),
    "rsa-encrypted": ("RSA PRIVATE KEY", "Proc-Type: 4,ENCRYPTED"),
    "pkcs8": ("PRIVATE KEY", None),
    "pkcs8-encrypted": ("ENCRYPTED PRIVATE KEY", None),
    "ec": ("EC PRIVATE KEY", None),
    "openssh": ("OPENSSH PRIVATE KEY", None),
    "openssh-rsa": ("OPENSSH PRIVATE KEY", None),
    "openssh-encrypted": ("OPENSSH PRIVATE KEY", None),
    "dsa": ("DSA PRIVATE KEY", None),
}


def _draws(template: str, count: int = DRAWS) -> list[str]:
    return [expand(template).values[0] for _ in range(count)]


@pytest.mark.parametrize("template", sorted(FORMATS))
def test_format_checksum_and_freshness(template: str) -> None:
    pattern, validator = FORMATS[template]
    values = _draws(template)
    for value in values:
        assert re.fullmatch(pattern, value), value
        if validator is not None:
            assert VALIDATORS[validator](value), value
    assert len(set(values)) == len(values)


@pytest.mark.parametrize("template", sorted(FORMATS))
def test_values_have_random_looking_entropy(template: str) -> None:
    # Seeded, so the floor cannot flake; 3.0 bits/char is what a rule's entropy floor typically demands.
    rng = random.Random(template)
    assert min(shannon(expand(template, rng).values[0]) for _ in range(200)) >= 3.0


def test_every_generator_is_exercised() -> None:
    names = {re.match(r"\{\{([\w-]+)", t).group(1) for t in FORMATS}  # type: ignore[union-attr]
    assert names | {"pem", "gcp-service-account", "random"} == set(GENERATORS)


@pytest.mark.parametrize(
    ("template", "shape"),
    [
        ("{{random:alnum:32}}", r"[A-Za-z0-9]{32}"),
        ("xkeysib-{{random:hex:64}}-{{random:alnum:16}}", r"xkeysib-[0-9a-f]{64}-[A-Za-z0-9]{16}"),
        ("{{random:base32:16}}", r"[A-Z2-7]{16}"),
        ("{{random:digits:10}}", r"[0-9]{10}"),
        ("{{random:base58:44}}", r"[1-9A-HJ-NP-Za-km-z]{44}"),
    ],
)
def test_random_characters_of_a_named_alphabet(template: str, shape: str) -> None:
    values = [expand(template).text for _ in range(50)]
    assert all(re.fullmatch(shape, value) for value in values), values[:3]
    assert len(set(values)) == 50


def test_an_unknown_alphabet_is_refused() -> None:
    with pytest.raises(ValueError, match="random: unknown alphabet 'emoji'"):
        expand("{{random:emoji:10}}")


@pytest.mark.parametrize("kind", sorted(PEM_HEADERS))
def test_pem_private_keys(kind: str) -> None:
    label, marker = PEM_HEADERS[kind]
    first, second = _draws(f"{{{{pem:{kind}}}}}", 2)
    for value in (first, second):
        lines = value.strip().splitlines()
        assert lines[0] == f"-----BEGIN {label}-----"
        assert lines[-1] == f"-----END {label}-----"
        if marker is not None:
            assert marker in value
    assert first != second


def test_openssh_encrypted_names_a_cipher() -> None:
    body = "".join(expand("{{pem:openssh-encrypted}}").text.strip().splitlines()[1:-1])
    assert b"aes256-ctr" in base64.b64decode(body)[:64]


@pytest.mark.parametrize("prefix", ["akia", "asia"])
@pytest.mark.parametrize("account", ["123456789012", "000000000001", "999999999999", "052310077262"])
def test_aws_account_round_trip(prefix: str, account: str) -> None:
    for _ in range(20):
        key_id = expand(f"{{{{aws:{prefix}:{account}}}}}").values[0]
        assert key_id.startswith(prefix.upper())
        assert aws_account_from_key_id(key_id) == account


def test_aws_random_account_is_decodable() -> None:
    for key_id in _draws("{{aws}}"):
        decoded = aws_account_from_key_id(key_id)
        assert decoded is not None and re.fullmatch(r"\d{12}", decoded)


def test_aws_decoder_matches_published_example() -> None:
    # Published by Tal Be'ery (scopes.md §2); a documentation example, not a credential.
    # Split so the project's own scan does not report the documentation example as a found key id.
    assert aws_account_from_key_id("ASIA" + "Y34FZKBOKMUTVV7A") == "609629065308"
    # Fifth character A-P: old generation, no account encoded (built here so no key-shaped literal is committed).
    rng = random.Random(5)
    for _ in range(20):
        old = (
            "AKIA"
            + rng.choice("ABCDEFGHIJKLMNOP")
            + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(15))
        )
        assert aws_account_from_key_id(old) is None


@pytest.mark.parametrize("junk", ["", "AKIA", "AKIA" + "1" * 16, "akia" + "Q" * 16, "x" * 1000, "AKIAQ" + "0" * 15])
def test_aws_decoder_rejects_junk(junk: str) -> None:
    assert aws_account_from_key_id(junk) is None


def test_railway_expiry_round_trip() -> None:
    assert iron_expiry_ms(expand("{{railway-legacy:1767225600000}}").text) == 1767225600000
    now_ms = time.time() * 1000
    expired = iron_expiry_ms(expand("{{railway-legacy:expired}}").text)
    future = iron_expiry_ms(expand("{{railway-legacy:future}}").text)
    assert expired is not None and expired < now_ms
    assert future is not None and future > now_ms


def test_github_checksum_matches_published_example() -> None:
    # Worked example from therootcompany/base62-token.js README: random part -> checksum.
    assert base62_crc32("zQWBuTSOoRi4A9spHcVY5ncnsDkxkJ") == "0mLq17"


# --- template syntax ------------------------------------------------------------------------------------------


def test_ref_repeats_a_value_and_values_are_in_order() -> None:
    result = expand("id={{aws:akia:123456789012}} secret={{aws-secret}} again={{ref:0}} {{ref:1}}")
    assert isinstance(result, Expansion)
    key_id, secret = result.values
    assert result.text == f"id={key_id} secret={secret} again={key_id} {secret}"


def test_seeded_rng_is_reproducible() -> None:
    template = "{{uuid4}} {{github}} {{aws:asia}}"
    assert expand(template, random.Random(7)) == expand(template, random.Random(7))
    assert expand(template, random.Random(7)) != expand(template, random.Random(8))


def test_text_without_placeholders_is_unchanged() -> None:
    assert expand("no placeholders { here }") == Expansion(text="no placeholders { here }", values=())


@pytest.mark.parametrize(
    "literal",
    [
        'secret: "{{ .Values.aws.secretAccessKey }}"',
        "token: ${{ secrets.GITHUB_TOKEN }}",
        "token: ${{secrets.GITHUB_TOKEN}}",
        "password: {{ db_password }}",
        "password: {{db_password}}",
        "{{}} {{ }} {{:x}}",
    ],
)
def test_other_template_languages_are_left_alone(literal: str) -> None:
    assert expand(literal) == Expansion(text=literal, values=())


def test_placeholder_next_to_extra_braces() -> None:
    result = expand("{{{uuid4}}}")
    assert result.text == "{" + result.values[0] + "}"


def test_unknown_generator_is_named() -> None:
    with pytest.raises(ValueError, match="nosuchthing"):
        expand("x={{nosuchthing:arg}}")


@pytest.mark.parametrize(
    "template",
    ["{{ref:0}}", "{{ref:x}}", "{{uuid4}}{{ref:1}}", "{{uuid4", "{{aws:zzzz}}", "{{github:xyz}}", "{{token}}"],
)
def test_bad_templates_raise_value_error(template: str) -> None:
    with pytest.raises(ValueError):
        expand(template)


# --- validators reject one-character mutations ---------------------------------------------------------------

CHECKSUMMED = sorted({(t, v) for t, (_, v) in FORMATS.items() if v is not None and v.endswith("crc32")})


def _mutations(value: str, rng: random.Random) -> list[str]:
    """Single-character substitutions in the checksummed body (after the prefix), within its own alphabet."""
    start = min(i for i in (value.find("_"), value.find("-"), len(value)) if i >= 0) + 1
    alphabet = sorted(set(value[start:]) - {"_", "-", "."})
    out = []
    for position in rng.sample(range(start, len(value)), min(len(value) - start, 16)):
        if value[position] in "_-.":
            continue
        replacement = rng.choice([c for c in alphabet if c != value[position]])
        out.append(value[:position] + replacement + value[position + 1 :])
    return out


@pytest.mark.parametrize(("template", "validator"), CHECKSUMMED)
def test_checksum_rejects_single_character_mutation(template: str, validator: str) -> None:
    rng = random.Random(1234)
    check = VALIDATORS[validator]
    for value in _draws(template, 10):
        mutations = _mutations(value, rng)
        assert mutations
        for mutated in mutations:
            assert not check(mutated), (value, mutated)


# --- structural validators reject broken structure -------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def test_pypi_validator_rejects_other_locations_and_truncation() -> None:
    token = expand("{{pypi}}").text
    raw = b64url_decode(token.removeprefix("pypi-"))
    assert raw is not None and raw[3:11] == b"pypi.org"
    elsewhere = raw[:3] + b"pypi.orz" + raw[11:]
    assert not VALIDATORS["pypi-macaroon"]("pypi-" + _b64url(elsewhere))
    assert decode_pypi_macaroon("pypi-" + _b64url(elsewhere)) is not None  # still a macaroon, just not PyPI's
    for cut in (1, 5, 33, len(raw) // 2):
        assert not VALIDATORS["pypi-macaroon"]("pypi-" + _b64url(raw[:-cut]))
    assert not VALIDATORS["pypi-macaroon"]("pypi-" + _b64url(raw + b"\x00"))
    assert not VALIDATORS["pypi-macaroon"](token.replace("pypi-", "pypy-"))


def test_jwt_validator_rejects_non_objects_and_wrong_shape() -> None:
    token = expand("{{jwt}}").text
    header, payload, signature = token.split(".")
    assert VALIDATORS["jwt"](token)
    assert not VALIDATORS["jwt"](f"{header}.{payload}")
    assert not VALIDATORS["jwt"](f"{header}.{_b64url(b'[1, 2]')}.{signature}")
    assert not VALIDATORS["jwt"](f"{header}.{_b64url(b'not json')}.{signature}")
    assert not VALIDATORS["jwt"](f"{header}.{payload}.{signature}!")
    assert decode_jwt_claims(f"{header}.{payload}") is None


@settings(max_examples=300, deadline=None)
@given(st.text() | st.binary().map(lambda b: b.decode("latin-1")))
def test_validators_and_decoders_never_raise(text: str) -> None:
    for check in VALIDATORS.values():
        assert check(text) in (True, False)
        assert check("pypi-" + text) in (True, False)
    assert aws_account_from_key_id(text) is None or len(text) == 20
    decode_jwt_claims(text)
    decode_pypi_macaroon("pypi-" + text)
    iron_expiry_ms(text)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_macaroon_parser_never_raises_on_bytes(data: bytes) -> None:
    decode_pypi_macaroon("pypi-" + _b64url(b"\x02" + data))


@pytest.mark.parametrize("value", [None, 5, b"bytes", ["list"]])
def test_decoders_return_none_for_non_strings(value: object) -> None:
    assert aws_account_from_key_id(value) is None  # type: ignore[arg-type]
    assert decode_jwt_claims(value) is None  # type: ignore[arg-type]
    assert decode_pypi_macaroon(value) is None  # type: ignore[arg-type]
    assert iron_expiry_ms(value) is None  # type: ignore[arg-type]


# --- round trips through the decoders ---------------------------------------------------------------------------


def test_pypi_user_token_round_trip() -> None:
    info = decode_pypi_macaroon(expand("{{pypi}}").text)
    assert info is not None
    assert info["location"] == "pypi.org"
    assert re.fullmatch(r"[0-9a-f-]{36}", info["identifier"])
    [caveat] = info["caveats"]
    tag, user_id = json.loads(caveat)
    assert tag == 3 and re.fullmatch(r"[0-9a-f-]{36}", user_id)


def test_pypi_project_token_with_expiry_round_trip() -> None:
    info = decode_pypi_macaroon(expand("{{pypi:project:requests;flask,expires=1767225600,test}}").text)
    assert info is not None
    assert info["location"] == "test.pypi.org"
    names, ids, expiry = (json.loads(c) for c in info["caveats"])
    assert names == [1, ["requests", "flask"]]
    assert ids[0] == 2 and len(ids[1]) == 2
    assert expiry[0] == 0 and expiry[1] == 1767225600


def test_pypi_legacy_caveat_round_trip() -> None:
    info = decode_pypi_macaroon(expand("{{pypi:project:requests,legacy}}").text)
    assert info is not None
    assert [json.loads(c) for c in info["caveats"]] == [{"permissions": {"projects": ["requests"]}, "version": 1}]


def test_macaroon_signature_follows_libmacaroons_chain() -> None:
    # libmacaroons / pymacaroons: derive HMAC("macaroons-key-generator", root key), sign the identifier, then
    # chain one HMAC per first-party caveat.
    from credscope.testing.generate import _macaroon_v2

    root = bytes(range(32))
    raw = _macaroon_v2("pypi.org", "id-1", ["c1", "c2"], root)
    expected = hmac.new(hmac.new(b"macaroons-key-generator", root, hashlib.sha256).digest(), b"id-1", hashlib.sha256)
    for caveat in (b"c1", b"c2"):
        expected = hmac.new(expected.digest(), caveat, hashlib.sha256)
    assert raw[-34:] == b"\x06\x20" + expected.digest()
    info = decode_pypi_macaroon("pypi-" + _b64url(raw))
    assert info == {"location": "pypi.org", "identifier": "id-1", "caveats": ["c1", "c2"]}


@pytest.mark.parametrize("role", ["anon", "service_role"])
def test_supabase_jwt_claims_round_trip(role: str) -> None:
    claims = decode_jwt_claims(expand(f"{{{{supabase:{role}:abcdefghijklmnopqrst}}}}").text)
    assert claims is not None
    assert claims["iss"] == "supabase" and claims["role"] == role and claims["ref"] == "abcdefghijklmnopqrst"
    assert claims["exp"] > claims["iat"]


def test_generic_jwt_uses_given_claims() -> None:
    token = expand('{{jwt:{"sub":"ci-bot","scope":"deploy:write","aud":["a","b"]}}}').text
    assert decode_jwt_claims(token) == {"sub": "ci-bot", "scope": "deploy:write", "aud": ["a", "b"]}
    with pytest.raises(ValueError):
        expand("{{jwt:[1,2]}}")


@pytest.mark.parametrize("kind", ["bound", "legacy"])
def test_kubernetes_token_claims(kind: str) -> None:
    token = expand(f"{{{{kubernetes:{kind}:payments:ci}}}}").text
    claims = decode_jwt_claims(token)
    assert claims is not None and claims["sub"] == "system:serviceaccount:payments:ci"
    if kind == "legacy":
        assert claims["iss"] == "kubernetes/serviceaccount"
        assert claims["kubernetes.io/serviceaccount/namespace"] == "payments"
    else:
        assert claims["kubernetes.io"]["namespace"] == "payments"
        assert claims["exp"] > claims["iat"]


def test_docker_auth_decodes_to_user_and_token() -> None:
    user, token = base64.b64decode(expand("{{docker-auth:alice}}").text).decode().split(":")
    assert user == "alice" and re.fullmatch(r"dckr_pat_[\w-]{27}", token)


def test_gitlab_routable_payload_carries_routing_ids() -> None:
    token = expand("{{gitlab}}").text
    payload = b64url_decode(token.removeprefix("glpat-").split(".")[0])
    assert payload is not None
    routing = payload[16:-1]
    assert payload[-1] == len(routing)
    assert routing.startswith(b"c:1\no:1\nu:")


def test_gitlab_checksum_matches_gitlab_rule_example() -> None:
    # Example routable token from GitLab's own secret-detection rules, split so no token-shaped literal is stored.
    body = "glpat-" + "bzox79Of-KE9FD2LjoXXF4CvyxA" + ".0r"
    assert gitlab_routable_crc32(body) == "03gxo7s"
    assert VALIDATORS["gitlab-routable-crc32"](body + "03gxo7s")


def test_azure_sas_expiry_options() -> None:
    def expiry(template: str) -> float:
        match = re.search(r"&se=([^&]+)", expand(template).text)
        assert match is not None
        return calendar.timegm(time.strptime(match.group(1), "%Y-%m-%dT%H:%M:%SZ"))

    assert expiry("{{azure-storage:sas:rl:expired}}") < time.time() < expiry("{{azure-storage:sas:rl}}")
    assert len(base64.b64decode(expand("{{azure-storage}}").text)) == 64


def test_gcp_service_account_json() -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    document = json.loads(expand("{{gcp-service-account:rentals-prod:backup}}").text)
    assert document["type"] == "service_account"
    assert document["project_id"] == "rentals-prod"
    assert document["client_email"] == "backup@rentals-prod.iam.gserviceaccount.com"
    assert re.fullmatch(r"[0-9a-f]{40}", document["private_key_id"])
    assert re.fullmatch(r"\d{21}", document["client_id"])
    key = load_pem_private_key(document["private_key"].encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 2048
    assert json.loads(expand("{{gcp-service-account}}").text)["project_id"] != document["project_id"]


# --- private keys are real keys --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["rsa", "pkcs8", "ec", "dsa"])
def test_pem_keys_load(kind: str) -> None:
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    load_pem_private_key(expand(f"{{{{pem:{kind}}}}}").text.encode(), password=None)


@pytest.mark.parametrize("kind", ["rsa-encrypted", "pkcs8-encrypted"])
def test_encrypted_pem_keys_need_a_passphrase(kind: str) -> None:
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    with pytest.raises(TypeError, match=r"[Pp]assword"):
        load_pem_private_key(expand(f"{{{{pem:{kind}}}}}").text.encode(), password=None)


@pytest.mark.parametrize("kind", ["openssh", "openssh-rsa"])
def test_openssh_keys_load(kind: str) -> None:
    from cryptography.hazmat.primitives.serialization import load_ssh_private_key

    load_ssh_private_key(expand(f"{{{{pem:{kind}}}}}").text.encode(), password=None)


def _ppk_fields(text: str) -> tuple[dict[str, str], bytes, bytes]:
    lines = text.splitlines()
    headers: dict[str, str] = {}
    blobs: dict[str, bytes] = {}
    index = 0
    while index < len(lines):
        name, _, value = lines[index].partition(": ")
        index += 1
        if name in ("Public-Lines", "Private-Lines"):
            count = int(value)
            blobs[name] = base64.b64decode("".join(lines[index : index + count]))
            index += count
        else:
            headers[name] = value
    return headers, blobs["Public-Lines"], blobs["Private-Lines"]


def _ssh_fields(blob: bytes) -> list[bytes]:
    fields = []
    while blob:
        size = int.from_bytes(blob[:4], "big")
        fields.append(blob[4 : 4 + size])
        blob = blob[4 + size :]
    return fields


def test_putty_key_mac_and_numbers_are_consistent() -> None:
    text = expand("{{pem:putty}}").text
    headers, public, private = _ppk_fields(text)
    assert headers["PuTTY-User-Key-File-3"] == "ssh-rsa" and headers["Encryption"] == "none"
    mac_input = b"".join(
        len(part).to_bytes(4, "big") + part
        for part in (b"ssh-rsa", b"none", headers["Comment"].encode(), public, private)
    )
    # Unencrypted PPK v3: HMAC-SHA-256 with an empty key (PuTTY manual, appendix C).
    assert headers["Private-MAC"] == hmac.new(b"", mac_input, hashlib.sha256).hexdigest()
    algorithm, e, n = _ssh_fields(public)
    d, p, q, iqmp = (int.from_bytes(f, "big") for f in _ssh_fields(private))
    assert algorithm == b"ssh-rsa"
    assert p * q == int.from_bytes(n, "big")
    assert (q * iqmp) % p == 1
    assert pow(pow(42, int.from_bytes(e, "big"), p * q), d, p * q) == 42


@pytest.mark.parametrize("kind", ["putty", "putty-encrypted"])
def test_putty_keys_are_fresh(kind: str) -> None:
    first, second = _draws(f"{{{{pem:{kind}}}}}", 2)
    assert first.startswith("PuTTY-User-Key-File-3: ssh-rsa\n")
    assert first != second


def test_putty_encrypted_key_declares_argon2() -> None:
    headers, _, private = _ppk_fields(expand("{{pem:putty-encrypted}}").text)
    assert headers["Encryption"] == "aes256-cbc"
    assert headers["Key-Derivation"] == "Argon2id"
    assert re.fullmatch(r"[0-9a-f]{32}", headers["Argon2-Salt"])
    assert len(private) % 16 == 0
