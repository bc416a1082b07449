"""The home directory: the credential stores an agent on the same machine can read, each parsed for
what it is (AWS profiles, kube users, Docker registries, MCP servers, CLI logins), then every other small
text file of its dotfiles and configuration directories (sources/home_walk.py), as `home` documents.

The same agent-config parsers apply to the MCP configs a repository carries (`.cursor/mcp.json`, ...).
"""

from __future__ import annotations

import functools
import importlib
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from credscope.model import Candidate, Document, Reach
from credscope.sources import Source, SourceReport
from credscope.sources.home_stores import (
    HOME_STORES,
    MAX_STORE_SIZE,
    REPO_STORES,
    Store,
    aws_credentials,
    repo_store_for,
)
from credscope.sources.home_walk import HomeWalk, WalkLimits, read_bytes
from credscope.sources.tree import read_regular_file

if TYPE_CHECKING:
    from credscope.catalogue import Catalogue
    from credscope.sources.stores import Parser

__all__ = [
    "HOME_STORES",
    "REPO_STORES",
    "AgentConfigSource",
    "HomeSource",
    "Store",
    "default_home",
    "repo_store_for",
    "with_store_context",
]


def default_home(environ: Mapping[str, str] | None = None) -> Path:
    """The user's home: $HOME when set (tests point it at a temporary directory), else the account's."""
    environ = os.environ if environ is None else environ
    home = environ.get("HOME") or environ.get("USERPROFILE")
    return Path(home) if home else Path.home()


@dataclass
class HomeSource:
    """Every known credential store under `home`, then every other small text file of its dotfiles and
    configuration directories, as `home` documents with display paths like `~/.netrc`."""

    home: Path
    max_file_size: int = MAX_STORE_SIZE
    name: str = "home"
    walk: WalkLimits | None = field(default_factory=WalkLimits)  # None: the known stores only

    def documents(self, report: SourceReport) -> Iterator[Document]:
        home = self.home.resolve()
        if not home.is_dir():
            report.skip(str(self.home), "not-a-directory", "--home needs a directory")
            return
        from credscope.sources.stores import parse_store  # noqa: PLC0415 - see _Deferred
        from credscope.sources.stores.config_files import aws_config_profiles  # noqa: PLC0415

        read: dict[tuple[int, int], str] = {}  # (device, inode) of each file read, so the walk skips it
        handled: set[str] = set()  # every store path, read or skipped: the walk leaves them alone
        aws_profiles: dict[str, dict[str, str]] = {}
        for store in HOME_STORES:
            for absolute in _matches(home, store.pattern):
                relative = absolute.relative_to(home).as_posix()
                handled.add(relative)
                display = "~/" + relative
                target = _inside(home, absolute, display, report)
                if target is None:
                    continue
                content = self._read(store, target, display, read, report)
                if content is None:
                    continue
                parser = store.parser
                if store.store == "aws-config":
                    aws_profiles = aws_config_profiles(content.decode("utf-8", "surrogateescape"))
                elif store.store == "aws-credentials":
                    # A profile's role_arn/source_profile live in ~/.aws/config (read just before).
                    parser = functools.partial(aws_credentials, config=aws_profiles)

                document = Document(path=display, content=content, reach=Reach.HOME, root=str(home))
                yield parse_store(document, store.store, parser, _skipper(report, display))
        if self.walk is not None:
            yield from HomeWalk(home, self.walk, read, handled).documents(report)

    def _read(
        self, store: Store, target: Path, display: str, read: dict[tuple[int, int], str], report: SourceReport
    ) -> bytes | None:
        try:
            info = os.stat(target)
        except OSError:
            info = None
        if info is not None and (info.st_dev, info.st_ino) in read:
            report.skip(display, "same-file", f"read as {read[(info.st_dev, info.st_ino)]}")
            return None
        if store.binary is None:
            content = read_regular_file(target, display, self.max_file_size, report)
        else:
            content = _binary_store(store.binary, target, display, self.max_file_size, report)
        if content is not None and info is not None:
            read[(info.st_dev, info.st_ino)] = display
        return content


