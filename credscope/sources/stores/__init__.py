"""Credential stores parsed for what they are: each entry (AWS profile, kube user, MCP server) becomes
its own document carrying that entry's context, with every line kept where it is.

A store file is split into documents that hold only one entry's lines (the rest blanked), so the
detector sees each secret once, at its real line, with hints such as the profile or server name.
Values a store keeps encoded (Docker `auth`, kubeconfig `client-key-data`) are rewritten in place
into the form the catalogue recognises.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace

from credscope.model import Document


@dataclass(frozen=True)
class Entry:
    """Lines `first`..`last` (1-based, inclusive) of a store, what they are about, and in-place rewrites."""

    first: int
    last: int
    hints: Mapping[str, str]
    rewrites: Mapping[int, str] = field(default_factory=dict)  # line -> replacement (one line)


# A parser reads a store's text and returns its entries; it raises ValueError for malformed input.
Parser = Callable[[str], list[Entry]]


def split(document: Document, entries: list[Entry]) -> Iterator[Document]:
    """One document per entry, plus one for the lines no entry claims; inner entries win over outer ones."""
    text = document.content.decode("utf-8", "surrogateescape")
    lines = text.split("\n")
    owner: list[int | None] = [None] * len(lines)
    for index, entry in enumerate(entries):
        for line in range(max(entry.first, 1), min(entry.last, len(lines)) + 1):
            owner[line - 1] = index
    for index, entry in enumerate(entries):
        kept = [
            entry.rewrites.get(number + 1, line) if owner[number] == index else ""
            for number, line in enumerate(lines)
        ]
        if any(kept):
            yield _with(document, kept, {**document.hints, **entry.hints})
    rest = [line if owner[number] is None else "" for number, line in enumerate(lines)]
    if any(line.strip() for line in rest):
        yield _with(document, rest, dict(document.hints))


def _with(document: Document, lines: list[str], hints: dict[str, str]) -> Document:
    content = "\n".join(lines).encode("utf-8", "surrogateescape")
    return replace(document, content=content, hints=hints)


def parse_store(document: Document, store: str, parser: Parser, on_error: Callable[[str], None]) -> Iterator[Document]:
    """The store's entry documents; a malformed store is still scanned whole (and the problem recorded)."""
    tagged = replace(document, hints={**document.hints, "store": store})
    try:
        entries = parser(document.content.decode("utf-8", "surrogateescape"))
    except ValueError as error:
        on_error(str(error).splitlines()[0] if str(error) else type(error).__name__)
        yield tagged
        return
    yield from split(tagged, entries)
