"""Shared fixtures; the helpers themselves live in helpers.py so tests can import them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import Repo

# Fixture modules for the probe tests: real servers (PostgreSQL, moto) and local fakes of SaaS APIs.
pytest_plugins = ["servers.http", "servers.railway", "servers.postgres", "servers.aws"]


@pytest.fixture(autouse=True, scope="session")
def _private_credscope_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """credscope caches its compiled catalogue in the user cache: tests (and the CLIs they start) use a
    throw-away one instead of the real home."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CREDSCOPE_CACHE_DIR", str(tmp_path_factory.mktemp("credscope-cache")))
        # No user-level configuration (~/.config/credscope/config.yaml) of whoever runs the tests; a test that
        # needs one names its own file.
        patch.setenv("CREDSCOPE_CONFIG", "")
        yield


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    path = tmp_path / "repo"
    path.mkdir()
    made = Repo(path)
    made.git("init", "-q", "-b", "main")
    return made
