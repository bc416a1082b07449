"""Reading a value as words (`segmented`, `_made_of_fake_words`) tries only the starts it reached and gives up once
none lies within a word's length. The answers are those of the exhaustive reading, kept here as the reference:
every start in reach tried at every end."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from credscope.detect.filters import words
from credscope.detect.filters.vocabulary import FAKE_WORDS, KNOWN_WORDS, segmented


def _segmented_exhaustively(word: str, vocabulary: frozenset[str]) -> list[str] | None:
    best: list[list[str] | None] = [[]] + [None] * len(word)
    for end in range(2, len(word) + 1):
        for start in range(max(0, end - 24), end - 1):
            head = best[start]
            if head is not None and word[start:end] in vocabulary:
                best[end] = [*head, word[start:end]]
                break
    return best[-1]


def _made_of_fake_words_exhaustively(word: str) -> bool:
    reachable = [True] + [False] * len(word)
    for end in range(3, len(word) + 1):
        reachable[end] = any(
            reachable[start] and word[start:end] in FAKE_WORDS for start in range(max(0, end - 12), end - 2)
        )
    return len(word) >= 6 and reachable[-1]


# Words of the vocabularies, a long made-up one (the reach limits), and letters: glued, they make values that
# read as words, that nearly do, and that do not.
_LONG = "supercalifragilisticexpialidocious"
_PIECES = st.sampled_from([*sorted(KNOWN_WORDS), _LONG, _LONG[:24], _LONG[:25], "x", "q", "zz", "7"])
_WORDS = st.lists(_PIECES | st.text("abcdefghijklmnopqrstuvwxyz", max_size=3), max_size=8).map("".join)


@settings(max_examples=3000, deadline=None)
@given(_WORDS, st.sets(st.sampled_from([*sorted(KNOWN_WORDS)[:40], _LONG, _LONG[:24], _LONG[:25], "x", "zz"])))
def test_a_word_is_segmented_as_the_exhaustive_reading_segments_it(word: str, extra: set[str]) -> None:
    for vocabulary in (KNOWN_WORDS, frozenset(extra), KNOWN_WORDS | extra | {_LONG[:24]}):
        assert segmented(word, vocabulary) == _segmented_exhaustively(word, vocabulary), (word, vocabulary)


@settings(max_examples=3000, deadline=None)
@given(_WORDS)
def test_fake_words_are_found_as_the_exhaustive_reading_finds_them(word: str) -> None:
    assert words._made_of_fake_words(word) == _made_of_fake_words_exhaustively(word), word


def test_the_edges_of_reach() -> None:
    vocabulary = frozenset({_LONG[:24], "ab", "cd"})
    for word in ("", "a", "ab", "abcd", _LONG[:24], _LONG[:24] + "ab", "ab" + _LONG[:24], _LONG[:25], "abc"):
        assert segmented(word, vocabulary) == _segmented_exhaustively(word, vocabulary), word
    for word in ("testfoo", "foobarsecret", "changemetest", "placeholdertest", "x" * 13 + "test", "abcsecretkey"):
        assert words._made_of_fake_words(word) == _made_of_fake_words_exhaustively(word), word
