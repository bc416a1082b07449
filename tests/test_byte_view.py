"""A document's view (detect/byte_view.py): one byte per character, on which rewritten patterns see what
Python's regexes see in the text, so that Hyperscan's windows hold on non-ASCII documents too."""

from __future__ import annotations

import functools
import re
import sys
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credscope.catalogue import Catalogue, load_catalogue
from credscope.detect.byte_view import document_text, document_view, view_source
from credscope.detect.engine import _on_lines
from credscope.detect.prefilter import Prefilter
from credscope.testing.generate import expand

hyperscan = pytest.importorskip("hyperscan")

# ASCII, Latin and CJK letters, Unicode digits and spaces Python's \w, \d and \s accept, the ASCII
# separators `re` counts as space (\x1c-\x1f) and Hyperscan may not, the four characters ignore-case
# matches to ASCII letters (Kelvin sign, long s, dotted and dotless I).
_ALPHABET = "ab_kisK Z09=:\"'\t\n-.é数٣\u00a0\u2003\u3000\x1c\x1f\u212aſıİ"


@functools.cache
def _catalogue() -> Catalogue:
    return load_catalogue()


@given(st.text(alphabet=_ALPHABET, max_size=60))
def test_each_byte_of_the_view_stands_for_one_character_of_the_text(text: str) -> None:
    view = document_view(text.encode())
    assert view is not None
    assert len(view) == len(text)
    assert all(byte == (ord(char) if char.isascii() else 0x80) for byte, char in zip(view, text, strict=True))


@pytest.mark.parametrize(
    "content",
    [
        b"key = \x80\x80 value",  # continuation bytes with no lead
        b"key = \xe2\x82 value",  # a character cut short
        b"key = \xed\xa0\x80 value",  # an encoded surrogate
        b"key = \xc3 value",  # a lead byte alone
        b"key = \xc0\xae value",  # an overlong encoding
    ],
)
def test_text_that_is_not_utf8_has_no_view(content: bytes) -> None:
    assert document_view(content) is None
    assert document_view(content, _hyperscan_prefilter()._engine.utf8) is None  # type: ignore[union-attr]


# No deadline: the first example builds the Hyperscan engine, seconds when its cache entry is not there yet.
@settings(max_examples=500, database=None, deadline=None)
@given(
    st.lists(
        st.one_of(st.binary(max_size=4), st.text(alphabet=_ALPHABET, max_size=4).map(str.encode)),
        max_size=20,
    ).map(b"".join)
)
def test_hyperscan_tells_utf8_as_decoding_does(content: bytes) -> None:
    engine = _hyperscan_prefilter()._engine
    assert engine is not None
    assert document_view(content, engine.utf8) == document_view(content)


@functools.cache
def _hyperscan_prefilter() -> Prefilter:
    prefilter = Prefilter(_catalogue().rules, use_hyperscan=True)
    prefilter.warm()
    return prefilter


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (r"\w+", r"[\w\x80]+"),
        (r"\d{4}", r"[\d\x80]{4}"),
        (r"a\sb", r"a[\s\x0b\x1c-\x1f\x80]b"),
        (r"[\w.-]{3}", r"[\x80\w.-]{3}"),
        (r"[]\s]", r"[\x0b\x1c-\x1f\x80\]\s]"),  # the `]` escaped once not first
        (r"[^\s'\"]+", r"[^\s'\"]+"),  # a negated set of \s already accepts \x80
        (r"\bkey\b", r"key"),
        (r"[\b]x", r"[\b]x"),  # a backspace in a set
        (r"\x41\101\S\W", r"\x41\101\S\W"),
        (r"[^\S]", None),
        (r"[^\W_]", None),
        (r"\b?x", None),
        (r"clé", None),
        (r"\xe9", None),
        (r"\u00e9", None),
        (r"\351", None),
        # Lookarounds are left out: a negative one rewritten would refuse more on the view, not less.
        (r"(?<![\w/])key(?![a-z])", r"key"),
        (r"(?<=(?:a|[)]))b", r"b"),
        (r"x(?=y)*", None),
        (r"(?P<secret>[-\s]+)", r"(?P<secret>[\x0b\x1c-\x1f\x80\-\s]+)"),
        (r"(?Q)x", None),
        # Ignoring case, k, s and i also match the Kelvin sign, long s and dotted or dotless I.
        (r"(?i)Ski", r"(?i)[S\x80][k\x80][i\x80]"),
        (r"(?i:a[a-f][h-j][]s])", r"(?i:a[a-f][\x80h-j][\x80\]s])"),
        (r"(?i)[^k]", r"(?i)[^k]"),
        (r"(?i)\x6b", None),
        (r"Ski", r"Ski"),
    ],
)
def test_view_source(source: str, expected: str | None) -> None:
    assert view_source(source) == expected


_PATTERNS = (
    r"(?i)sk[a-z]*",
    r"(?i:secret)[ \t]*=",
    r"(?<![\w-])[a-z]{2,}(?![^\s=])",
    r"(?i)(?<![a-z])[a-z0-9]{3}(?![a-z])",
    r"\w+=\d+",
    r"\b[a-z_]{2,}\b",
    r"[\w.-]+:\s*\S+",
    r"(?i)K[a-z]+",
    r"[^\s=]{3,}",
    r"\s+\d",
    r"[^\w\s]+",
    r"\W\D",
)


@functools.cache
def _hyperscan_database() -> object:
    expressions = [view_source(pattern) for pattern in _PATTERNS]
    assert all(expression is not None for expression in expressions)
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    flags = [hyperscan.HS_FLAG_CASELESS if pattern.startswith("(?i)") else 0 for pattern in _PATTERNS]
    flags = [flag | hyperscan.HS_FLAG_ALLOWEMPTY for flag in flags]
    database.compile(
        expressions=[expression.replace("(?i)", "").encode() for expression in expressions if expression],
        ids=list(range(len(_PATTERNS))),
        elements=len(_PATTERNS),
        flags=flags,
    )
    return database


