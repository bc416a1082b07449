"""Shared fixtures; the helpers themselves live in helpers.py so tests can import them."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import Repo


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    path = tmp_path / "repo"
    path.mkdir()
    made = Repo(path)
    made.git("init", "-q", "-b", "main")
    return made
