"""Where organisation runs are kept: SQLite by default (a file in the credscope cache), PostgreSQL with
`--store postgresql://…` (psycopg 3). One schema (`schema.py`), created and migrated by the tool.

A repository's result is written in one transaction keyed by (run, repository), deleting what that key held
first, so a task that Dask ran twice (its worker was lost) is recorded once. Each run holds every repository's
complete picture (what an incremental scan did not reread is carried over from the last scan), so reports and
"what changed" are plain queries on one run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from credscope.errors import CredscopeError, UsageError
from credscope.model import Access, Reach, ScopeSource, Severity
from credscope.org.schema import ID_COLUMN, MIGRATIONS
from credscope.org.wire import Finding, HistoryMode, Previous, RepoSpec, ScanPart, Status, WireLocation

SCHEMA_VERSION = len(MIGRATIONS)
_PASSWORD = re.compile(r"(://[^:/@]*:)[^@]*@")


@dataclass(frozen=True)
class RepoRecord:
    """One repository's result in one run, as stored: the complete picture, and what changed since the last."""

    repo: RepoSpec
    status: Status
    error: str = ""
    head_commit: str = ""
    tree_id: str = ""
    heads: tuple[str, ...] = ()
    history_covered: bool = False  # the picture includes the history up to `heads`
    tree_scanned: bool = False
    history: HistoryMode = HistoryMode.NONE
    part: ScanPart = field(default_factory=ScanPart)
    findings: tuple[Finding, ...] = ()
    new: frozenset[str] = frozenset()  # fingerprints not in the last successful scan of this repository
    gone: tuple[Finding, ...] = ()  # credentials of the last successful scan no longer found
    worker: str = ""
    seconds: float = 0.0


def safe_url(url: str) -> str:
    """A store URL as it may be shown: its password masked."""
    return _PASSWORD.sub(r"\1****@", url)


