"""Shannon entropy, the cheapest test that a string was drawn at random."""

from __future__ import annotations

import functools
import math
import string
from collections import Counter


def shannon(value: str) -> float:
    """Bits per character of `value` (0.0 for the empty string)."""
    if not value:
        return 0.0
    length = len(value)
    return -sum(count / length * math.log2(count / length) for count in Counter(value).values())


# How far below a random draw's mean entropy a value may fall and still pass for one: the left tail of the
# entropy of random strings is heavier than a normal's, and six standard deviations is where, measured over
# 100,000 draws each (hex, letters and digits, base64, upper case and digits; 12 to 64 characters), one draw in
# 100,000 or fewer falls.
_DEVIATIONS = 6.0
# Judged only from 16 characters up: shorter values under a floor are mostly passwords people chose (`Toto1234`,
# `c0rr3ct-h0rse` in tests), and a random token of a provider's format is rarely that short.
_SHORTEST_JUDGED = 16
_LONGEST_JUDGED = 64


def passes_for_random(value: str, floor: float) -> bool:
    """`value`'s entropy reaches `floor`, or, with letters and digits and 16 to 64 characters long, it is no lower
    than a random draw of its length and alphabet reaches all but once in 100,000 draws, and repeats no stretch of
    itself that such a draw would not.

    A rule's floor suits the length its tokens usually have; a random token only a little shorter, or with a few
    repeated characters by chance, falls under it now and then (Alibaba's 30-character secrets under 4.0 one
    time in a thousand), and a missed token is the costly mistake. Fakes and placeholders (`aaaa…`, `abcabc…`,
    `xxxxxxxx`) fall far below either."""
    if floor <= 0:
        return True
    entropy = shannon(value)
    if entropy >= floor:
        return True
    present = set(value)
    if not _SHORTEST_JUDGED <= len(value) <= _LONGEST_JUDGED or not _letters_and_digits(present):
        return False
    symbols = _alphabet_size(present)  # 16 or more: letters and digits
    mean, deviation = _random_entropy(len(value), symbols)
    return entropy >= mean - _DEVIATIONS * deviation and not _repeats(value, symbols)


def _repeats(value: str, symbols: int) -> bool:
    """A stretch of `value` comes twice (`password1password2`, `admin…admin`), longer than any random draw of its
    length and alphabet repeats but once in 100,000: words and fakes repeat themselves, random tokens do not."""
    length = len(value)
    pairs = length * length / 2  # positions two equal stretches could start at, near enough
    stretch = 1
    while pairs / symbols**stretch >= 1e-5:
        stretch += 1
    seen: set[str] = set()
    for start in range(length - stretch + 1):
        piece = value[start : start + stretch]
        if piece in seen:
            return True
        seen.add(piece)
    return False


def _letters_and_digits(present: set[str]) -> bool:
    """Both letters and digits among a value's characters: how a random token of letters and digits looks (at 20
    characters all but 3 % of them), and words, which fall under a floor by their own letters' frequencies, do not."""
    return not present.isdisjoint(_DIGITS) and not (present.isdisjoint(_LOWER) and present.isdisjoint(_UPPER))


def _alphabet_size(present: set[str]) -> int:
    """The alphabet a value with these characters looks drawn from: hex, or the character classes it uses
    (digits, lower and upper case letters, 10 or 26 each) and each other character it holds."""
    if present <= _HEX_DIGITS or present <= _UPPER_HEX_DIGITS:
        return 16
    return (
        10 * (not present.isdisjoint(_DIGITS))
        + 26 * (not present.isdisjoint(_LOWER))
        + 26 * (not present.isdisjoint(_UPPER))
        + len(present - _DIGITS - _LOWER - _UPPER)
    )


_HEX_DIGITS = frozenset("0123456789abcdef")
_UPPER_HEX_DIGITS = frozenset("0123456789ABCDEF")
_DIGITS = frozenset(string.digits)
_LOWER = frozenset(string.ascii_lowercase)
_UPPER = frozenset(string.ascii_uppercase)


@functools.lru_cache(maxsize=512)
def _random_entropy(length: int, symbols: int) -> tuple[float, float]:
    """The mean and standard deviation of the entropy of `length` characters drawn uniformly from `symbols`.

    The entropy is a sum over the symbols of -(c/n)·log2(c/n), c each one's count: its mean is `symbols` times
    one count's (binomial), its variance adds the covariance of two counts (multinomial), both summed exactly."""
    p = 1 / symbols
    terms = [0.0] + [-(c / length) * math.log2(c / length) for c in range(1, length + 1)]
    one = [math.comb(length, c) * p**c * (1 - p) ** (length - c) for c in range(length + 1)]
    mean_one = sum(chance * term for chance, term in zip(one, terms, strict=True))
    square_one = sum(chance * term * term for chance, term in zip(one, terms, strict=True))
    both = 0.0  # E[term(a) · term(b)] for two different symbols
    for a in range(1, length):
        first = math.comb(length, a) * p**a
        rest = length - a
        for b in range(1, rest + 1):
            chance = first * math.comb(rest, b) * p**b * (1 - 2 * p) ** (rest - b)
            both += chance * terms[a] * terms[b]
    variance = symbols * (square_one - mean_one**2) + symbols * (symbols - 1) * (both - mean_one**2)
    return symbols * mean_one, math.sqrt(max(variance, 0.0))
