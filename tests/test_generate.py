"""Generated credentials have each provider's real format, pass their validators and round-trip decoders."""

from __future__ import annotations

import random
import re

import pytest

from credscope.detect.checksums import VALIDATORS, base62_crc32
from credscope.detect.decoding import aws_account_from_key_id, iron_expiry_ms
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


def test_every_generator_is_exercised() -> None:
    names = {re.match(r"\{\{([\w-]+)", t).group(1) for t in FORMATS}  # type: ignore[union-attr]
    assert names | {"pem"} == set(GENERATORS)


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
    import base64

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
    assert aws_account_from_key_id("ASIAY34FZKBOKMUTVV7A") == "609629065308"
    # Fifth character A-P: old generation, no account encoded.
    assert aws_account_from_key_id("AKIAIOSFODNN7EXAMPLE") is None


@pytest.mark.parametrize("junk", ["", "AKIA", "AKIA" + "1" * 16, "akia" + "Q" * 16, "x" * 1000, "AKIAQ" + "0" * 15])
def test_aws_decoder_rejects_junk(junk: str) -> None:
    assert aws_account_from_key_id(junk) is None


def test_railway_expiry_round_trip() -> None:
    assert iron_expiry_ms(expand("{{railway-legacy:1767225600000}}").text) == 1767225600000
    import time

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


def test_unknown_generator_is_named() -> None:
    with pytest.raises(ValueError, match="nosuchthing"):
        expand("x={{nosuchthing:arg}}")


@pytest.mark.parametrize("template", ["{{ref:0}}", "{{uuid4}}{{ref:1}}", "{{uuid4", "{{aws:zzzz}}", "{{github:xyz}}"])
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
