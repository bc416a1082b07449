"""The user cache: compiled things worth keeping between runs (catalogue, Hyperscan database), never scan data.

It lives in $CREDSCOPE_CACHE_DIR, else $XDG_CACHE_HOME/credscope, else ~/.cache/credscope — never inside a
scanned tree. Every entry is keyed by a digest of what it was built from, and every failure to read or write
it only costs a rebuild.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def cache_dir() -> Path:
    explicit = os.environ.get("CREDSCOPE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "credscope"


def read_cache(name: str) -> bytes | None:
    try:
        return (cache_dir() / name).read_bytes()
    except OSError:
        return None


def write_cache(name: str, data: bytes, keep: int = 4) -> None:
    """Atomic (a concurrent reader sees the old entry or the new one) and best effort.

    Entries of the same kind (the name up to its first "-") beyond the `keep` newest are removed, so editing
    the catalogue day after day does not grow the cache.
    """
    path = cache_dir() / name
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_bytes(data)
        os.replace(temporary, path)
        kind = name.split("-", 1)[0]
        entries = sorted(path.parent.glob(f"{kind}-*"), key=lambda entry: entry.stat().st_mtime_ns, reverse=True)
        for stale in entries[keep:]:
            stale.unlink(missing_ok=True)
    except OSError:
        pass


def read_pickled(name: str | None, expected: type[T]) -> T | None:
    """The object kept under `name` when it is an `expected`; a missing, stale or torn entry gives None."""
    data = read_cache(name) if name else None
    if data is None:
        return None
    import pickle  # noqa: PLC0415

    try:
        value = pickle.loads(data)
    except Exception:  # noqa: BLE001 - whatever went wrong, the caller builds the value afresh
        return None
    return value if isinstance(value, expected) else None


def write_pickled(name: str | None, value: object) -> None:
    if name:
        import pickle  # noqa: PLC0415

        write_cache(name, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
