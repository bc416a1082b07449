"""Escaped JSON pairs are found from their marks in the document's bytes: what is found, and where, is what a
search of the decoded text finds, whatever characters stand around the marks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credscope.catalogue import load_catalogue
from credscope.detect import escaped_json
from credscope.detect.byte_view import document_text
from credscope.detect.engine import Detector
from credscope.detect.escaped_json import MARK_BYTES, escaped_pairs
from credscope.detect.joined import JOINED_HINTS
from credscope.detect.prefilter import Prefilter
from credscope.model import Document, Reach

from helpers import token

# Names with credential words in ASCII and in the characters `re.IGNORECASE` folds onto ASCII letters (the long
# s, the Kelvin sign), plain names, non-ASCII ones; values; and what may stand between pairs (undecodable bytes
# too: a lone one, a character cut short).
_NAMES = st.sampled_from(
    [
        "password",
        "apiKey",
        "pa\u017f\u017f",
        "to\u212aen",
        "\u212aey",
        "t\u00f6ken",
        "region",
        "\u540d\u524d",
        "x" * 70,
        "a.b-c",
        "password_" + "x" * 54,  # the word as far from the mark as a name reaches
        "pass\u00e9_" + "x" * 45,  # the word before a character wider than a byte
    ]
)
# A value the pairs carry (kept out of the literal pairs below, so that the project's own scan reads none).
_PAIRED = "s3cr3t-value-1"
_VALUES = st.sampled_from([_PAIRED, "\u00e9t\u00e9-2024-val", "\U0001f511\U0001f511-emoji-val", "short"])
_FILLER = st.sampled_from(
    ["", " ", "\u00e9", "\U0001f600", "\\", '"', "\n", "x" * 200, "\u00e9" * 40, "\udc80", "\udce2\udc82"]
)


def _escaped(pairs: dict[str, str], depth: int) -> str:
    text = json.dumps(pairs, ensure_ascii=False)
    for _ in range(depth):
        text = json.dumps(text, ensure_ascii=False)[1:-1]
    return text


@st.composite
def _documents(draw: st.DrawFn) -> bytes:
    parts = []
    for _ in range(draw(st.integers(1, 6))):
        parts.append(draw(_FILLER) * draw(st.integers(0, 3)))
        parts.append(_escaped({draw(_NAMES): draw(_VALUES)}, draw(st.integers(1, 3))))
    text = "".join(parts)
    return text.encode("utf-8", "surrogateescape")


def _by_text(text: str) -> list[escaped_json.EscapedPair]:
    return list(escaped_pairs(text))


@settings(max_examples=300, deadline=None)
@given(_documents())
def test_pairs_found_from_the_bytes_are_those_found_in_the_text(content: bytes) -> None:
    text = document_text(content)
    assert list(escaped_pairs(text, content)) == _by_text(text)


@pytest.mark.parametrize(
    "text",
    [
        "\u00e9" + _escaped({"pa\u017f\u017fword": _PAIRED}, 1),  # long s: `pass` to `re.IGNORECASE`
        "\U0001f600" * 3 + _escaped({"to\u212aen": _PAIRED}, 2),  # the Kelvin sign: `token`
        "\u00e9" * 100 + _escaped({"password": _PAIRED}, 1) + "\u00e9" + _escaped({"token": "abcdefgh12"}, 1),
        "\u00e9" + _escaped({"password": _PAIRED}, 3),  # escaped three times: seven backslashes
        "\u00e9" + _escaped({"pass\u00e9_" + "x" * 45: _PAIRED}, 1),
    ],
)
def test_names_holding_credential_words_are_found_whatever_surrounds_them(text: str) -> None:
    content = text.encode()
    found = list(escaped_pairs(text, content))
    assert found and found == _by_text(text)


def test_the_text_is_not_searched_when_the_bytes_are_given(monkeypatch: pytest.MonkeyPatch) -> None:
    # A 24 MB source map is two or four bytes a character as a text: its bytes are searched instead.
    text = "\u00e9" * 1000 + _escaped({"password": _PAIRED}, 1)
    searched: list[str | bytes] = []
    original = escaped_json._found

    def found(haystack: str | bytes, needle: str | bytes) -> Iterator[int]:
        searched.append(haystack)
        return original(haystack, needle)  # type: ignore[type-var]

    monkeypatch.setattr(escaped_json, "_found", found)
    assert [pair.name for pair in escaped_pairs(text, text.encode())] == ["password"]
    assert searched and not any(isinstance(haystack, str) for haystack in searched)


@pytest.fixture(scope="module")
def located(tmp_path_factory: pytest.TempPathFactory) -> Prefilter:
    """A Hyperscan prefilter of the joined hints (and one rule), giving every start of the escaped pairs' mark."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CREDSCOPE_CACHE_DIR", str(tmp_path_factory.mktemp("marks-cache")))
        rules = [rule for rule in load_catalogue().rules if rule.id == "github-pat-classic"]
        prefilter = Prefilter(rules, use_hyperscan=True, literals=JOINED_HINTS, located=(MARK_BYTES,))
        prefilter.warm()
    assert prefilter.engine == "hyperscan"
    return prefilter


def test_the_marks_the_prefilter_saw_are_those_a_search_finds(located: Prefilter) -> None:
    # Where the prefilter read the document as characters (its view), it gives every mark's start as a character
    # offset of the text: the pairs found from them are those a search finds. Elsewhere (not UTF-8) it gives none.
    @settings(max_examples=200, deadline=None)
    @given(content=_documents(), padding=st.sampled_from(["", "\u00e9" * 3, "\U0001f511", "x" * 5000]))
    def check(content: bytes, padding: str) -> None:
        content = padding.encode() + content + padding.encode()
        text = document_text(content)
        selection = located.select(content, "request.log")
        searched = list(escaped_json._found(text, '\\":'))
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            assert selection.located is None
            return
        assert selection.located is not None
        marks = list(selection.located.get(MARK_BYTES, ()))
        assert marks == searched
        assert (MARK_BYTES in selection.literals) == bool(searched)
        assert list(escaped_pairs(text, content, marks)) == _by_text(text)

    check()


def test_a_scan_takes_the_marks_from_the_prefilter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The document is not searched again for the marks Hyperscan saw in its pass.
    monkeypatch.setenv("CREDSCOPE_CACHE_DIR", str(tmp_path / "cache"))
    detector = Detector(load_catalogue(), use_hyperscan=True)
    secret = token("{{random:alnum:24}}")
    body = "\u00e9" * 50 + 'log("' + _escaped({"user": "ann", "password": secret}, 1) + '")\n'
    content = ("const x = 1;\n" * 30000 + body).encode()
    searched: list[object] = []
    original = escaped_json._found

    def found(haystack: str | bytes, needle: str | bytes) -> Iterator[int]:
        searched.append(needle)
        return original(haystack, needle)  # type: ignore[type-var]

    monkeypatch.setattr(escaped_json, "_found", found)
    candidates = detector.detect(Document(path="app/client.js", content=content, reach=Reach.FILE))
    assert [c.secret for c in candidates if c.secret == secret]
    assert searched == []
    # The pure-Python prefilter (a small scan's) has no marks to give: the text is searched, with the same result.
    small = Detector(load_catalogue(), use_hyperscan=False)
    assert [c.secret for c in small.detect(Document(path="app/client.js", content=content, reach=Reach.FILE))] == [
        c.secret for c in candidates
    ]
    assert searched
