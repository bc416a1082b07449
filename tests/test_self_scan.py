"""The project passes its own scan: no test, fixture or document holds a value credscope would report."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_tracked_tree_passes_its_own_scan(tmp_path: Path) -> None:
    # The tracked files as they are in the work tree, copied out: what a clean clone holds, without the
    # virtualenvs and caches beside them.
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    copy = tmp_path / "credscope"
    for name in filter(None, listed.decode("utf-8", "surrogateescape").split("\0")):
        source = ROOT / name
        if source.is_file() and not source.is_symlink():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, copy / name)
    result = subprocess.run(
        [sys.executable, "-m", "credscope", "scan", "--format", "json", str(copy)],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(result.stdout)
    failing = [(f["path"], f["line"], f["rule"]) for f in report["findings"] if f["policy"]["failed"]]
    assert (result.returncode, failing) == (0, []), result.stderr
    assert report["stats"]["files_scanned"] > 200