@settings(max_examples=300, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=_ALPHABET, max_size=80))
def test_a_rewritten_pattern_ends_on_the_view_wherever_python_ends_in_the_text(text: str) -> None:
    view = document_view(text.encode())
    assert view is not None
    ends: set[tuple[int, int]] = set()

    def collect(pattern_id: int, _start: int, end: int, _flags: int, _context: object) -> None:
        ends.add((pattern_id, end))

    _hyperscan_database().scan(view, match_event_handler=collect)  # type: ignore[attr-defined]
    for pattern_id, pattern in enumerate(_PATTERNS):
        for found in re.finditer(pattern, text):
            if found.end() > found.start():
                assert (pattern_id, found.end()) in ends, (pattern, found)


def _rule_index(rule_id: str) -> int:
    return next(index for index, rule in enumerate(_catalogue().rules) if rule.id == rule_id)


def test_a_non_ascii_bundle_is_read_in_windows_and_its_names_are_placed() -> None:
    # A one-line bundle with a thousand accented words (far more runs of non-ASCII bytes than the byte-level
    # path keeps windows for, and a character ignore-case matches to ASCII) and secrets behind Unicode spaces:
    # read through the view, every rule still runs in windows, and finds there what the whole text scan finds.
    rules = _catalogue().rules
    quoted, region = _rule_index("generic-secret-quoted"), _rule_index("aws-region")
    secret = expand("{{random:alnum:24}}").text
    words = " ".join(f'label{n}:"réglage\u00a0{n} ſ",' for n in range(1000))  # long s: ignore-case folds it to s
    text = f'var c={{{words} clé_password: "{secret}", région\u2003region:"eu-west-1", {words}}};\n'
    prefilter = Prefilter(rules, use_hyperscan=True)
    selection = prefilter.select(text.encode(), "dist/app.min.js")
    assert prefilter.engine == "hyperscan"
    assert selection.names_located
    assert {quoted, region} <= set(selection.rules)
    for index in (quoted, region):
        windows = selection.windows[index]
        assert sum(stop - low for low, stop, _ in windows) < len(text) // 20, rules[index].id
    for index in selection.rules:
        if index in selection.windows:
            whole = [found.span() for found in rules[index].pattern.finditer(text)]
            assert [found.span() for found in _on_lines(rules[index], text, selection.windows[index])] == whole
    found = [m.group("secret") for m in _on_lines(rules[quoted], text, selection.windows[quoted])]
    assert found == [secret]


# Bytes that make UTF-8 decoding branch: ASCII, lead bytes of each width (valid and never valid), continuation
# bytes of every range a lead accepts or refuses (\x80-\x8f, \x90-\x9f, \xa0-\xbf).
_UTF8_BYTES = st.sampled_from([b"a", b"\n", b"\xc3", b"\xe2", b"\xe0", b"\xed", b"\xf0", b"\xf4", b"\xf8", b"\xc0"])
_CONTINUATIONS = st.sampled_from([b"\x80", b"\x8f", b"\x9f", b"\xa0", b"\xbf"])


@settings(max_examples=500, database=None)
@given(st.lists(st.one_of(_UTF8_BYTES, _CONTINUATIONS, st.just("é€🦀".encode())), max_size=60), st.integers(1, 9))
def test_a_text_decoded_in_pieces_is_the_text_decoded_whole(parts: list[bytes], piece: int) -> None:
    # Cut anywhere a character may not span, the pieces decode to what the whole decodes to, undecodable
    # bytes (a stray continuation, a truncated or overlong sequence) included.
    content = b"".join(parts)
    assert document_text(content, piece=piece) == content.decode("utf-8", "surrogateescape")


def test_a_large_text_is_allocated_once_at_its_final_width() -> None:
    # A bundle that is ASCII but for a dash and, late, one emoji: decoded in one call, its buffer is widened to
    # two bytes a character and then to four, both held at once. In pieces, what is held beside the text is
    # the pieces: about one byte per character of ASCII.
    content = b"x = 1;\n" * (1 << 18) + "\u2014".encode() + b"y = 2;\n" * (1 << 18) + "🦀".encode()
    tracemalloc.start()
    try:
        text = document_text(content)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert text == content.decode("utf-8", "surrogateescape")
    assert peak < sys.getsizeof(text) + len(content) + (1 << 20)


def test_a_selection_holds_no_copy_of_a_non_ascii_document_until_its_names_are_placed() -> None:
    # The view of a non-ASCII bundle is as long as its text: held by the selection, it would be beside the text
    # while the text is decoded, the peak of a worker reading a large bundle. It is made again when read.
    rules = _catalogue().rules
    quoted = _rule_index("generic-secret-quoted")
    secret = expand("{{random:alnum:24}}").text
    filler = "".join(f'label{n}:"réglage {n}",' for n in range(60_000))
    content = f'var c={{{filler} clé_password: "{secret}"}};\n'.encode()
    prefilter = Prefilter(rules, use_hyperscan=True)
    prefilter.select(content, "dist/app.min.js")  # the databases loaded, not measured
    tracemalloc.start()
    try:
        selection = prefilter.select(content, "dist/app.min.js")
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert selection.names_located and quoted in selection.rules
    assert held < len(content) // 4
    nearby = prefilter.nearby(quoted, selection)
    assert nearby is not None and nearby.names
    assert selection.view() == document_view(content)
