"""The built wheel carries the provider catalogue: installed in a fresh virtualenv, it scans on its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import Repo, token

SOURCE = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_installed_outside_the_source_tree_scans_a_generated_repo(tmp_path: Path, repo: Repo) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(dist), str(SOURCE)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    wheels = list(dist.glob("credscope-*.whl"))
    assert len(wheels) == 1
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check", str(wheels[0])],
        check=True,
        capture_output=True,
        timeout=600,
    )
    github, railway = token("{{github:ghp}}"), token("{{uuid4}}")
    repo.write("ci/deploy.sh", f"export RAILWAY_API_TOKEN={railway}\n")
    repo.write("app/.env", f"GITHUB_TOKEN={github}\n")
    repo.commit()

    # Run from an unrelated directory so nothing can be imported from the checkout.
    result = subprocess.run(
        [str(venv / "bin" / "credscope"), "scan", str(repo.path), "--format", "json", "--fail-on", "any"],
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert sorted((f["provider"], f["path"], f["line"]) for f in report["findings"]) == [
        ("github", "app/.env", 1),
        ("railway", "ci/deploy.sh", 1),
    ]
    located = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import credscope.catalogue as c; print(c.builtin_provider_dir())"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert located.startswith(str(venv)), located
