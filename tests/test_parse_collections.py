"""A document's parse runs without full garbage collections (each would walk the whole tree built so far), and
the collector's settings are as they were once it ends, whether it succeeds or fails."""

from __future__ import annotations

import gc

import pytest

from credscope.detect import parsers
from credscope.detect.context import DocumentContext


def test_no_full_collection_during_a_parse_and_the_settings_come_back(monkeypatch: pytest.MonkeyPatch) -> None:
    before = gc.get_threshold()
    during: list[tuple[int, int, int]] = []
    original = parsers.parse_document

    def watched(*args: object, **kwargs: object) -> object:
        during.append(gc.get_threshold())
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(parsers, "parse_document", watched)
    context = DocumentContext("values.yaml", "a:\n  b: [1, 2, {c: d}]\n" * 200, listed=True)  # walked whole
    assert context.assignments
    assert during[0][:2] == before[:2] and during[0][2] > 100_000
    assert gc.get_threshold() == before


def test_the_settings_come_back_after_a_failed_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    before = gc.get_threshold()

    def failing(*args: object, **kwargs: object) -> object:
        raise RecursionError

    monkeypatch.setattr(parsers, "parse_document", failing)
    with pytest.raises(RecursionError):
        _ = DocumentContext("values.yaml", "a: b\n").parsed
    assert gc.get_threshold() == before
