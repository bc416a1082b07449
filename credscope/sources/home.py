"""The home directory: the credential stores an agent on the same machine can read, each parsed for
what it is (AWS profiles, kube users, Docker registries, MCP servers), as `home` documents.

The same agent-config parsers apply to the MCP configs a repository carries (`.cursor/mcp.json`, ...).
"""

from __future__ import annotations

import fnmatch
import functools
import importlib
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from credscope.model import Candidate, Document, Reach
from credscope.sources import Source, SourceReport
from credscope.sources.tree import read_regular_file

if TYPE_CHECKING:
    from credscope.sources.stores import Entry, Parser


class _Deferred:
    """A store parser imported when first called: a tree scan that meets no credential store never loads them."""

    __slots__ = ("_module", "_name", "_parser")

    def __init__(self, module: str, name: str) -> None:
        self._module, self._name = module, name
        self._parser: Callable[..., list[Entry]] | None = None

    def __call__(self, text: str, **options: Any) -> list[Entry]:
        if self._parser is None:
            module = importlib.import_module(f"credscope.sources.stores.{self._module}")
            self._parser = getattr(module, self._name)
        return self._parser(text, **options)

    def __repr__(self) -> str:
        return f"credscope.sources.stores.{self._module}.{self._name}"


aws_config = _Deferred("config_files", "aws_config")
aws_credentials = _Deferred("config_files", "aws_credentials")
docker_config = _Deferred("config_files", "docker_config")
gcloud_adc = _Deferred("config_files", "gcloud_adc")
gh_hosts = _Deferred("config_files", "gh_hosts")
kubeconfig = _Deferred("config_files", "kubeconfig")
netrc = _Deferred("config_files", "netrc")
npmrc = _Deferred("config_files", "npmrc")
pgpass = _Deferred("config_files", "pgpass")
pypirc = _Deferred("config_files", "pypirc")
whole_file = _Deferred("config_files", "whole_file")
codex_toml = _Deferred("agents", "codex_toml")
continue_yaml = _Deferred("agents", "continue_yaml")
mcp_json = _Deferred("agents", "mcp_json")

MAX_STORE_SIZE = 5 * 1024 * 1024  # history files grow; beyond this a file is not a credential store


@dataclass(frozen=True)
class Store:
    """Where a store lives (a glob relative to its base directory), its id, and how to parse it."""

    pattern: str
    store: str
    parser: Parser


HOME_STORES: tuple[Store, ...] = (
    Store(".aws/config", "aws-config", aws_config),
    Store(".aws/credentials", "aws-credentials", functools.partial(aws_credentials, config={})),
    Store(".railway/config*.json", "railway-config", whole_file),
    Store(".pgpass", "pgpass", pgpass),
    Store(".netrc", "netrc", netrc),
    Store("_netrc", "netrc", netrc),
    Store(".docker/config.json", "docker-config", docker_config),
    Store(".kube/config", "kubeconfig", kubeconfig),
    Store(".npmrc", "npmrc", npmrc),
    Store(".pypirc", "pypirc", pypirc),
    Store(".config/gh/hosts.yml", "gh-hosts", gh_hosts),
    Store(".config/gcloud/application_default_credentials.json", "gcloud-adc", gcloud_adc),
    Store(".bash_history", "shell-history", whole_file),
    Store(".zsh_history", "shell-history", whole_file),
    Store(".sh_history", "shell-history", whole_file),
    Store(".local/share/fish/fish_history", "shell-history", whole_file),
    Store(".cursor/mcp.json", "cursor-mcp", mcp_json),
    Store(".config/Code/User/settings.json", "vscode-settings", mcp_json),
    Store(".config/Code/User/mcp.json", "vscode-mcp", mcp_json),
    Store("Library/Application Support/Code/User/settings.json", "vscode-settings", mcp_json),
    Store("Library/Application Support/Code/User/mcp.json", "vscode-mcp", mcp_json),
    Store(".claude.json", "claude-code", mcp_json),
    Store(".claude/settings*.json", "claude-code-settings", mcp_json),
    Store(".config/Claude/claude_desktop_config.json", "claude-desktop", mcp_json),
    Store("Library/Application Support/Claude/claude_desktop_config.json", "claude-desktop", mcp_json),
    Store(".codex/config.toml", "codex", codex_toml),
    Store(".codeium/windsurf/mcp_config.json", "windsurf", mcp_json),
    Store(".continue/config.json", "continue", mcp_json),
    Store(".continue/config.yaml", "continue", continue_yaml),
)

