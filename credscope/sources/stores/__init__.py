"""Credential stores parsed for what they are: each entry (AWS profile, kube user, MCP server, .netrc
machine) knows its lines and its context, which is added to the findings on those lines.

The source hands the detector each store file whole, so the format parsers in credscope/detect see the
real structure (and decode Docker `auth` and kubeconfig `*-data` values); a store whose format no rule
knows (.pgpass) is rewritten line for line into the form the catalogue recognises.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from credscope.model import Document


@dataclass(frozen=True)
class Claim:
    """A value that the store's format says is a credential of `provider`, whatever a rule made of it.

    The tool that wrote the store sends it there (the Railway CLI sends `user.token` as its Bearer token), so
    the store's word beats a generic rule's; `rule` is the catalogue rule that stands for this kind. When the
    catalogue has no such rule the value is still reported, as a generic `fallback` kind with the store's
    context.
    """

    line: int
    value: str
    name: str  # the key it sits under, as the store writes it (`user.token`, `auth-contexts.work`)
    provider: str
    kind: str
    rule: str
    fallback: str = "token"  # the generic kind when the catalogue lacks the rule


@dataclass(frozen=True)
class Entry:
    """Lines `first`..`last` (1-based, inclusive) of a store, what they are about, and in-place rewrites."""

    first: int
    last: int
    hints: Mapping[str, str]
    rewrites: Mapping[int, str] = field(default_factory=dict)  # line -> replacement (one line)
    claims: tuple[Claim, ...] = ()


# A parser reads a store's text and returns its entries; it raises ValueError for malformed input.
Parser = Callable[[str], list[Entry]]


def context_at(entries: Sequence[Entry], line: int) -> dict[str, str]:
    """The hints of the innermost entry covering `line` (entries are listed outer before inner)."""
    found: dict[str, str] = {}
    for entry in entries:
        if entry.first <= line <= entry.last:
            found = dict(entry.hints)
    return found


def rewritten(document: Document, entries: Sequence[Entry]) -> Document:
    """The document with its entries' line rewrites applied in place; line numbers never move."""
    rewrites = {line: text for entry in entries for line, text in entry.rewrites.items()}
    if not rewrites:
        return document
    lines = document.content.decode("utf-8", "surrogateescape").split("\n")
    for line, text in rewrites.items():
        if 1 <= line <= len(lines):
            lines[line - 1] = text
    return replace(document, content="\n".join(lines).encode("utf-8", "surrogateescape"))


def parse_store(document: Document, store: str, parser: Parser, on_error: Callable[[str], None]) -> Document:
    """The store document tagged with its kind (and rewritten where its format needs it).

    A store that does not parse is still scanned whole, as plain text, and the problem recorded.
    """
    tagged = replace(document, hints={**document.hints, "store": store})
    try:
        entries = parser(document.content.decode("utf-8", "surrogateescape"))
    except ValueError as error:
        on_error(str(error).splitlines()[0] if str(error) else type(error).__name__)
        return tagged
    return rewritten(tagged, entries)