def _inside(home: Path, absolute: Path, display: str, report: SourceReport) -> Path | None:
    """The file a store path names, if it lies inside the home directory once links are resolved.

    Dotfile managers link stores into place (`~/.aws/credentials -> ~/dotfiles/aws/credentials`); an agent
    reads through the link, so does this. A link out of the home directory is never followed: the home
    being scanned may not be the user's own, and what lies outside it is not its to reveal.
    """
    try:
        target = absolute.resolve(strict=True)
    except (OSError, RuntimeError):
        report.skip(display, "broken-symlink")
        return None
    if not target.is_relative_to(home):
        report.skip(display, "symlink-outside-home")
        return None
    return target


def _binary_store(render: str, target: Path, display: str, max_size: int, report: SourceReport) -> bytes | None:
    """A binary store's bytes (read like any file, without the binary check) rendered as text by `render`."""
    from credscope.sources.stores.spans import SpanError  # noqa: PLC0415 - see _Deferred

    data = read_bytes(target, display, max_size, report)
    if data is None:
        return None
    module, function = render.rsplit(".", 1)
    renderer = getattr(importlib.import_module(f"credscope.sources.stores.{module}"), function)
    try:
        text: str = renderer(data, target)
    except SpanError as error:
        report.skip(display, "unparsed-store", str(error))
        return None
    return text.encode("utf-8", "surrogateescape")


def _skipper(report: SourceReport, path: str) -> Callable[[str], None]:
    """Records a store that did not parse; it is still scanned whole."""

    def skip(why: str) -> None:
        report.skip(path, "unparsed-store", f"{why}; scanned as plain text")

    return skip


def _matches(base: Path, pattern: str) -> list[Path]:
    if not any(char in pattern for char in "*?["):
        candidate = base / pattern
        return [candidate] if candidate.is_file() or candidate.is_symlink() else []
    return sorted(path for path in base.glob(pattern) if path.is_file())


@dataclass
class AgentConfigSource:
    """Wraps a tree source: agent configs in the tree are split per MCP server, like the home ones."""

    inner: Source
    name: str = "tree"

    def documents(self, report: SourceReport) -> Iterator[Document]:
        for document in self.inner.documents(report):
            store = repo_store_for(document.path)
            if store is None or document.window is not None:  # a window of a large file: judged line by line
                yield document
                continue
            from credscope.sources.stores import parse_store  # noqa: PLC0415 - see _Deferred

            yield parse_store(document, store.store, store.parser, _skipper(report, document.path))


_PARSERS: dict[str, Parser] = {store.store: store.parser for store in (*REPO_STORES, *HOME_STORES)}


def with_store_context(
    document: Document, candidates: list[Candidate], catalogue: Catalogue | None = None
) -> list[Candidate]:
    """Each finding in a store, with the context of the entry it sits in (profile, kube user, MCP server),
    and, given the catalogue, each value the store's format claims for a provider attributed to it
    (stores/claims.py): found by no rule or only by a generic one, it is still that provider's credential.

    Runs after detection so the detector sees the store whole; the detector's own context wins where
    both say something.
    """
    store = document.hints.get("store")
    parser = _PARSERS.get(store) if store and (candidates or catalogue is not None) else None
    if parser is None:
        return candidates
    if store == "aws-credentials" and document.reach is Reach.HOME:
        parser = functools.partial(aws_credentials, config=_aws_profiles(Path(document.root)))
    try:
        entries = parser(document.content.decode("utf-8", "surrogateescape"))
    except ValueError:
        return candidates
    from credscope.sources.stores import context_at  # noqa: PLC0415 - see _Deferred

    found = [_with_hints(candidate, context_at(entries, candidate.location.line)) for candidate in candidates]
    if catalogue is None or not any(entry.claims for entry in entries):
        return found
    from credscope.sources.stores.claims import with_claims  # noqa: PLC0415 - see _Deferred

    return with_claims(document, found, entries, catalogue)


def _with_hints(candidate: Candidate, hints: dict[str, str]) -> Candidate:
    if not hints:
        return candidate
    context = {**hints, **candidate.location.context}
    return replace(candidate, location=replace(candidate.location, context=context))


def _aws_profiles(home: Path) -> dict[str, dict[str, str]]:
    from credscope.sources.stores.config_files import aws_config_profiles  # noqa: PLC0415 - see _Deferred

    config = home / ".aws" / "config"
    try:
        return aws_config_profiles(config.read_text("utf-8", "replace")) if config.is_file() else {}
    except OSError:
        return {}