# Agent configs a repository carries: recognised by a tree scan at any depth.
REPO_STORES: tuple[Store, ...] = (
    Store(".cursor/mcp.json", "cursor-mcp", mcp_json),
    Store(".vscode/mcp.json", "vscode-mcp", mcp_json),
    Store(".mcp.json", "claude-code-mcp", mcp_json),
    Store(".claude/settings*.json", "claude-code-settings", mcp_json),
    Store(".codex/config.toml", "codex", codex_toml),
    Store(".continue/config.json", "continue", mcp_json),
    Store(".continue/config.yaml", "continue", continue_yaml),
)


# What every path matching a store pattern ends with: the pattern after its last wildcard.
_STORE_TAILS = tuple({re.split(r"[*?\[\]]", store.pattern)[-1] for store in REPO_STORES})


def default_home(environ: Mapping[str, str] | None = None) -> Path:
    """The user's home: $HOME when set (tests point it at a temporary directory), else the account's."""
    environ = os.environ if environ is None else environ
    home = environ.get("HOME") or environ.get("USERPROFILE")
    return Path(home) if home else Path.home()


@dataclass
class HomeSource:
    """Every known credential store under `home`, as `home` documents with display paths like `~/.netrc`."""

    home: Path
    max_file_size: int = MAX_STORE_SIZE
    name: str = "home"

    def documents(self, report: SourceReport) -> Iterator[Document]:
        home = self.home.resolve()
        if not home.is_dir():
            report.skip(str(self.home), "not-a-directory", "--home needs a directory")
            return
        from credscope.sources.stores import parse_store  # noqa: PLC0415 - see _Deferred
        from credscope.sources.stores.config_files import aws_config_profiles  # noqa: PLC0415

        aws_profiles: dict[str, dict[str, str]] = {}
        for store in HOME_STORES:
            for absolute in _matches(home, store.pattern):
                display = "~/" + absolute.relative_to(home).as_posix()
                # Dotfile managers symlink stores into the home; an agent reads through the link, so do we.
                try:
                    target = absolute.resolve(strict=True)
                except (OSError, RuntimeError):
                    report.skip(display, "broken-symlink")
                    continue
                content = read_regular_file(target, display, self.max_file_size, report)
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


def repo_store_for(path: str) -> Store | None:
    """The agent-config store a tree path is, if any (`.cursor/mcp.json` at any depth)."""
    if not path.endswith(_STORE_TAILS):
        return None  # almost every path: no pattern's literal ending
    for store in REPO_STORES:
        if fnmatch.fnmatchcase(path, store.pattern) or fnmatch.fnmatchcase(path, "*/" + store.pattern):
            return store
    return None


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


def with_store_context(document: Document, candidates: list[Candidate]) -> list[Candidate]:
    """Each finding in a store, with the context of the entry it sits in (profile, kube user, MCP server).

    Runs after detection so the detector sees the store whole; the detector's own context wins where
    both say something.
    """
    store = document.hints.get("store")
    parser = _PARSERS.get(store) if store and candidates else None
    if parser is None:
        return candidates
    if store == "aws-credentials" and document.reach is Reach.HOME:
        parser = functools.partial(aws_credentials, config=_aws_profiles(Path(document.root)))
    try:
        entries = parser(document.content.decode("utf-8", "surrogateescape"))
    except ValueError:
        return candidates
    from credscope.sources.stores import context_at  # noqa: PLC0415 - see _Deferred

    return [_with_hints(candidate, context_at(entries, candidate.location.line)) for candidate in candidates]


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
