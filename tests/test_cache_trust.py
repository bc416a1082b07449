"""The user cache as an attacker who can write files credscope will read back: a planted pickle whose
`__reduce__` would run code never runs, and an entry credscope did not write itself (another owner, a
directory others can write, a forged or moved tag, a link elsewhere) is ignored and rebuilt."""

from __future__ import annotations

import os
import pickle
import shutil
from pathlib import Path

import pytest

from credscope import cache
from credscope.catalogue import Catalogue, load_catalogue

from helpers import run_cli

OTHER_UID = 4242  # any uid but ours: a file root hands to another user


def _needs_root() -> None:
    if os.geteuid() != 0:
        pytest.skip("giving a file to another user needs root (as in CI)")


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv("CREDSCOPE_CACHE_DIR", str(directory))
    return directory


class _Payload:
    """Unpickling this writes the marker file: code run by whoever could write the cache."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return exec, (f"open({str(self.marker)!r}, 'w').write('ran')",)


def _catalogue_entry(cache_dir: Path) -> Path:
    load_catalogue()
    [entry] = sorted(cache_dir.glob("catalogue-*.pickle"))
    return entry


def _plant_raw(entry: Path, payload: bytes, elsewhere: Path) -> None:
    entry.write_bytes(payload)


def _plant_with_forged_tag(entry: Path, payload: bytes, elsewhere: Path) -> None:
    # The entry format, with a tag made without the user's key.
    entry.write_bytes(b"credscope-cache-1\n" + bytes(32) + payload)


def _plant_link(entry: Path, payload: bytes, elsewhere: Path) -> None:
    # The pickle kept outside the cache, linked in under the entry's name.
    elsewhere.write_bytes(payload)
    entry.unlink()
    entry.symlink_to(elsewhere)


@pytest.mark.parametrize("plant", [_plant_raw, _plant_with_forged_tag, _plant_link])
def test_a_planted_pickle_never_runs(plant: object, cache_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / ".env").write_text("APP_NAME=demo\n")
    entry = _catalogue_entry(cache_dir)
    marker = tmp_path / "marker"
    assert callable(plant)
    plant(entry, pickle.dumps(_Payload(marker)), tmp_path / "elsewhere.pickle")

    result = run_cli("scan", ".env", cwd=tmp_path / "project", env={"CREDSCOPE_CACHE_DIR": str(cache_dir)})

    assert not marker.exists()
    assert result.exit_code == 0, result.stderr
    assert "0 credential(s) in 0 place(s)" in result.stdout
    # The run rebuilt the catalogue and kept a genuine entry in place of the planted one.
    assert not entry.is_symlink()
    assert isinstance(cache.read_pickled(entry.name, Catalogue), Catalogue)
    assert not marker.exists()


def test_an_entry_not_owned_by_the_user_is_ignored(cache_dir: Path) -> None:
    _needs_root()
    cache.write_pickled("config-owned", {"exclude": ["vendor/"]})
    entry = cache_dir / "config-owned"
    os.chown(entry, OTHER_UID, OTHER_UID)
    assert cache.read_pickled("config-owned", dict) is None
    os.chown(entry, os.getuid(), os.getgid())
    assert cache.read_pickled("config-owned", dict) == {"exclude": ["vendor/"]}


def test_a_planted_pickle_owned_by_another_user_never_runs(cache_dir: Path, tmp_path: Path) -> None:
    _needs_root()
    entry = _catalogue_entry(cache_dir)
    marker = tmp_path / "marker"
    entry.write_bytes(pickle.dumps(_Payload(marker)))
    os.chown(entry, OTHER_UID, OTHER_UID)
    assert isinstance(load_catalogue(), Catalogue)
    assert not marker.exists()


def test_a_directory_others_can_write_is_not_used(cache_dir: Path) -> None:
    cache_dir.mkdir(mode=0o700)
    cache_dir.chmod(0o777)  # e.g. CREDSCOPE_CACHE_DIR pointed at a shared scratch directory
    cache.write_pickled("config-shared", {"exclude": []})
    assert sorted(p.name for p in cache_dir.iterdir()) == []
    assert cache.read_pickled("config-shared", dict) is None


def test_a_directory_of_another_user_is_not_used(cache_dir: Path) -> None:
    _needs_root()
    cache.write_pickled("config-theirs", {"exclude": []})
    assert cache.read_pickled("config-theirs", dict) == {"exclude": []}
    os.chown(cache_dir, OTHER_UID, OTHER_UID)
    assert cache.read_pickled("config-theirs", dict) is None


def test_the_key_is_private_and_a_key_others_can_read_vouches_for_nothing(cache_dir: Path) -> None:
    cache.write_pickled("config-a", {"exclude": []})
    key = cache_dir / "key"
    assert oct(cache_dir.stat().st_mode & 0o777) == "0o700"
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    assert key.stat().st_size == 32
    key.chmod(0o644)
    assert cache.read_pickled("config-a", dict) is None
    key.chmod(0o600)
    assert cache.read_pickled("config-a", dict) == {"exclude": []}


def test_an_entry_moved_under_another_name_does_not_verify(cache_dir: Path) -> None:
    cache.write_pickled("config-strict", {"exclude": []})
    cache.write_pickled("config-lenient", {"exclude": ["**"]})
    shutil.copyfile(cache_dir / "config-lenient", cache_dir / "config-strict")
    assert cache.read_pickled("config-strict", dict) is None
    assert cache.read_pickled("config-lenient", dict) == {"exclude": ["**"]}


def test_a_tampered_byte_in_a_raw_entry_is_refused(cache_dir: Path) -> None:
    """The Hyperscan database cache goes through the same check: a forged database is never loaded."""
    cache.write_cache("prefilter-0123.hsdb", b"1 2;1;4\n" + bytes(range(256)))
    entry = cache_dir / "prefilter-0123.hsdb"
    assert cache.read_cache("prefilter-0123.hsdb") == b"1 2;1;4\n" + bytes(range(256))
    data = bytearray(entry.read_bytes())
    data[-1] ^= 1
    entry.write_bytes(bytes(data))
    assert cache.read_cache("prefilter-0123.hsdb") is None
