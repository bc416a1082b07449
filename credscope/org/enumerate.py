"""Which repositories an organisation scan covers: a list file, a directory of clones or mirrors, a GitHub
organisation or a GitLab group (`forges.py`), each turned into `RepoSpec`s whose clone URLs are checked here.

A clone URL reaches `git clone`, so it is held to a small grammar: https, ssh, git, file and scp-like
`user@host:path`, plain http only on loopback, never a `transport::address` (git's `ext::` runs commands),
never anything that git could read as an option.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from credscope.errors import UsageError
from credscope.org.wire import RepoSpec
from credscope.report.common import printable

_SCHEMES = frozenset({"https", "http", "ssh", "git", "file"})
_SCP_LIKE = re.compile(r"^(?:[A-Za-z0-9._~-]+@)?[A-Za-z0-9.-]+:(?!//)[^\s]+$")
_TRANSPORT = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*::")
_USERINFO = re.compile(r"(://)[^/@]*@")  # a user and password in a URL never reach a report or the store


@dataclass(frozen=True)
class Refused:
    """An entry that is not scanned, with why: reported like a repository that failed, never dropped."""

    name: str
    reason: str


@dataclass
class Enumeration:
    repos: list[RepoSpec] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    _urls: dict[str, str] = field(default_factory=dict, repr=False)  # name -> the URL it is scanned from

    def add(self, spec: RepoSpec | Refused) -> None:
        match spec:
            case RepoSpec():
                known = self._urls.get(spec.name)
                if known is None:
                    self._urls[spec.name] = spec.url
                    self.repos.append(spec)
                elif known != spec.url:
                    self.notes.append(f"{spec.name} is listed twice: scanned once, from the first URL given")
            case Refused():
                self.refused.append(spec)

    def extend(self, other: Enumeration) -> None:
        for repo in other.repos:
            self.add(repo)
        for refused in other.refused:
            self.add(refused)
        self.notes.extend(other.notes)


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_clone_url(url: str) -> str | None:
    """Why git must not be given `url` as a clone source; None when it may."""
    if not url or url != url.strip() or any(ord(c) < 0x20 or c == "\x7f" for c in url):
        return "empty, padded or holding control characters"
    if url.startswith("-"):
        return "starts with '-' (git would read it as an option)"
    if _TRANSPORT.match(url):
        return "a git remote-helper address (transport::address) is never used"
    parts = urlsplit(url)
    if parts.scheme and "://" in url:
        if parts.scheme not in _SCHEMES:
            return f"scheme {parts.scheme!r} is not one of https, ssh, git, file (http only on loopback)"
        if parts.scheme == "http" and not is_loopback(parts.hostname):
            return "plain http is only allowed on loopback; use https"
        if parts.scheme != "file" and not parts.hostname:
            return "no host"
        if parts.scheme == "file" and parts.netloc not in ("", "localhost"):
            return "file:// URLs name a local path, not a host"
        return None
    if _SCP_LIKE.match(url):
        return None
    return "not a URL, an scp-like user@host:path or an absolute path"


def repo_name(url: str) -> str:
    """The repository's name in the store and reports: the URL without scheme, user, password and `.git`."""
    parts = urlsplit(url)
    if "://" in url:
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        path = parts.path
    else:  # scp-like user@host:path
        host, _, path = url.partition("@")[2].partition(":") if "@" in url else url.partition(":")
        path = "/" + path.lstrip("/")
    path = path.rstrip("/").removesuffix(".git").rstrip("/")
    return printable(f"{host}{path}" if host else path)


def spec_for(url: str, auth: str | None = None, name: str | None = None) -> RepoSpec | Refused:
    problem = check_clone_url(url)
    if problem is not None:
        return Refused(printable(name or _USERINFO.sub(r"\1", url)[:200]), f"refused clone URL: {problem}")
    return RepoSpec(name=name or repo_name(url), url=url, auth=auth)


def from_list(path: Path) -> Enumeration:
    """One repository per line (URL, scp-like address, or path relative to the list's own directory); `#`
    starts a comment."""
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or type(error).__name__
        raise UsageError(f"{path}: cannot read the repository list: {reason}") from None
    found = Enumeration()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        if "://" not in line and not _SCP_LIKE.match(line) and not _TRANSPORT.match(line) and not line.startswith("-"):
            local = (path.parent / line).resolve()
            if not _is_repository(local):
                found.add(Refused(printable(line), f"{path.name}:{number}: not a git repository"))
                continue
            line = local.as_uri()
        found.add(spec_for(line))
    return found


def from_directory(directory: Path) -> Enumeration:
    """The repositories directly inside `directory` (clones or bare mirrors), or `directory` itself if it is one."""
    directory = directory.resolve()
    if _is_repository(directory):
        return _of_paths([directory])
    children = sorted(directory.iterdir(), key=lambda p: p.name) if directory.is_dir() else []
    repos = [child for child in children if not child.is_symlink() and _is_repository(child)]
    found = _of_paths(repos)
    others = len(children) - len(repos)
    if others:
        found.notes.append(f"{directory}: {others} entr(y/ies) that are not git repositories (or are symlinks) skipped")
    return found


def from_sources(sources: Iterable[Path]) -> Enumeration:
    found = Enumeration()
    for source in sources:
        if source.is_dir():
            found.extend(from_directory(source))
        elif source.is_file():
            found.extend(from_list(source))
        else:
            raise UsageError(f"{source}: no such file or directory")
    return found


def _of_paths(paths: Iterable[Path]) -> Enumeration:
    found = Enumeration()
    for path in paths:
        found.add(spec_for(path.as_uri()))
    return found


def _is_repository(path: Path) -> bool:
    """A work tree with `.git`, or a bare repository (HEAD, objects/ and refs/)."""
    if not path.is_dir():
        return False
    if (path / ".git").exists():
        return True
    return (path / "HEAD").is_file() and (path / "objects").is_dir() and (path / "refs").is_dir()
