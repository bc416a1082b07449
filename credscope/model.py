"""The data every layer shares: documents, candidates, credentials, scope and the scan result.

Everything here is a frozen dataclass or an enum; no other module defines core types.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from credscope.connstr import masked as masked_connection_string
from credscope.connstr import passwords as connection_passwords


class Reach(str, Enum):
    """Where an agent can pick a credential up from."""

    TRACKED = "tracked"
    UNTRACKED = "untracked"
    IGNORED = "ignored"
    FILE = "file"  # on disk, outside any git repository
    HISTORY = "history"
    HOME = "home"
    ENV = "env"


class Access(str, Enum):
    ADMIN = "admin"
    WRITE = "write"
    READ = "read"
    NONE = "none"
    UNKNOWN = "unknown"


class Severity(str, Enum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}


class Confidence(str, Enum):
    """How sure credscope is that a finding is a credential at all (what it can do is the scope's question)."""

    CERTAIN = "certain"  # a format with a checksum, or a structure that decodes
    LIKELY = "likely"  # a provider's format without a checksum, or a generic value with strong context
    POSSIBLE = "possible"  # a generic value by its name and entropy alone, or a value only in test fixtures

    @property
    def rank(self) -> int:
        return _CONFIDENCE_RANK[self]


_CONFIDENCE_RANK = {Confidence.POSSIBLE: 0, Confidence.LIKELY: 1, Confidence.CERTAIN: 2}


class ScopeSource(str, Enum):
    INFERRED = "inferred"
    QUERIED = "queried"


def fingerprint_of(secret: str) -> str:
    """SHA-256 of the secret value: the identity of a credential everywhere in credscope."""
    return hashlib.sha256(canonical_secret(secret).encode("utf-8", "surrogateescape")).hexdigest()


# Line breaks inside a PEM block, raw or JSON-escaped (`\n`, `\r\n`), and the indentation YAML adds.
_PEM_BREAKS = re.compile(r"(?:\\r)?\\n|\s+")


_PEM_HEADER = re.compile(r"-----BEGIN [A-Z0-9 ]{1,64}-----")


def canonical_secret(secret: str) -> str:
    """The form a secret is identified by: one PEM key written raw, JSON-escaped or re-wrapped is one key."""
    if secret.startswith("-----BEGIN"):
        return _PEM_BREAKS.sub("", secret)
    return secret


def redact(secret: str) -> str:
    """A short preview that identifies a secret to its owner and shows its shape, without disclosing it.

    A connection string keeps its shape with every password masked (credscope/connstr.py finds them all: the
    user-info part up to the last `@`, `password=`/`Pwd=` parameters), a slot-like password inside its brackets
    (`[****]`); anything else shows a few leading characters, and the last two of a long token. Either way the
    preview ends with the value's shape — its length and character classes — so that `[password]`, `%s` or
    `changeme` is never hidden behind the same mask as a random password.
    """
    header = _PEM_HEADER.match(secret)
    if header is not None and len(secret) > header.end():
        return f"{header.group()} …"  # the block's label, not its body
    hidden = masked_connection_string(secret)
    if hidden is not None:
        hidden = hidden if len(hidden) <= 120 else hidden[:117] + "…"
        found = connection_passwords(secret)
        return f"{hidden} (password: {shape(found[0])})" if found else hidden
    if len(secret) <= 8:  # punctuation at either end is shown: `[****]`, `%*`
        shown = "".join(c if i in (0, len(secret) - 1) and c in _NAMED_SYMBOLS else "*" for i, c in enumerate(secret))
    elif len(secret) >= 24:
        shown = f"{secret[:6]}…{secret[-2:]}"
    else:
        closing = secret[-1] if secret[-1] in _NAMED_SYMBOLS else ""
        shown = f"{secret[: len(secret) // 4]}…{closing}"
    return f"{shown} ({shape(secret)})"


# Punctuation a shape names one by one (placeholders are made of it); any other is counted as "symbols".
_NAMED_SYMBOLS = frozenset("[]{}<>$%_-./:+=@#!*~")


def shape(value: str) -> str:
    """The length and character classes of a value: `10 chars, a-z []`; never a character of it but punctuation."""
    classes = []
    if any("A" <= c <= "Z" for c in value):
        classes.append("A-Z")
    if any("a" <= c <= "z" for c in value):
        classes.append("a-z")
    if any(c.isdigit() and c.isascii() for c in value):
        classes.append("0-9")
    if any(c.isspace() for c in value):
        classes.append("spaces")
    if any(not c.isascii() and not c.isspace() for c in value):
        classes.append("non-ASCII")
    symbols = sorted({c for c in value if c.isascii() and not c.isalnum() and not c.isspace()})
    if symbols:
        named = len(symbols) <= 4 and all(c in _NAMED_SYMBOLS for c in symbols)
        classes.append("".join(symbols) if named else "symbols")
    return f"{len(value)} chars, {' '.join(classes)}" if classes else f"{len(value)} chars"


@dataclass(frozen=True)
class Window:
    """Where a document that is one window of a larger file (sources/windows.py) lies in that file.

    Positions are (line, column) in the file, 1-based like a Location's. The window reports the matches that
    start at or after `owns_from` and before `owns_to`; the text before `owns_from` is context, and what
    starts there was reported by the window before it.
    """

    index: int  # 0 for the file's first window
    line: int  # the file's line of the content's first byte
    column: int  # the file's column of the content's first byte (1 unless the window starts inside a line)
    owns_from: tuple[int, int]
    owns_to: tuple[int, int] | None  # None: to the end of the file
    shared: int = 0  # leading bytes the window before also held (counted once in the stats)

    def owns(self, line: int, column: int) -> bool:
        return self.owns_from <= (line, column) and (self.owns_to is None or (line, column) < self.owns_to)


@dataclass(frozen=True)
class Document:
    """Bytes to scan and where they came from."""

    path: str  # relative to the scanned root (or a display path for home/env)
    content: bytes
    reach: Reach
    root: str = ""
    commit: str | None = None
    author_date: str | None = None
    # What the source already knows about the document, e.g. {"store": "aws-credentials"}.
    hints: Mapping[str, str] = field(default_factory=dict)
    # Set when the document is one window of a file over the size limit: judged line by line, never parsed.
    window: Window | None = None


@dataclass(frozen=True)
class Unread:
    """A regular file of a scanned tree, listed but not read: whoever detects in it reads it (a pool's worker), so
    its bytes never pass through the process that walks the tree. Read, it is the Document(s) the tree source
    would have made of it (sources/tree.py `read_listed`). With `blob`, it is a blob of a repository's history
    instead, read from git (sources/history.py `BlobReader`)."""

    path: str  # relative to the scanned root, as its Document's
    absolute: str
    reach: Reach
    root: str
    max_size: int  # the most it is read whole; a larger file is read in windows
    size: int  # its size when listed: what batches are weighed by (the read decides what is scanned)
    blob: Blob | None = None


@dataclass(frozen=True)
class Blob:
    """A blob of a repository's history, where it first appeared, and the repository's metadata to read it from
    (sources/git.py `Repository`, as strings)."""

    object_id: str
    commit: str | None
    author_date: str | None
    git_dir: str
    common_dir: str


@dataclass(frozen=True)
class Location:
    path: str
    line: int
    column: int
    reach: Reach
    commit: str | None = None
    author_date: str | None = None
    # The name the value was assigned to and other facts around it (profile, host, MCP server).
    context: Mapping[str, str] = field(default_factory=dict)
    # Agent-exclusion files that cover this path; reported, never a reason to hide.
    excluded_by: tuple[str, ...] = ()

    def sort_key(self) -> tuple[str, str, int, int]:
        return (self.reach.value, self.path, self.line, self.column)


@dataclass(frozen=True)
class Candidate:
    """One match of one rule at one place, before grouping into credentials."""

    rule: str
    provider: str
    kind: str
    secret: str
    location: Location
    # Companion values that make the credential usable (AWS key id, session token, Twilio SID).
    parts: Mapping[str, str] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        return fingerprint_of(self.secret)


@dataclass(frozen=True)
class Scope:
    """What a credential can do; `unknown`/None are honest answers, with the reason in evidence."""

    access: Access = Access.UNKNOWN
    destructive: bool | None = None
    destructive_actions: tuple[str, ...] = ()
    scope_source: ScopeSource = ScopeSource.INFERRED
    evidence: tuple[str, ...] = ()
    identity: Mapping[str, str] = field(default_factory=dict)
    # Whether what it reaches is production: False for test mode, localhost and throw-away values,
    # None when the token and its context cannot tell.
    production: bool | None = None
    # While access is unknown: the destructive actions its kind can be granted ("may be able to ..."), so an
    # unestablished scope is reported as what the credential could do, never guessed harmless.
    potential_actions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Advice:
    """What to do about a credential of this kind, from its provider's catalogue entry (empty when unknown)."""

    narrower: str = ""  # the narrower credential to create instead, and where
    revoke: str = ""  # where to revoke this one


@dataclass(frozen=True)
class Credential:
    """One secret, wherever it was found: the unit of scope, severity and policy."""

    fingerprint: str
    provider: str
    kind: str
    rule: str
    secret: str
    locations: tuple[Location, ...]
    parts: Mapping[str, str] = field(default_factory=dict)
    scope: Scope = field(default_factory=Scope)
    severity: Severity = Severity.INFO
    confidence: Confidence = Confidence.LIKELY
    confidence_reason: str = ""  # why this confidence, in words: "checksum valid", "only in test fixtures (tests/)"
    advice: Advice = field(default_factory=Advice)

    @property
    def preview(self) -> str:
        return redact(self.secret)

    @property
    def reaches(self) -> tuple[Reach, ...]:
        return tuple(sorted({loc.reach for loc in self.locations}, key=lambda r: r.value))


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str  # a short machine-friendly reason: binary, too-large, unreadable, symlink-loop, ...
    detail: str = ""


@dataclass(frozen=True)
class Stats:
    files_scanned: int = 0
    bytes_scanned: int = 0
    skipped: tuple[Skipped, ...] = ()
    duration_seconds: float = 0.0

    def skipped_by_reason(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for item in self.skipped:
            counts[item.reason] = counts.get(item.reason, 0) + 1
        return dict(sorted(counts.items()))


class SuppressionKind(str, Enum):
    """Ways a run is narrowed: what was not scanned, not reported, or not failed on."""

    EXCLUDE = "exclude"  # a path left out by the configuration or --exclude
    EXCLUDED_DIRECTORY = "excluded-directory"  # a built-in exclusion (node_modules, .venv, ...)
    DISABLED_PROVIDER = "disabled-provider"
    IGNORE = "ignore"  # a fingerprint (prefix) the configuration ignores
    BASELINE = "baseline"
    INLINE_IGNORE = "inline-ignore"  # `credscope: ignore` / `pragma: allowlist secret` in scanned files
    SETTING = "setting"  # a threshold relaxed from its default (fail_on, unknown_as, max_file_size)
    SKIPPED = "skipped"  # files not read: too large, unreadable


@dataclass(frozen=True)
class Suppression:
    """One narrowing in effect in a run, who asked for it and what it removed; reported in every format."""

    kind: SuppressionKind
    subject: str  # the pattern, provider id, fingerprint prefix, baseline file, setting, skip reason, directory names
    source: str  # who asked: a configuration file, a command-line option, "built-in", or "" (found while scanning)
    detail: str = ""  # the reason given, the value set (with its default), the baseline's size
    count: int | None = None  # files or credentials it removed; None when it is not counted
    paths: tuple[str, ...] = ()  # what it removed or where it was written, the first few
    line: int = 0  # the line of `source` (or of paths[0]) that asks for it; 0 when unknown


@dataclass(frozen=True)
class InEffect:
    """The configuration a run used and everything that narrowed it: a silenced gate is never silent."""

    config_files: tuple[str, ...] = ()
    suppressions: tuple[Suppression, ...] = ()

    @property
    def sources(self) -> tuple[str, ...]:
        """The files that asked for a suppression, in order of first appearance."""
        files = [s.source for s in self.suppressions if s.source in self.config_files]
        return tuple(dict.fromkeys(files))


@dataclass(frozen=True)
class PolicyVerdict:
    passed: bool
    threshold: str
    failing: tuple[str, ...] = ()  # fingerprints of credentials that failed the policy
    reasons: Mapping[str, str] = field(default_factory=dict)  # fingerprint -> why it failed


@dataclass(frozen=True)
class ScanResult:
    roots: tuple[str, ...]
    credentials: tuple[Credential, ...]
    stats: Stats
    verdict: PolicyVerdict
    notes: tuple[str, ...] = ()  # run-level remarks, e.g. an endpoint override in use
    in_effect: InEffect = field(default_factory=InEffect)  # configuration files and suppressions
