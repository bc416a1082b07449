"""Shannon entropy, the cheapest test that a string was drawn at random."""

from __future__ import annotations

import math
from collections import Counter


def shannon(value: str) -> float:
    """Bits per character of `value` (0.0 for the empty string)."""
    if not value:
        return 0.0
    length = len(value)
    return -sum(count / length * math.log2(count / length) for count in Counter(value).values())
