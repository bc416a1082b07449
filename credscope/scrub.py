"""The last pass before anything is rendered: no credential of the scan appears whole, or by its password, in the
context, identity, evidence or actions of any credential, nor in a run note; user names that are tokens, and the
passwords and key parameters of URLs in context, are redacted. Each layer tries not to put a secret there; this
pass holds the promise when one slips.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from credscope.connstr import MASK, masked, passwords
from credscope.detect.entropy import shannon
from credscope.model import Credential, Location, redact

# Shorter values are left alone: a 5-letter password equal to a role name must not erase every mention of it.
MIN_PIECE = 6
# Nor a short word: `postgres://postgres:postgres@localhost` must keep its role and `postgres:DROP DATABASE`.
_WORD_LENGTH = 12
# Context keys that name an account: a token written there (a .netrc `login`) is a credential, not a name.
_USER_KEYS = frozenset({"user", "login", "username"})
_TOKEN_LENGTH = 16
_TOKEN_ENTROPY = 3.5


def looks_like_token(value: str) -> bool:
    """Whether a user name is random enough to be a credential itself (GitHub's and Heroku's .netrc logins)."""
    if len(value) < _TOKEN_LENGTH or any(char.isspace() for char in value) or "@" in value:
        return False
    has_digit = any(char.isdigit() for char in value)
    has_letter = any(char.isalpha() for char in value)
    return has_digit and has_letter and shannon(value) >= _TOKEN_ENTROPY


def _worth_scrubbing(piece: str) -> bool:
    return len(piece) >= MIN_PIECE and not (piece.isalpha() and len(piece) <= _WORD_LENGTH)


class Pieces:
    """Every secret value of a scan and what stands in for it, found in a text by its first MIN_PIECE characters."""

    def __init__(self, credentials: Iterable[Credential]) -> None:
        replacements: dict[str, str] = {}
        for credential in credentials:
            for password in passwords(credential.secret):
                replacements.setdefault(password, MASK)
            for value in credential.parts.values():
                replacements.setdefault(value, redact(value))
            replacements[credential.secret] = credential.preview
        self._by_head: dict[str, list[tuple[str, str]]] = {}
        for piece, stand_in in sorted(replacements.items(), key=lambda item: -len(item[0])):
            if _worth_scrubbing(piece):
                self._by_head.setdefault(piece[:MIN_PIECE], []).append((piece, stand_in))
        self._done: dict[str, str] = {}

    def clean(self, text: str) -> str:
        """`text` with every piece replaced by its stand-in (the longest piece first where several start)."""
        if len(text) < MIN_PIECE or not self._by_head:
            return text
        known = self._done.get(text)
        if known is not None:
            return known
        out: list[str] = []
        position = 0
        index = 0
        while index <= len(text) - MIN_PIECE:
            found = next(
                (
                    item
                    for item in self._by_head.get(text[index : index + MIN_PIECE], ())
                    if text.startswith(item[0], index)
                ),
                None,
            )
            if found is None:
                index += 1
                continue
            out.append(text[position:index] + found[1])
            index = position = index + len(found[0])
        cleaned = "".join(out) + text[position:] if out else text
        self._done[text] = cleaned
        return cleaned

    def clean_mapping(self, values: Mapping[str, str]) -> dict[str, str]:
        # A URL or connection string in context (an MCP server's `url`) keeps its shape, its passwords masked.
        cleaned = {key: self.clean(masked(value) or value) for key, value in values.items()}
        for key in _USER_KEYS & cleaned.keys():
            if looks_like_token(cleaned[key]):
                cleaned[key] = redact(cleaned[key])
        return cleaned


def scrubbed(credentials: Sequence[Credential], notes: Sequence[str] = ()) -> tuple[list[Credential], tuple[str, ...]]:
    """The credentials and run notes with every secret of the scan replaced by its redacted stand-in."""
    pieces = Pieces(credentials)
    return [_scrubbed(c, pieces) for c in credentials], tuple(pieces.clean(note) for note in notes)


def _scrubbed(credential: Credential, pieces: Pieces) -> Credential:
    scope = credential.scope
    cleaned_scope = replace(
        scope,
        evidence=tuple(pieces.clean(line) for line in scope.evidence),
        destructive_actions=tuple(pieces.clean(action) for action in scope.destructive_actions),
        identity=pieces.clean_mapping(scope.identity),
    )
    locations = tuple(_location(location, pieces) for location in credential.locations)
    if cleaned_scope == scope and locations == credential.locations:
        return credential
    return replace(credential, scope=cleaned_scope, locations=locations)


def _location(location: Location, pieces: Pieces) -> Location:
    context = pieces.clean_mapping(location.context)
    return location if context == dict(location.context) else replace(location, context=context)
