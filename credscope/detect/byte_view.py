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
  Unicode sense Hyperscan cannot see, and every lookaround are left out (a zero-width assertion less only
  adds matches; Hyperscan's prefilter mode drops lookarounds anyway). Where the
  pattern ignores case, `re` also matches four non-ASCII characters to ASCII letters (the Kelvin sign to
  k, long s to s, dotted and dotless I to i): there the letters k, s and i, and every set, accept `\\x80` too.

A superset is all a prefilter needs: the rule's own regex runs on the text and decides. Text that is not
UTF-8 (a stray continuation byte, a truncated character, an encoded surrogate) has no view: its undecodable
bytes are one character each in the text, and the caller reads the bytes as they are.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping

# The whole of a text that is UTF-8, as a Hyperscan expression: it checks a document at several GB/s, where
# decoding it would allocate the text.
UTF8_EXPRESSION = (
    rb"\A(?:[\x00-\x7f]|[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}|\xf4[\x80-\x8f][\x80-\xbf]{2})*\z"
)

_LEADS = bytes(range(0xC0, 0x100))
_ONE_BYTE = bytes.maketrans(_LEADS, b"\x80" * len(_LEADS))
_CONTINUATIONS = bytes(range(0x80, 0xC0))

# What each class escape also accepts on the view. \x0b: Python's `\s` holds the vertical tab; so may
# Hyperscan's, which is what this guarantees.
_WIDER = {"w": "\\x80", "d": "\\x80", "s": "\\x0b\\x1c-\\x1f\\x80"}
# The ASCII letters `re.IGNORECASE` matches a non-ASCII character to (U+212A, U+017F, U+0130, U+0131).
_FOLDED_ONTO = frozenset("kKsSiI")
_OCTAL = re.compile(r"[0-3][0-7]{2}")
_HEX = re.compile(r"x([0-9a-fA-F]{2})")
_QUANTIFIER = frozenset("*+?{")
# What may follow `(?`: a named group, a reference to one, a comment, a lookaround, flags (scoped or not), a
# conditional's reference. Anything else is syntax this does not know.
_GROUP_HEAD = re.compile(r"\(\?(?:P<\w+>|P=\w+\)|#[^)]*\)|<[=!]|[=!:]|[aiLmsux]*(?:-[imsx]+)?[:)]|\(\w+\))")
_CASELESS_FLAGS = re.compile(r"\(\?[aLmsux]*i")
_LOOKAROUNDS = frozenset({"(?=", "(?!", "(?<=", "(?<!"})


def document_view(content: bytes, utf8: Callable[[bytes], bool] | None = None) -> bytes | None:
    """`content` with one byte per character of its text, or None when it is not UTF-8 (which `utf8` tells,
    by default by decoding it)."""
    if content.isascii():
        return content
    if not (utf8 or _decodes)(content):
        return None
    # Each character is one lead byte (\x80 now) and its continuation bytes (dropped).
    return content.translate(_ONE_BYTE, _CONTINUATIONS)


def _decodes(content: bytes) -> bool:
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def view_source(source: str, flags: int = 0) -> str | None:
    """`source` (compiled with `flags`) rewritten to match on a document's view wherever it matches in its text,
    or None when it holds what the view cannot stand for: a non-ASCII character or escape, a negated set of
    `\\S`, `\\W` or `\\D` (Unicode spaces, word characters, digits), a quantified `\\b`, syntax it does not know.

    A pattern that ignores case anywhere (by `flags` or inline) is treated as ignoring it everywhere: its
    letters k, s and i keep their case and accept `\\x80` as well, which only adds matches.
    """
    caseless = bool(flags & re.IGNORECASE) or _CASELESS_FLAGS.search(source) is not None
    out: list[str] = []
    index = 0
    while index < len(source):
        char = source[index]
        if not char.isascii():
            return None
        if char == "\\":
            escape = source[index + 1 : index + 2]
            if not _ascii_escape(source, index, caseless):
                return None
            if escape in _WIDER:
                out.append(f"[\\{escape}{_WIDER[escape]}]")
            elif escape in ("b", "B"):
                if source[index + 2 : index + 3] in _QUANTIFIER:
                    return None
            else:
                out.append(source[index : index + 2])
            index += 2
        elif char == "[":
            viewed = _view_set(source, index, caseless)
            if viewed is None:
                return None
            out.append(viewed[0])
            index = viewed[1]
        elif char == "(" and source.startswith("(?", index):
            head = _GROUP_HEAD.match(source, index)
            if head is None:
                return None
            if head.group() in _LOOKAROUNDS:
                # Left out: a zero-width assertion less only adds matches, and what it reads would need the
                # opposite rewriting (a negative one that accepted \x80 would refuse more, not less).
                index = _group_end(source, head.end())
                if index < 0 or source[index : index + 1] in _QUANTIFIER:
                    return None
                continue
            out.append(head.group())
            index = head.end()
        else:
            out.append(f"[{char}\\x80]" if caseless and char in _FOLDED_ONTO else char)
            index += 1
    return "".join(out)


def set_body(source: str, start: int) -> int:
    """Where the body of the set opening at `start` begins, after its `[` and an optional `^`: a `]` first in
    it is a literal, not the set's end, and so part of the body."""
    index = start + 1
    index += source.startswith("^", index)
    return index + source.startswith("]", index)


def _view_set(source: str, start: int, caseless: bool) -> tuple[str, int] | None:
    """The set starting at `start` rewritten for the view, and where it ends; None as for `view_source`.

    A positive set accepts \\x80 when it holds `\\w`, `\\d` or `\\s`, or ignores case and holds k, s or i
    (in a range too). A negated one already accepts it, but not when it holds `\\S`, `\\W` or `\\D`.
    """
    negated = source.startswith("^", start + 1)
    index = set_body(source, start)
    body: list[str] = ["]"] if source[index - 1 : index] == "]" else []
    wider, folds, last = "", False, "]" if body else ""
    while index < len(source) and source[index] != "]":
        char = source[index]
        if not char.isascii():
            return None
        if char == "\\":
            escape = source[index + 1 : index + 2]
            if not _ascii_escape(source, index, caseless) or (negated and escape in ("S", "W", "D")):
                return None
            wider += _WIDER.get(escape, "")
            folds = folds or source.startswith("-", index + 2)  # a range from an escape: taken as any letter
            body.append(source[index : index + 2])
            index, last = index + 2, ""
            continue
        if char == "-" and last and source[index + 1 : index + 2] not in ("]", ""):
            high = source[index + 1]
            folds = folds or any(last <= letter <= high for letter in _FOLDED_ONTO) or high == "\\"
        folds = folds or char in _FOLDED_ONTO
        body.append(char)
        index, last = index + 1, char
    if index >= len(source):
        return None
    if not negated and caseless and folds:
        wider += "\\x80"
    if negated or not wider:
        return source[start : index + 1], index + 1
    # Added first, where it cannot become either end of a range; a `]` or `-` that was first is then escaped.
    if body and body[0] in ("]", "-"):
        body[0] = "\\" + body[0]
    return "[" + wider + "".join(body) + "]", index + 1


def _group_end(source: str, index: int) -> int:
    """Just after the `)` closing the group whose body starts at `index`, or -1."""
    depth, in_class = 1, False
    while index < len(source):
        char = source[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            index = set_body(source, index) - 1
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    return -1


def _ascii_escape(source: str, index: int, caseless: bool) -> bool:
    """Whether the escape at `index` stands for ASCII (or is not a character at all: `\\w`, `\\1`, `\\b`) that
    no non-ASCII character matches."""
    escape = source[index + 1 : index + 2]
    if escape in ("u", "U", "N"):
        return False
    if escape == "x":
        digits = _HEX.match(source, index + 1)
        return digits is not None and _plain(int(digits.group(1), 16), caseless)
    octal = _OCTAL.match(source, index + 1)
    return octal is None or _plain(int(octal.group(), 8), caseless)


def _plain(code: int, caseless: bool) -> bool:
    return code < 0x80 and not (caseless and chr(code) in _FOLDED_ONTO)


def document_text(content: bytes, piece: int = 1 << 16, stand_ins: Mapping[int, int] | None = None) -> str:
    """`content` decoded, each undecodable byte as a surrogate, as `content.decode("utf-8", "surrogateescape")`
    would: but allocated once, at its final width. With `stand_ins` (`narrowed_text`), the characters it maps are
    replaced by the ones it maps them to.

    One decode call widens its buffer as it meets wider characters: a 15 MB bundle that is ASCII but for a dash
    and a late emoji holds a 30 MB buffer of two-byte characters and the 60 MB text at once. Decoded a `piece`
    at a time and joined, what is held beside the text is the pieces, about a byte per ASCII character."""
    if len(content) <= piece or content.isascii():
        text = content.decode("utf-8", "surrogateescape")
        return _stood_for(text, stand_ins) if stand_ins and _ASTRAL_LEAD in content else text
    whole, pieces, start = memoryview(content), [], 0
    while start < len(content):
        cut = _character_start(content, start + piece)
        part = str(whole[start:cut], "utf-8", "surrogateescape")
        if stand_ins and content.find(_ASTRAL_LEAD, start, cut) >= 0:
            part = _stood_for(part, stand_ins)
        pieces.append(part)
        start = cut
    return "".join(pieces)


# Astral characters (planes 1 to 3: emoji, symbols) are four bytes each in a `str`, and one of them makes the whole
# text four bytes a character: a 15 MB bundle with one emoji is a 60 MB text. Those that nothing reading a text can
# tell from a private-use character, two bytes in a `str`, are stood for by one the document does not hold: a
# symbol, not a word character, digit or space (`re`'s `\w`, `\d`, `\s`, `\b`), without case (IGNORECASE), a
# decomposition (NFKD) or a combining class, as a private-use character is. Offsets do not change: one character
# stands for one. The engine puts them back in what leaves the text (secrets, names, context: `_restored`).
NARROWED_FROM = 1 << 20  # below this, a text four bytes a character costs little
_ASTRAL_LEAD = b"\xf0"  # U+10000..U+3FFFF
_HIGHER_LEADS = (b"\xf1", b"\xf2", b"\xf3", b"\xf4")  # the rarer planes above: a text holding one is left as it is
_PLANES_1_TO_3 = re.compile("[\U00010000-\U0003ffff]")
_INERT_CATEGORIES = frozenset({"So", "Sm", "Sc", "Sk", "Cn", "Co"})
_PRIVATE_USE = range(0xE000, 0xF900)
_MOST_STOOD_FOR = 256  # distinct characters; each stand-in is looked for in the bytes before it is taken


def narrowed_text(
    content: bytes, piece: int = 1 << 16, smallest: int = NARROWED_FROM, *, narrow: bool = True
) -> tuple[str, dict[int, int]]:
    """`document_text(content)`, with its astral characters stood for by private-use ones where all of them can be
    (see above), the document is `smallest` bytes or more and `narrow` holds; and the table (for `str.translate`)
    that restores them, empty when none was replaced."""
    stand_ins = _stand_ins(content) if narrow and len(content) >= smallest and not content.isascii() else {}
    text = document_text(content, piece, stand_ins)
    return text, {stand_in: char for char, stand_in in stand_ins.items()}


def _stand_ins(content: bytes) -> dict[int, int]:
    """Each astral character (planes 1 to 3) in `content` mapped to a private-use character `content` does not
    hold; empty when there is none, or one is not inert or above plane 3, or there are too many."""
    found = content.find(_ASTRAL_LEAD)
    if found < 0 or any(lead in content for lead in _HIGHER_LEADS):
        return {}  # most large documents: one search, not five
    sequences: set[bytes] = set()
    while found >= 0:
        sequences.add(content[found : found + 4])
        found = content.find(_ASTRAL_LEAD, found + 1)
    decoded = (sequence.decode("utf-8", "replace") for sequence in sequences)
    chars = {char for char in decoded if len(char) == 1 and ord(char) > 0xFFFF}  # not a truncated one's U+FFFD
    if not chars or len(chars) > _MOST_STOOD_FOR or not all(_inert(char) for char in chars):
        return {}
    # U+E000..U+EFFF start with \xee: a document holding none (most) holds none of them.
    held = b"\xee" in content
    free = (code for code in _PRIVATE_USE if not held or chr(code).encode() not in content)
    stand_ins: dict[int, int] = {}
    for char in sorted(chars):
        code = next(free, None)
        if code is None:
            return {}
        stand_ins[ord(char)] = code
    return stand_ins


def _stood_for(text: str, stand_ins: Mapping[int, int]) -> str:
    """`text` with the characters `stand_ins` maps replaced (`str.translate` looks every character up: 30 ms
    more than this on a 15 MB bundle with 16 emoji)."""
    return _PLANES_1_TO_3.sub(lambda found: chr(stand_ins.get(ord(found.group()), ord(found.group()))), text)


def _inert(char: str) -> bool:
    """Whether every test a scan makes of a character answers for `char` as for a private-use one."""
    return (
        unicodedata.category(char) in _INERT_CATEGORIES
        and not char.isalnum()
        and not char.isspace()
        and char.lower() == char.upper() == char.casefold() == char
        and not unicodedata.decomposition(char)
        and not unicodedata.combining(char)
    )


def _character_start(content: bytes, near: int) -> int:
    """The first offset from `near` on that no character, valid or not, spans: one before a byte that is not a
    continuation byte, or with no lead byte in the three before it (a lead byte claims three at most)."""
    cut = near
    while cut < len(content) and 0x80 <= content[cut] < 0xC0 and max(content[max(cut - 3, 0) : cut]) >= 0xC0:
        cut += 1
    return min(cut, len(content))
