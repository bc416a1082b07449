"""Rules whose matches stay on one line run only over the lines Hyperscan points to: the same matches as a
scan of the whole text, on every kind of document (ASCII or not, CRLF, control characters, long lines).

Nothing here is timed; benchmarks/run.py measures what the windows save.
"""

from __future__ import annotations

import functools
import re
import secrets
from typing import Any

import hypothesis
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credscope.catalogue import Catalogue, load_catalogue
from credscope.detect.engine import Detector, _may_be_named, _on_lines
from credscope.detect.prefilter import Prefilter, hyperscan_source
from credscope.detect.regex_shape import line_local, literal_anchor
from credscope.model import Document, Reach
from credscope.testing.generate import expand

pytest.importorskip("hyperscan")

SHAPES = [
    # (pattern, flags, line-local, literal anchor)
    (r"ghp_[A-Za-z0-9]{36}", 0, True, 4),
    (r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])", 0, True, 0),
    (r"[^@\s]+://[^@\s]+@host", 0, True, 5),
    (r"[^@]+://x", 0, False, 4),  # a negated class without \n in it crosses lines
    (r"key\s*=\s*(\w+)", 0, False, 3),  # \s matches a newline
    (r"key[ \t]*=.*", 0, True, 3),  # `.` stops at a newline ...
    (r"(?s)key=.*", 0, False, 4),  # ... unless DOTALL
    (r"key=(?s:.)", 0, False, 4),
    (r"(?m)^key=\w+$", 0, True, 4),
    (r"key=\w+$", 0, False, 4),  # `$` outside MULTILINE: the end of the text only
    (r"key=\w+\Z", 0, False, 4),
    (r"\bkey=\w+", 0, True, 4),
    (r"(?:pass|pwd|secret)=\w+", 0, True, 3),  # runs are not joined across a group: conservative
    (r"(?:pass|pw)\w+", 0, True, 2),  # `re` factors out the common `p`: it goes on into `ass|w`
    (r"(?i:pass(?:word|wd)?|pwd)[ \t]*=", 0, True, 3),  # `p`, then `ass` or `wd`
    (r"k(?:ey){1,3}=", 0, True, 3),
    (r"(?i:token)(?=\n)", 0, False, 5),  # a lookahead that needs the newline
    (r"(a)?(?(1)b|c)key", 0, False, 3),  # conditionals are not understood: not line-local
    (r"(?:ab){2,}cd", 0, True, 2),
    (r"x[\n]y", 0, False, 3),  # a one-character class is a literal
    (r"x[^\n]y", 0, True, 1),
    (r"x[\S]y", 0, True, 1),
    (r"x[^\S]y", 0, False, 1),
    (r"x[\x00-\x7f]y", 0, False, 1),
]


WIDENED = [
    # (pattern, what Hyperscan is given): wide counted repetitions open-ended, nothing else touched.
    (r"(?:[A-Za-z0-9+/]{1,128}\s{1,64}){2,256}?-----END", r"(?:[A-Za-z0-9+/]+\s+){2,}?-----END"),
    (r"sig=[A-Za-z0-9%]{30,512}(?:%3D|=){0,2}", r"sig=[A-Za-z0-9%]{30,}(?:%3D|=){0,2}"),
    (r"[^\n]{0,1024}\n", r"[^\n]*\n"),
    (r"[a-z0-9]{3,19}\.x{86}y{,8}", r"[a-z0-9]{3,19}\.x{86}y{,8}"),  # narrow, exact, or {,8}
    (r"\{0,99\}[{0,99}][]{0,99}]", r"\{0,99\}[{0,99}][]{0,99}]"),  # escaped, or inside a class
    (r"[^]{0,99}]a{0,99}", r"[^]{0,99}]a*"),
]


@pytest.mark.parametrize(("pattern", "expected"), WIDENED, ids=[w[0] for w in WIDENED])
def test_hyperscan_is_given_open_ended_wide_repetitions(pattern: str, expected: str) -> None:
    assert hyperscan_source(pattern) == expected


def test_every_rule_hyperscan_is_given_matches_a_superset_of_the_rule() -> None:
    # A prefilter may over-approximate, never miss: each rule's examples still match the source Hyperscan compiles.
    catalogue = load_catalogue()
    for rule in catalogue.rules:
        widened = re.compile(hyperscan_source(rule.pattern.pattern), rule.pattern.flags)
        for example in (example for example in rule.examples if example.positive):
            text = expand(example.text).text
            for match in rule.pattern.finditer(text):
                assert widened.search(text, match.start()), (rule.id, example.text)


