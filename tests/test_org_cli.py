"""`credscope org` through the real command line, with its own embedded Dask cluster: hostile entries in the
repository list are refused and reported, never run; a repository that could not be scanned fails the gate unless
--allow-errors; SARIF is written per repository. And neither `--help` nor a plain scan loads Dask."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from credscope.model import fingerprint_of

from helpers import Repo, run_cli, token

pytest.importorskip("distributed")


def test_help_and_a_plain_scan_never_import_dask(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("print('hello')\n")
    program = (
        "import sys\n"
        "from credscope.cli import app\n"
        "for argv in (['--help'], ['org', '--help']):\n"
        "    try:\n"
        "        app(argv, standalone_mode=False)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "from credscope.api import scan\n"
        f"scan([{str(tmp_path)!r}])\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'dask', 'distributed', 'psycopg', 'sqlite3'}))\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.splitlines()[-1] == "[]"


def _repo(path: Path) -> Repo:
    path.mkdir(parents=True)
    repo = Repo(path)
    repo.git("init", "-q", "-b", "main")
    repo.write("README.md", "# service\n")
    repo.commit("initial import")
    return repo


def test_hostile_list_entries_are_refused_reported_and_fail_the_run(tmp_path: Path) -> None:
    good, clean = _repo(tmp_path / "src" / "good"), _repo(tmp_path / "src" / "clean")
    secret = token("{{github:ghp}}")
    good.write("config/.env", f"GITHUB_TOKEN={secret}\n")
    commit = good.commit("configuration")
    pwned = tmp_path / "pwned"
    missing = tmp_path / "src" / "missing"
    listing = tmp_path / "repos.txt"
    listing.write_text(
        "\n".join(
            [
                good.path.as_uri(),
                "clean  # a path relative to this list would need src/; this one is not a repository",
                "src/clean",
                f"ext::sh -c touch% {pwned}",
                f"--upload-pack=touch {pwned}",
                missing.as_uri(),
            ]
        )
        + "\n"
    )
    common = ["--workers", "1", "--store", str(tmp_path / "org.sqlite3"), "--mirrors", str(tmp_path / "mirrors")]
    done = run_cli("org", str(listing), "--format", "json", *common)
    assert done.exit_code == 1, done.stderr
    report = done.json()
    assert [r["name"] for r in report["repositories"]] == [str(good.path), str(clean.path)]  # type: ignore[index]
    first = report["repositories"][0]  # type: ignore[index]
    assert first["new"] == [fingerprint_of(secret)]
    findings = first["report"]["findings"]
    assert {(f["reach"], f["path"], f["commit"], f["fingerprint"]) for f in findings} == {
        ("tracked", "config/.env", commit, fingerprint_of(secret)),
        ("history", "config/.env", commit, fingerprint_of(secret)),
    }
    errors = {e["name"]: e["error"] for e in report["errors"]}  # type: ignore[union-attr]
    missing_error = errors.pop(missing.as_uri().removeprefix("file://"))
    assert missing_error.startswith("git clone failed: ")
    assert errors == {
        "clean": "repos.txt:2: not a git repository",
        f"ext::sh -c touch% {pwned}": (
            "refused clone URL: a git remote-helper address (transport::address) is never used"
        ),
        f"--upload-pack=touch {pwned}": "refused clone URL: starts with '-' (git would read it as an option)",
    }
    assert report["verdict"] == {  # the github token's access is unknown: counted as admin, it fails too
        "passed": False,
        "fail_on": "admin",
        "failing": [fingerprint_of(secret)],
        "errors_allowed": False,
    }
    assert not pwned.exists()
    assert secret not in done.stdout and secret not in done.stderr

    # Again, allowing the errors and failing on nothing: unchanged repositories read nothing; SARIF per repository.
    sarif = tmp_path / "sarif"
    again = run_cli("org", str(listing), "--allow-errors", "--fail-on", "none", "--format", "sarif", "-o", str(sarif),
                    *common)  # fmt: skip
    assert again.exit_code == 0, again.stderr
    written = sorted(p.name for p in sarif.iterdir())
    assert written == sorted(f"{str(p.path).strip('/').replace('/', '_')}.sarif" for p in (good, clean))
    log = json.loads(
        (sarif / written[written.index(f"{str(good.path).strip('/').replace('/', '_')}.sarif")]).read_text()
    )
    results = log["runs"][0]["results"]
    assert sorted((r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], r["properties"]["reach"])
                  for r in results) == [("config/.env", "history"), ("config/.env", "tracked")]  # fmt: skip
    assert secret not in (sarif / written[0]).read_text() + (sarif / written[1]).read_text()

    # The text report states the organisation's verdict once, last, after the combined per-credential report.
    text = run_cli("org", str(listing), "--allow-errors", *common)
    lines = text.stdout.splitlines()
    assert [line for line in lines if line.startswith("organisation policy")] == [
        "organisation policy --fail-on admin: FAILED: 1 credential(s) over the threshold; "
        "4 repositor(y/ies) could not be scanned (allowed with --allow-errors)"
    ]
    assert lines[-1].startswith("organisation policy")


def test_usage_errors_exit_2_before_any_cluster_starts(tmp_path: Path) -> None:
    listing = tmp_path / "repos.txt"
    listing.write_text("")
    nothing = run_cli("org")
    assert (nothing.exit_code, nothing.stderr.strip()) == (
        2,
        "credscope: credscope org needs repositories: a list file, a directory, --github-org or --gitlab-group",
    )
    sarif = run_cli("org", str(listing), "--format", "sarif")
    assert sarif.exit_code == 2
    assert "--format sarif writes one file per repository: --output must name a directory" in sarif.stderr
    http_api = run_cli("org", "--github-org", "acme", "--github-api", "http://api.example.com")
    assert http_api.exit_code == 2
    assert "plain http is only allowed on loopback" in http_api.stderr