class Store:
    """A connection to one store, in autocommit mode; writes go through `_transaction`."""

    def __init__(self, connection: Any, dialect: str, where: str) -> None:
        self._connection = connection
        self.dialect = dialect
        self.where = where  # shown to the user: a file path, or the URL with its password masked
        self._migrate()

    @classmethod
    def open(cls, url: str | None, default: Path) -> Store:
        if url is None or url.startswith("sqlite:") or "://" not in url:
            path = Path(url.removeprefix("sqlite://").removeprefix("sqlite:") if url else default)
            return cls._sqlite(path)
        if url.startswith(("postgresql://", "postgres://")):
            return cls._postgresql(url)
        raise UsageError(f"--store: {safe_url(url)!r} is neither a SQLite file nor a postgresql:// URL")

    @classmethod
    def _sqlite(cls, path: Path) -> Store:
        import sqlite3  # noqa: PLC0415

        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(path, isolation_level=None, timeout=60, check_same_thread=False)
            connection.execute("PRAGMA foreign_keys = ON")
            connection.execute("PRAGMA journal_mode = WAL")
            return cls(connection, "sqlite", str(path))
        except (OSError, sqlite3.Error) as error:
            raise UsageError(f"--store {path}: cannot open the SQLite store: {error}") from None

    @classmethod
    def _postgresql(cls, url: str) -> Store:
        try:
            import psycopg  # noqa: PLC0415
        except ModuleNotFoundError:
            raise UsageError("--store postgresql://: needs psycopg (pip install 'credscope[org]')") from None
        try:
            connection = psycopg.connect(url, autocommit=True, connect_timeout=30)
        except psycopg.Error as error:
            first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise UsageError(f"--store {safe_url(url)}: cannot connect: {_PASSWORD.sub('****@', first)}") from None
        return cls(connection, "postgresql", safe_url(url))

    def close(self) -> None:
        self._connection.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- schema ------------------------------------------------------------------------------------------------

    def _migrate(self) -> None:
        self._execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        with self._transaction():
            if self.dialect == "postgresql":
                self._execute("LOCK TABLE schema_version IN EXCLUSIVE MODE")
            current = self._one("SELECT COALESCE(MAX(version), 0) FROM schema_version")[0]
            if current > SCHEMA_VERSION:
                raise UsageError(
                    f"{self.where}: the store is at schema version {current}, newer than this credscope knows "
                    f"({SCHEMA_VERSION}); upgrade credscope"
                )
            for version in range(current + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[version - 1]:
                    self._execute(statement.format(id=ID_COLUMN[self.dialect]))
                self._execute("INSERT INTO schema_version (version) VALUES (?)", (version,))

    # -- runs --------------------------------------------------------------------------------------------------

    def begin_run(self, fail_on: str, history: bool) -> int:
        with self._transaction():
            row = self._one(
                "INSERT INTO runs (started_at, status, fail_on, history) VALUES (?, 'running', ?, ?) RETURNING id",
                (_now(), fail_on, int(history)),
            )
        return int(row[0])

    def finish_run(self, run_id: int, status: str) -> None:
        with self._transaction():
            self._execute("UPDATE runs SET status = ?, finished_at = ? WHERE id = ?", (status, _now(), run_id))

    def previous_states(self, run_id: int) -> dict[str, Previous]:
        """Each repository's last successful scan before `run_id`: where this run's scan of it starts."""
        rows = self._all(
            "SELECT r.name, s.tree_id, s.heads, s.history_covered FROM repository_scans s "
            "JOIN repositories r ON r.id = s.repository_id "
            "WHERE s.status <> 'error' AND s.run_id = (SELECT MAX(t.run_id) FROM repository_scans t "
            "WHERE t.repository_id = s.repository_id AND t.status <> 'error' AND t.run_id < ?)",
            (run_id,),
        )
        return {name: Previous(tree, tuple(heads.split()), bool(covered)) for name, tree, heads, covered in rows}

    def previous_findings(self, run_id: int, name: str) -> list[Finding]:
        """The credentials of a repository's last successful scan before `run_id`."""
        row = self._one(
            "SELECT MAX(s.run_id), MAX(s.repository_id) FROM repository_scans s "
            "JOIN repositories r ON r.id = s.repository_id WHERE r.name = ? AND s.status <> 'error' AND s.run_id < ?",
            (_text(name), run_id),
        )
        return [] if row[0] is None else self._findings(int(row[0]), int(row[1]))

    def record(self, run_id: int, record: RepoRecord) -> None:
        """Write one repository's result for `run_id`, replacing whatever an earlier attempt wrote."""
        with self._transaction():
            repository_id = self._repository(record.repo)
            key = (run_id, repository_id)
            for table in ("locations", "credentials", "gone", "repository_scans"):
                self._execute(f"DELETE FROM {table} WHERE run_id = ? AND repository_id = ?", key)
            part = record.part
            self._execute(
                "INSERT INTO repository_scans (run_id, repository_id, status, error, head_commit, tree_id, heads, "
                "history_covered, tree_scanned, history_mode, commits_scanned, files_scanned, bytes_scanned, "
                "files_skipped, seconds, worker, notes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    *key,
                    record.status.value,
                    _text(record.error),
                    record.head_commit,
                    record.tree_id,
                    " ".join(record.heads),
                    int(record.history_covered),
                    int(record.tree_scanned),
                    record.history.value,
                    part.commits,
                    part.files,
                    part.bytes,
                    part.skipped,
                    round(record.seconds, 3),
                    record.worker,
                    _json(list(part.notes)),
                ),
            )
            for finding in record.findings:
                self._insert_finding(key, finding, "new" if finding.fingerprint in record.new else "still")
            for finding in record.gone:
                self._execute(
                    "INSERT INTO gone (run_id, repository_id, fingerprint, provider, kind, preview, severity) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        *key,
                        finding.fingerprint,
                        finding.provider,
                        finding.kind,
                        _text(finding.preview),
                        finding.severity.value,
                    ),
                )

    # -- reading -----------------------------------------------------------------------------------------------

    def runs(self) -> list[tuple[int, str, str]]:
        return [(int(i), s, t) for i, s, t in self._all("SELECT id, status, started_at FROM runs ORDER BY id")]

    def _findings(self, run_id: int, repository_id: int) -> list[Finding]:
        key = (run_id, repository_id)
        locations: dict[str, list[WireLocation]] = {}
        for fingerprint, reach, path, line, col, commit, date, context, excluded in self._all(
            "SELECT fingerprint, reach, path, line, col, commit_id, author_date, context, excluded_by FROM locations "
            "WHERE run_id = ? AND repository_id = ? ORDER BY reach, path, line, col, commit_id",
            key,
        ):
            locations.setdefault(fingerprint, []).append(
                WireLocation(
                    path=path,
                    line=int(line),
                    column=int(col),
                    reach=Reach(reach),
                    commit=commit or None,
                    author_date=date or None,
                    context=tuple((str(k), str(v)) for k, v in json.loads(context)),
                    excluded_by=tuple(json.loads(excluded)),
                )
            )
        findings = []
        for row in self._all(
            "SELECT fingerprint, provider, kind, rule, preview, access, destructive, destructive_actions, "
            "scope_source, evidence, identity, production, severity, confidence FROM credentials "
            "WHERE run_id = ? AND repository_id = ? ORDER BY fingerprint",
            key,
        ):
            fingerprint, provider, kind, rule, preview, access, destructive, actions, source = row[:9]
            evidence, identity, production, severity, confidence = row[9:]
            findings.append(
                Finding(
                    fingerprint=fingerprint,
                    provider=provider,
                    kind=kind,
                    rule=rule,
                    preview=preview,
                    access=Access(access),
                    destructive=None if destructive is None else bool(destructive),
                    destructive_actions=tuple(json.loads(actions)),
                    scope_source=ScopeSource(source),
                    evidence=tuple(json.loads(evidence)),
                    identity=tuple((str(k), str(v)) for k, v in json.loads(identity)),
                    production=None if production is None else bool(production),
                    severity=Severity(severity),
                    confidence=confidence,
                    locations=tuple(locations.get(fingerprint, ())),
                )
            )
        return findings

    # -- plumbing ----------------------------------------------------------------------------------------------

    def _insert_finding(self, key: tuple[int, int], finding: Finding, change: str) -> None:
        self._execute(
            "INSERT INTO credentials (run_id, repository_id, fingerprint, provider, kind, rule, preview, access, "
            "destructive, destructive_actions, scope_source, evidence, identity, production, severity, confidence, "
            "change) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                *key,
                finding.fingerprint,
                finding.provider,
                finding.kind,
                finding.rule,
                _text(finding.preview),
                finding.access.value,
                None if finding.destructive is None else int(finding.destructive),
                _json(list(finding.destructive_actions)),
                finding.scope_source.value,
                _json(list(finding.evidence)),
                _json([list(pair) for pair in finding.identity]),
                None if finding.production is None else int(finding.production),
                finding.severity.value,
                finding.confidence,
                change,
            ),
        )
        for location in finding.locations:
            self._execute(
                "INSERT INTO locations (run_id, repository_id, fingerprint, reach, path, line, col, commit_id, "
                "author_date, context, excluded_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    *key,
                    finding.fingerprint,
                    location.reach.value,
                    _text(location.path),
                    location.line,
                    location.column,
                    location.commit or "",
                    location.author_date or "",
                    _json([list(pair) for pair in location.context]),
                    _json(list(location.excluded_by)),
                ),
            )

    def _repository(self, repo: RepoSpec) -> int:
        name, url = _text(repo.name), _text(_public_url(repo.url))
        row = self._maybe_one("SELECT id FROM repositories WHERE name = ?", (name,))
        if row is not None:
            self._execute("UPDATE repositories SET url = ? WHERE id = ?", (url, row[0]))
            return int(row[0])
        inserted = self._one("INSERT INTO repositories (name, url) VALUES (?, ?) RETURNING id", (name, url))
        return int(inserted[0])

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._execute("BEGIN IMMEDIATE" if self.dialect == "sqlite" else "BEGIN")
        try:
            yield
        except BaseException:
            self._execute("ROLLBACK")
            raise
        self._execute("COMMIT")

    def _execute(self, sql: str, parameters: Sequence[Any] = ()) -> Any:
        if self.dialect == "postgresql":
            sql = sql.replace("?", "%s")
        try:
            return self._connection.execute(sql, tuple(parameters))
        except Exception as error:
            if _is_database_error(error):
                raise CredscopeError(
                    f"{self.where}: store error: {type(error).__name__}: {_first_line(error)}"
                ) from None
            raise

    def _one(self, sql: str, parameters: Sequence[Any] = ()) -> tuple[Any, ...]:
        row = self._maybe_one(sql, parameters)
        if row is None:
            raise CredscopeError(f"{self.where}: store error: no row for a query that always has one")
        return row

    def _maybe_one(self, sql: str, parameters: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        row = self._execute(sql, parameters).fetchone()
        return None if row is None else tuple(row)

    def _all(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self._execute(sql, parameters).fetchall()]


def _is_database_error(error: Exception) -> bool:
    module = type(error).__module__
    return module.startswith(("sqlite3", "psycopg"))


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return _PASSWORD.sub("****@", text.splitlines()[0]) if text else ""


def _public_url(url: str) -> str:
    """A clone URL as stored: never its user or password."""
    return re.sub(r"(://)[^/@]*@", r"\1", url)


def _json(value: Any) -> str:
    # ASCII: a file name that is not UTF-8 (surrogate-escaped) round-trips exactly, and PostgreSQL takes no NUL.
    return json.dumps(value, ensure_ascii=True, sort_keys=True, separators=(",", ":"))


def _text(value: str) -> str:
    """Text a database column can hold (UTF-8, no NUL): bytes that are not UTF-8 shown as \\xNN escapes."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return value.replace("\0", "\\x00")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
