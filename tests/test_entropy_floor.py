"""A rule's entropy floor does not turn away a random token that is a little short or repeats a few characters
by chance (detect/entropy.py `passes_for_random`); fakes and words still fall under it."""

from __future__ import annotations

import random
import string

import pytest

from credscope.catalogue import load_catalogue
from credscope.detect.engine import Detector
from credscope.detect.entropy import shannon
from credscope.detect.filters import meets_entropy
from credscope.model import Document, Reach

ALPHABETS = {
    "hex": string.digits + "abcdef",
    "alnum": string.ascii_letters + string.digits,
    "base64": string.ascii_letters + string.digits + "+/",
    "upper-alnum": string.ascii_uppercase + string.digits,
    "lower-alnum": string.ascii_lowercase + string.digits,
}


@pytest.mark.parametrize("alphabet", ALPHABETS)
@pytest.mark.parametrize("length", [16, 20, 24, 30, 40, 64])
def test_random_values_pass_whatever_the_floor(alphabet: str, length: int) -> None:
    """Under a floor no value reaches (6 bits a character), random values with letters and digits pass for what
    they are: at most one in 10,000 (measured: one in 100,000 or fewer)."""
    rng = random.Random(f"{alphabet}{length}")
    draws = ("".join(rng.choices(ALPHABETS[alphabet], k=length)) for _ in range(10_000))
    mixed = [value for value in draws if any(c.isdigit() for c in value) and any(c.isalpha() for c in value)]
    turned_away = [value[:4] for value in mixed if not meets_entropy(value, 6.0)]
    assert len(turned_away) <= 1, turned_away


@pytest.mark.parametrize(
    "value",
    [
        "a" * 24,
        "abc1" * 8,
        "0" * 31 + "a",
        "1111111122222222aaaa",
        "x1" * 15,
        "thisisnotarealsecretvalue",  # words: no digits
        "password1password2",  # words repeated
        "changeme2024changeme",
        "adminadmin12345678",
        "ab12ab12ab13ab12ab12ab12ab14",
    ],
)
def test_fakes_still_fall_under_the_floor(value: str) -> None:
    assert not meets_entropy(value, 3.7)


def test_a_random_alibaba_secret_under_its_floor_is_found() -> None:
    """Alibaba's rule asks 4.0 bits; one random 30-character secret in a thousand has less."""
    rng = random.Random()
    alphabet = string.ascii_letters + string.digits
    while True:
        secret = "".join(rng.choices(alphabet, k=29)) + rng.choice(string.digits)
        if 3.85 <= shannon(secret) < 4.0:
            break
    key_id = "LTAI" + "".join(rng.choices(alphabet, k=19)) + rng.choice(string.digits)
    text = f"ALIBABA_CLOUD_ACCESS_KEY_ID={key_id}\nALIBABA_CLOUD_ACCESS_KEY_SECRET={secret}\n"
    found = Detector(load_catalogue()).detect(Document(path=".env", content=text.encode(), reach=Reach.FILE))
    assert ("alibaba-access-key-secret", secret) in [(c.rule, c.secret) for c in found]
