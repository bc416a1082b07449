"""The user cache: compiled things worth keeping between runs (catalogue, Hyperscan database), never scan data.

It lives in $CREDSCOPE_CACHE_DIR, else $XDG_CACHE_HOME/credscope, else ~/.cache/credscope — never inside a
scanned tree. Every entry is keyed by a digest of what it was built from, and every failure to read or write
it only costs a rebuild.

Entries are pickles and Hyperscan databases: loading a forged one runs code or corrupts memory, so nothing is
loaded that this user did not write. The directory must belong to the user and be writable by no one else
(credscope creates it 0700); each entry must belong to the user and carries an HMAC-SHA256 tag of its name and
bytes under a per-user key (`key`, 0600, made once with O_EXCL). Anything else is ignored and rebuilt.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

_MAGIC = b"credscope-cache-1\n"
_TAG_SIZE = 32  # HMAC-SHA256
_KEY_NAME = "key"
_KEY_SIZE = 32
# A symbolic link is not followed, and a FIFO planted under an entry's name cannot block the open.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


def cache_dir() -> Path:
    explicit = os.environ.get("CREDSCOPE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "credscope"


def read_cache(name: str) -> bytes | None:
    """The bytes kept under `name`, when this user's key vouches for them; None otherwise."""
    directory = _trusted_dir(create=False)
    key = _key(directory, create=False) if directory else None
    if directory is None or key is None:
        return None
    data = _read_owned(directory / name)
    if data is None or not data.startswith(_MAGIC):
        return None
    tag, payload = data[len(_MAGIC) : len(_MAGIC) + _TAG_SIZE], data[len(_MAGIC) + _TAG_SIZE :]
    import hmac  # noqa: PLC0415

    return payload if hmac.compare_digest(tag, _tag(key, name, payload)) else None


def write_cache(name: str, data: bytes, keep: int = 4) -> None:
    """Atomic (a concurrent reader sees the old entry or the new one) and best effort.

    Entries of the same kind (the name up to its first "-") beyond the `keep` newest are removed, so editing
    the catalogue day after day does not grow the cache.
    """
    import tempfile  # noqa: PLC0415

    directory = _trusted_dir(create=True)
    key = _key(directory, create=True) if directory else None
    if directory is None or key is None:
        return
    path = directory / name
    try:
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".tmp")  # 0600, O_EXCL
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(_MAGIC + _tag(key, name, data) + data)
            os.replace(temporary, path)
        except OSError:
            Path(temporary).unlink(missing_ok=True)
            raise
        kind = name.split("-", 1)[0]
        entries = sorted(directory.glob(f"{kind}-*"), key=lambda entry: entry.stat().st_mtime_ns, reverse=True)
        for stale in entries[keep:]:
            stale.unlink(missing_ok=True)
    except OSError:
        pass


def read_pickled(name: str | None, expected: type[T]) -> T | None:
    """The object kept under `name` when it is an `expected`; a missing, stale, torn or forged entry gives None.

    Only bytes whose tag this user's key vouches for are unpickled.
    """
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


def _tag(key: bytes, name: str, payload: bytes) -> bytes:
    import hashlib  # noqa: PLC0415
    import hmac  # noqa: PLC0415

    # The name is signed too: an entry moved under another entry's name does not verify.
    return hmac.new(key, name.encode("utf-8") + b"\0" + payload, hashlib.sha256).digest()


def _trusted_dir(create: bool) -> Path | None:
    """The cache directory when this user owns it and no one else may write into it."""
    directory = cache_dir()
    try:
        if create:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = directory.stat()
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or not _mine(info, forbidden_mode=0o022):
        return None
    return directory


def _key(directory: Path, create: bool) -> bytes | None:
    """This user's cache key, made on first write; None when it is missing, or readable or owned by another."""
    path = directory / _KEY_NAME
    key = _read_owned(path, private=True)
    if key is not None or not create:
        return key if key is not None and len(key) == _KEY_SIZE else None
    import secrets  # noqa: PLC0415
    import tempfile  # noqa: PLC0415

    try:
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=".key.", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(secrets.token_bytes(_KEY_SIZE))
            os.link(temporary, path)  # never replaces: of two processes making a key, the first one's stands
        finally:
            Path(temporary).unlink(missing_ok=True)
    except FileExistsError:
        pass
    except OSError:
        return None
    key = _read_owned(path, private=True)
    return key if key is not None and len(key) == _KEY_SIZE else None


def _read_owned(path: Path, private: bool = False) -> bytes | None:
    """The file's bytes when it is a regular file of this user (and, if `private`, readable by no one else)."""
    try:
        handle = os.open(path, _OPEN_FLAGS)
    except OSError:
        return None
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode) or not _mine(info, forbidden_mode=0o077 if private else 0):
            return None
        with os.fdopen(handle, "rb", closefd=False) as file:
            return file.read()
    except OSError:
        return None
    finally:
        os.close(handle)


def _mine(info: os.stat_result, forbidden_mode: int) -> bool:
    """Owned by this user, with none of the `forbidden_mode` permission bits (write or read by others) set."""
    if not hasattr(os, "getuid"):
        return True  # Windows: no uids or mode bits; the profile's ACLs guard the directory, the tag still applies
    return info.st_uid == os.getuid() and not info.st_mode & forbidden_mode
