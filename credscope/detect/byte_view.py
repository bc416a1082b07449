"""A document as Hyperscan should read it: one byte per character, so that its offsets are Python's.

Hyperscan reads bytes; the rules are Python `str` regexes, whose `\\w`, `\\d`, `\\s`, `\\b` and case folding
know Unicode. On a document with non-ASCII text the two disagree, and byte offsets are not character offsets:
the prefilter then has to widen every window around every run of non-ASCII bytes, or give up on windows (a
minified bundle with thousands of accented words). The view removes both differences:

* `document_view`: every character of the decoded text becomes one byte, itself when ASCII and `\\x80`
  otherwise (a UTF-8 lead byte is replaced, its continuation bytes dropped). The view's offsets are the
  text's character offsets, and its ASCII is the text's ASCII, in place.
* `view_source`: a rule's pattern rewritten to match, on the view, wherever the rule matches in the text:
  `\\x80` may be a word character, a digit or a space (`\\w`, `\\d`, `\\s` and the sets holding them accept
  it), `\\s` also accepts the ASCII that Python counts as space and Hyperscan does not, and `\\b`, whose
  Unicode sense Hyperscan cannot see, is left out (a zero-width assertion less only adds matches).

A superset is all a prefilter needs: the rule's own regex runs on the text and decides. Two cases have no
view, and the caller reads the bytes as they are: text that is not UTF-8 (a stray continuation byte, a
truncated character: the view would be shorter than the text), and the four non-ASCII characters that
ignore-case matching folds onto ASCII letters (`K` Kelvin sign matches `k`; `\\x80` cannot stand for them).
"""

from __future__ import annotations

import re

_LEADS = bytes(range(0xC0, 0x100))
_ONE_BYTE = bytes.maketrans(_LEADS, b"\x80" * len(_LEADS))
_CONTINUATIONS = bytes(range(0x80, 0xC0))
# U+0130, U+0131, U+017F and U+212A in UTF-8: `re.IGNORECASE` matches them to i, i, s and k.
_FOLDED_ONTO_ASCII = (b"\xc4\xb0", b"\xc4\xb1", b"\xc5\xbf", b"\xe2\x84\xaa")

# What each class escape also accepts on the view. \x0b: Python's `\s` holds the vertical tab; so may
# Hyperscan's, which is what this guarantees.
_WIDER = {"w": "\\x80", "d": "\\x80", "s": "\\x0b\\x1c-\\x1f\\x80"}
_OCTAL = re.compile(r"[0-3][0-7]{2}")
_QUANTIFIER = frozenset("*+?{")
_HEX = frozenset("0123456789abcdefABCDEF")


def document_view(content: bytes, characters: int) -> bytes | None:
    """`content` with one byte per character of its text (which is `characters` long), or None (see above)."""
    if content.isascii():
        return content
    if any(folded in content for folded in _FOLDED_ONTO_ASCII):
        return None
    view = content.translate(_ONE_BYTE, _CONTINUATIONS)
    # Each valid character and each lone lead byte (one surrogate in the text) gives one byte; anything else
    # undecodable gives fewer than the text holds. Equal lengths: every byte stands for its character.
    return view if len(view) == characters else None


def view_source(source: str) -> str | None:
    """`source` rewritten to match on a document's view wherever it matches in its text, or None when it
    holds what the view cannot stand for: a non-ASCII character or escape, a negated set of `\\S`, `\\W` or
    `\\D` (Unicode spaces, word characters, digits), or a quantified `\\b`."""
    out: list[str] = []
    index, in_class, negated = 0, False, False
    while index < len(source):
        char = source[index]
        if not char.isascii():
            return None
        if char == "\\":
            escape = source[index + 1 : index + 2]
            if not _ascii_escape(source, index):
                return None
            if in_class:
                if negated and escape in ("S", "W", "D"):
                    return None
                out.append(source[index : index + 2] + ("" if negated else _WIDER.get(escape, "")))
            elif escape in _WIDER:
                out.append(f"[\\{escape}{_WIDER[escape]}]")
            elif escape in ("b", "B"):
                if source[index + 2 : index + 3] in _QUANTIFIER:
                    return None
            else:
                out.append(source[index : index + 2])
            index += 2
        elif in_class:
            in_class = char != "]"
            out.append(char)
            index += 1
        elif char == "[":
            # A `]` first in the set (after an optional `^`) is a literal, not the set's end.
            end = index + 1
            negated = source.startswith("^", end)
            end += negated
            end += source.startswith("]", end)
            out.append(source[index:end])
            index, in_class = end, True
        else:
            out.append(char)
            index += 1
    return "".join(out)


def _ascii_escape(source: str, index: int) -> bool:
    """Whether the escape at `index` stands for ASCII (or is not a character at all: `\\w`, `\\1`, `\\b`)."""
    escape = source[index + 1 : index + 2]
    if escape in ("u", "U", "N"):
        return False
    if escape == "x":
        digits = source[index + 2 : index + 4]
        return len(digits) == 2 and all(digit in _HEX for digit in digits) and int(digits, 16) < 0x80
    octal = _OCTAL.match(source, index + 1)
    return octal is None or int(octal.group(), 8) < 0x80
