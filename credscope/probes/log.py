"""The probe log: one line per request (provider, method, host, path or operation, status), never a secret."""

from __future__ import annotations

import json
import os
import tempfile
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

from credscope.errors import CredscopeError


@dataclass(frozen=True)
class LogEntry:
    provider: str
    method: str  # GET, HEAD, POST, RPC, SQL
    host: str
    target: str  # the path, the GraphQL operation name, the RPC name or the SQL query's name
    status: str  # HTTP status, "ok", or what stopped it: refused, timeout, network-error


class ProbeLog:
    """Collects entries from every probe thread; written once, atomically, at the end of the run."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[LogEntry] = []

    def record(self, entry: LogEntry) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> tuple[LogEntry, ...]:
        with self._lock:
            return tuple(self._entries)

    def render(self) -> str:
        return "".join(json.dumps(asdict(entry), sort_keys=True) + "\n" for entry in self.entries())

    def write(self, path: Path) -> None:
        directory = path.parent if str(path.parent) else Path(".")
        try:
            fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(self.render())
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as error:
            raise CredscopeError(f"{path}: cannot write the probe log: {error.strerror or error}") from None
