"""Shared fixtures; the helpers themselves live in helpers.py so tests can import them."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import Repo

# Fixture modules for the probe tests: real servers (PostgreSQL, moto) and local fakes of SaaS APIs.
pytest_plugins = ["servers.http", "servers.railway", "servers.postgres", "servers.aws"]


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    path = tmp_path / "repo"
    path.mkdir()
    made = Repo(path)
    made.git("init", "-q", "-b", "main")
    return made
