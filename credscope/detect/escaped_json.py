"""Name/value pairs of JSON written inside a string (`"{\\"awsSecretKey\\":\\"…\\"}"`, or escaped twice in a logged
request body, `\\\\\\"`): the name inside the escaped JSON is the name of the value, which no parser of the outer
document sees (to it, the whole string is one value under the outer key, or under none).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

# Each pair is found from its `\":` (what the prefilter's hint is): str.find skips the rest of the text at
# memchr speed, where a regex starting with a class of characters tries every position. From there, the name is
# read backwards (reversed, so that a regex can match it) up to its opening quote, which must carry the same run
# of backslashes, and the value forwards. A value holding an escape of its own is left to the rules as written.
_MARK = '\\":'
_NAME_REVERSED = re.compile(r"[\w.$@-]{0,63}[A-Za-z_$@]")
_VALUE = re.compile(r'[ \t]{0,4}(\\{1,7})"([^"\\\r\n]{8,1024})\1"')
_MAX_RUN = 7  # backslashes before a quote: seven is JSON escaped three times over
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
    """Every escaped pair with a credential-like name, in order, at most MAX_PAIRS."""
    found = 0
    hit = text.find(_MARK)
    while hit != -1 and found < MAX_PAIRS:
        pair = _pair_at(text, hit)
        if pair is not None:
            yield pair
            found += 1
        hit = text.find(_MARK, hit + len(_MARK))


def _pair_at(text: str, hit: int) -> EscapedPair | None:
    """The pair whose name's closing `\\"` and colon start at `hit` (its last backslash), if it is one."""
    run_start = hit
    while run_start > 0 and text[run_start - 1] == "\\" and hit - run_start + 1 < _MAX_RUN:
        run_start -= 1
    run = text[run_start : hit + 1]
    name_found = _NAME_REVERSED.match(text[max(0, run_start - 64) : run_start][::-1])
    if name_found is None:
        return None
    name = name_found.group()[::-1]
    opening = run_start - len(name) - len(run) - 1
    if opening < 0 or text[opening : run_start - len(name)] != run + '"' or text[opening - 1 : opening] == "\\":
        return None
    if not _CREDENTIAL_NAME.search(name):
        return None
    value = _VALUE.match(text, hit + len(_MARK))
    if value is None or value.group(1) != run:
        return None
    return EscapedPair(name, json.dumps({name: value.group(2)}), *value.span(2))