@pytest.mark.parametrize(("pattern", "flags", "local", "anchor"), SHAPES, ids=[s[0] for s in SHAPES])
def test_regex_shape(pattern: str, flags: int, local: bool, anchor: int) -> None:
    assert line_local(pattern, flags) == local
    assert literal_anchor(pattern, flags) == anchor
    # The verdict holds for the pattern itself: a line-local pattern never matches across a newline.
    if local:
        compiled = re.compile(pattern, flags)
        assert all("\n" not in m.group(0) for m in compiled.finditer("key=a\nb key=\n x\ny ghp_\n"))


@functools.cache
def _catalogue() -> Catalogue:
    return load_catalogue()


@functools.cache
def _example_lines() -> tuple[str, ...]:
    """Every example of every rule, positive and negative, with fresh tokens: lines for the documents below."""
    lines: list[str] = []
    for rule in _catalogue().rules:
        for example in rule.examples:
            text = expand(example.text).text
            lines.extend(text.splitlines() or [text])
    return tuple(lines)


_JUNK = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=80),
    st.text(max_size=40),  # non-ASCII, control characters, surrogates' neighbours
    st.sampled_from(
        [
            "",
            "\x1c\x1d password = 'abc'",
            "é token = 'changeme-changeme'",
            "naïve://user:pässword@host.example.com",
            "x" * 5000,
            "api_key: 'ÄÖÜäöü12345678'",
            "kind: Secret",
            '{"auths": {"registry.example": {}}}',
        ]
    ),
)


@st.composite
def documents(draw: st.DrawFn) -> str:
    examples = _example_lines()
    lines = draw(
        st.lists(
            st.one_of(st.integers(0, len(examples) - 1).map(examples.__getitem__), _JUNK),
            min_size=1,
            max_size=30,
        )
    )
    separator = draw(st.sampled_from(["\n", "\r\n"]))
    return separator.join(lines) + draw(st.sampled_from(["", "\n"]))


@settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(text=documents())
# Found by this test: a key on the first line, the rule's name (`alchemy`) 5,000 characters further on.
@hypothesis.example(
    text=f"  api-key: {secrets.token_hex(16).upper()}\n{'x' * 5000}\nconst alchemy = new Alchemy({{ apiKey: k }});"
)
def test_windowed_rules_find_what_the_whole_text_scan_finds(text: str) -> None:
    rules = _catalogue().rules
    prefilter = _hyperscan_prefilter()
    engine: Any = prefilter._engine
    content = text.encode("utf-8", "surrogatepass")
    decoded = content.decode("utf-8", "surrogateescape")
    # Both ways a dense database may read (prefilter._DenseGroup): the whole text, then only around the names.
    engine.place_names = True
    around = prefilter.select(content, "app/settings.py")
    engine.place_names = False
    chosen, windows, literals, *_ = prefilter.select(content, "app/settings.py")
    engine.place_names = None
    assert literals == around.literals == _python_prefilter().select(content, "app/settings.py").literals
    for index in chosen:
        rule = rules[index]
        whole = [(m.span(), m.groupdict()) for m in rule.pattern.finditer(decoded)]
        if index in windows:
            assert [(m.span(), m.groupdict()) for m in _on_lines(rule, decoded, windows[index])] == whole, rule.id
        placed = around.placed.get(index)
        if placed is None and index not in around.rules and rule.requires_name:
            # Read only around its names, the rule had no match there and was left out: no match the whole text
            # holds may be named (its names stand too far from all of them).
            placed = engine.nearby(index, rule, content)
            assert not any(
                _may_be_named(rule, placed, m.start(), *m.span("secret")) for m in rule.pattern.finditer(decoded)
            ), rule.id
            continue
        if placed is None:
            assert around.windows.get(index) == windows.get(index), rule.id
            continue
        # Read around the names, the windows hold every match that may be named (the others are dropped
        # unjudged, `_may_be_named`), and only matches the whole text holds.
        found = [(m.span(), m.groupdict()) for m in _on_lines(rule, decoded, around.windows.get(index, []))]
        kept = [
            (m.span(), m.groupdict())
            for m in rule.pattern.finditer(decoded)
            if _may_be_named(rule, placed, m.start(), *m.span("secret"))
        ]
        assert all(match in found for match in kept) and all(match in whole for match in found), rule.id
    # Nothing is lost by leaving rules out, either: every rule the pure-Python path confirms is chosen, but for
    # rules that need a name where nothing in the document can give one (the detectors' results are compared
    # below and in test_fast_path_equivalence.py).
    left_out = set(_python_prefilter().candidates(content, "app/settings.py")) - set(chosen)
    assert all(rules[index].requires_name for index in left_out)


@settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=documents())
def test_detector_with_hyperscan_equals_detector_without(text: str) -> None:
    document = Document(path="config/app.env", content=text.encode("utf-8", "surrogatepass"), reach=Reach.FILE)
    assert _detector(True).detect(document) == _detector(False).detect(document)


_LITERALS = (b"Secret", b'"auths"', b"token-data", b"\xc3\xa9")


@functools.cache
def _hyperscan_prefilter() -> Prefilter:
    prefilter = Prefilter(_catalogue().rules, use_hyperscan=True, literals=_LITERALS)
    prefilter.select(b"warm")
    assert prefilter.engine == "hyperscan"
    return prefilter


@functools.cache
def _python_prefilter() -> Prefilter:
    return Prefilter(_catalogue().rules, use_hyperscan=False, literals=_LITERALS)


@functools.cache
def _detector(use_hyperscan: bool) -> Detector:
    return Detector(_catalogue(), use_hyperscan=use_hyperscan)


def test_windows_around_match_ends_are_in_characters() -> None:
    # Line 2 holds a match behind non-ASCII text: its byte offset is not its character offset.
    github = next(i for i, r in enumerate(_catalogue().rules) if r.id == "github-pat-classic")
    secret = expand("{{github:ghp}}").text
    text = f"# ünïcödé header\nGITHUB_TOKEN = '{secret}'\n# plain\n" + "x = 1\n" * 200
    content = text.encode()
    chosen, windows, *_ = _hyperscan_prefilter().select(content, "a.py")
    assert github in chosen
    start = text.index(secret)
    # One window, in characters, around the match's end: not the whole text, not the whole line.
    [(low, stop, endpos)] = windows[github]
    assert low <= start < stop < endpos < len(text)
    assert stop >= start + len(secret)
    found = [m.group("secret") for m in _on_lines(_catalogue().rules[github], text, windows[github])]
    assert found == [secret]


def test_a_dense_rule_runs_only_around_its_candidates() -> None:
    # `[A-Za-z0-9/+]{40}` with no literal: Hyperscan reports the ends of 40-character runs only (the
    # lookarounds it cannot run are rewritten into characters it consumes), so a long base64 run is one end.
    rules = _catalogue().rules
    aws = next(i for i, r in enumerate(rules) if r.id == "aws-secret-access-key")
    secret = expand("{{aws-secret}}").text
    filler = "".join(f"line {n}: " + "QUJD" * 200 + "\n" for n in range(50))
    text = filler + f"aws_secret_access_key = {secret}\n" + filler
    chosen, windows, *_ = _hyperscan_prefilter().select(text.encode(), "settings.cfg")
    assert aws in chosen
    [(low, stop, endpos)] = windows[aws]
    assert low <= text.index(secret) < stop and endpos - low < 200
    assert [m.group("secret") for m in _on_lines(rules[aws], text, windows[aws])] == [secret]


def test_a_match_hyperscan_cannot_see_on_a_non_ascii_line_is_still_found() -> None:
    # 150 two-byte characters between quotes: within the rule's 200 characters, beyond its 200 *bytes*, so
    # Hyperscan's byte-level view reports no match there; the line is read anyway because it is not ASCII.
    rules = _catalogue().rules
    quoted = next(i for i, r in enumerate(rules) if r.id == "generic-secret-quoted")
    value = "é" * 150
    text = f'x = 1\npassword = "{value}"\ny = 2\n'
    chosen, windows, *_ = _hyperscan_prefilter().select(text.encode(), "a.py")
    assert quoted in chosen
    assert [m.group("secret") for m in _on_lines(rules[quoted], text, windows[quoted])] == [value]
