"""The package is releasable: its version is written in one place and every consumer reads it from there, and
the release workflow refuses a tag that names another version. (tests/run.sh builds the sdist and wheel and
runs `twine check --strict` on them; tests/test_wheel.py installs the wheel in a fresh virtualenv.)"""

from __future__ import annotations

import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import yaml

import credscope

from helpers import run_cli

ROOT = Path(__file__).resolve().parent.parent


def test_the_version_is_written_once_and_read_everywhere() -> None:
    written = re.findall(r"\b\d+\.\d+\.\d+\b", (ROOT / "pyproject.toml").read_text("utf-8"))
    assert credscope.__version__ not in written  # pyproject.toml reads it (dynamic), never repeats it
    assert version("credscope") == credscope.__version__
    assert run_cli("--version").stdout.strip() == f"credscope {credscope.__version__}"


def _tag_check(tag: str) -> subprocess.CompletedProcess[str]:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "release.yml").read_text("utf-8"))
    steps = workflow["jobs"]["build"]["steps"]
    script = next(step["run"] for step in steps if step.get("name") == "The tag names the package's version")
    return subprocess.run(
        ["bash", "-c", script],
        cwd=ROOT,
        env={"GITHUB_REF_NAME": tag, "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_release_workflow_publishes_only_the_tag_of_the_written_version() -> None:
    assert _tag_check(f"v{credscope.__version__}").returncode == 0
    wrong = _tag_check("v9.9.9")
    assert wrong.returncode == 1
    assert f"does not match credscope/__init__.py's version {credscope.__version__}" in wrong.stdout
