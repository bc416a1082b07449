"""Name/value pairs of JSON written inside a string (`"{\\"awsSecretKey\\":\\"…\\"}"`, or escaped twice in a logged
request body, `\\\\\\"`): the name inside the escaped JSON is the name of the value, which no parser of the outer
document sees (to it, the whole string is one value under the outer key, or under none).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

# `\"name\": \"value\"` at any depth of escaping: the same run of backslashes before each of the four quotes.
# A value holding an escape of its own is left to the rules as written (credentials rarely hold one).
_PAIR = re.compile(r'(\\{1,7})"([A-Za-z_$@][\w.$@-]{0,63})\1"[ \t]{0,4}:[ \t]{0,4}\1"([^"\\\r\n]{8,1024})\1"')
# Only names a rule may want (the credential words of generic.yaml and the providers' names): a log full of
# escaped JSON yields a handful of small texts to scan, not one per field.
_CREDENTIAL_NAME = re.compile(r"(?i)pass|pwd|secret|token|key|credential|auth|session|sig")
# Bounds the work one document can cause (each pair is scanned as its own small text).
MAX_PAIRS = 512


@dataclass(frozen=True)
class EscapedPair:
    """One pair as the JSON it stands for, and where its value sits in the document."""

    name: str
    text: str  # `{"name": "value"}`
    start: int
    end: int


def escaped_pairs(text: str) -> Iterator[EscapedPair]:
    found = 0
    for match in _PAIR.finditer(text):
        name, value = match.group(2), match.group(3)
        if not _CREDENTIAL_NAME.search(name):
            continue
        start, end = match.span(3)
        yield EscapedPair(name, json.dumps({name: value}), start, end)
        found += 1
        if found == MAX_PAIRS:
            return
