"""SARIF for GitHub code scanning: valid against the 2.1.0 schema and Microsoft's validator, no secret inside.

The schema and the validator come from the npm package @microsoft/sarif-multitool-linux, installed
by tests/run.sh (or by the fixture below) into .venv-test/npm, which git ignores.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest

from credscope.catalogue import load_catalogue

from helpers import Repo, plant, run_cli

NPM_PREFIX = Path(os.environ.get("CREDSCOPE_NPM_PREFIX", Path(__file__).resolve().parent.parent / ".venv-test/npm"))
PACKAGE = NPM_PREFIX / "node_modules/@microsoft/sarif-multitool-linux"
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.1"}


def _unavailable(message: str) -> None:
    # In CI a missing validator is a failure, never a silent skip.
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def multitool() -> Path:
    """The package directory, installed on first use (npm is a test requirement, see tests/run.sh)."""
    if not (PACKAGE / "sarif-2.1.0.json").is_file():
        npm = shutil.which("npm")
        if npm is None:
            _unavailable("npm is not installed: it is needed to install @microsoft/sarif-multitool-linux")
        NPM_PREFIX.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [
                str(npm),
                "install",
                "--prefix",
                str(NPM_PREFIX),
                "--no-audit",
                "--no-fund",
                "@microsoft/sarif-multitool-linux",
            ],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            _unavailable(f"npm install @microsoft/sarif-multitool-linux failed: {done.stderr[-500:]}")
    tool = PACKAGE / "Sarif.Multitool"
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)  # its postinstall script may not have run
    return PACKAGE


@pytest.fixture
def generated(repo: Repo) -> tuple[Repo, list[str]]:
    """A repository with credentials of several providers, tracked and not; returns every secret value."""
    files = {
        "app.py": 'import os\n\nGITHUB_TOKEN = "{{github:ghp}}"\n',
        "scripts/deploy.sh": (
            "#!/bin/sh\nexport AWS_ACCESS_KEY_ID={{aws:akia}}\nexport AWS_SECRET_ACCESS_KEY={{aws-secret}}\n"
        ),
        "config/settings.yaml": "stripe:\n  secret_key: {{stripe:sk_live}}\n",
        "docs/dir with space/notes.md": "CI token: `{{github:ghp}}`\n",
        ".env": "DATABASE_URL={{postgres}}\nGH_TOKEN={{github:ghp}}\n",
    }
    values = plant(repo, files)
    repo.write(".gitignore", ".env\n")
    repo.commit("init", *[p for p in files if p != ".env"], ".gitignore")
    return repo, values


def _sarif(repo: Repo, *args: str) -> tuple[int, str]:
    result = run_cli("scan", ".", "--format", "sarif", "--fail-on", "any", *args, cwd=repo.path)
    assert result.exit_code in (0, 1), result.stderr
    return result.exit_code, result.stdout


def _secret_pieces(values: list[str]) -> list[str]:
    """What must never appear: each secret, its random middle, and the password of a connection URI."""
    pieces = []
    for value in values:
        pieces.append(value)
        if "://" in value and "@" in value:
            pieces.append(value.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1])
        elif len(value) >= 20:
            middle = value[6:-2]
            pieces.extend(middle[i : i + 10] for i in range(len(middle) - 9))
    return pieces


def test_sarif_is_valid_and_holds_no_secret(generated: tuple[Repo, list[str]], multitool: Path, tmp_path: Path) -> None:
    repo, values = generated
    code, text = _sarif(repo)
    assert code == 1
    for piece in _secret_pieces(values):
        assert piece not in text

    import jsonschema

    schema = json.loads((multitool / "sarif-2.1.0.json").read_text("utf-8"))
    log = json.loads(text)
    validator_class = jsonschema.validators.validator_for(schema)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator_class(schema).iter_errors(log)]
    assert errors == []

    # Microsoft's validator, with the GitHub ingestion rules on; it runs offline.
    sarif_file, verdict = tmp_path / "credscope.sarif", tmp_path / "validation.sarif"
    sarif_file.write_text(text, "utf-8")
    done = subprocess.run(
        [
            str(multitool / "Sarif.Multitool"),
            "validate",
            str(sarif_file),
            "--rule-kind",
            "Gh;Sarif",
            "--output",
            str(verdict),
            "--log",
            "ForceOverwrite",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "DOTNET_CLI_TELEMETRY_OPTOUT": "1"},
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Analysis completed successfully" in done.stdout
    findings = json.loads(verdict.read_text("utf-8"))["runs"][0]["results"]
    problems = [f"{r['ruleId']}: {r['message']}" for r in findings if r.get("level", "warning") == "error"]
    assert problems == []
    # The one warning allowed: the project has no public home page to put in informationUri yet.
    assert {r["ruleId"] for r in findings} <= {"SARIF2005"}


def test_sarif_content_matches_the_scan(generated: tuple[Repo, list[str]]) -> None:
    repo, _ = generated
    _, text = _sarif(repo)
    report = run_cli("scan", ".", "--format", "json", "--fail-on", "any", cwd=repo.path).json()
    log = json.loads(text)
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": repo.path.resolve().as_uri() + "/"}}
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    catalogue_rules = {rule.id for rule in load_catalogue().rules}
    assert set(rules) <= catalogue_rules  # ruleIds are the catalogue's stable rule ids

    results = run["results"]
    expected = sorted(
        (f["rule"], quote(f["path"], safe="/"), f["line"], f["column"], f["severity"])
        for f in report["findings"]  # type: ignore[union-attr]
    )
    got = sorted(
        (
            r["ruleId"],
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["locations"][0]["physicalLocation"]["region"]["startColumn"],
            r["properties"]["severity"],
        )
        for r in results
    )
    assert got == expected
    assert ("github-pat-classic", "app.py", 3, 17, "high") in got  # unknown scope: what a classic PAT can do
    # only in documentation: possible, one step lower
    assert ("github-pat-classic", "docs/dir%20with%20space/notes.md", 1, 12, "medium") in got
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] for r in results} == {"%SRCROOT%"}
    for result in results:
        rule = rules[result["ruleId"]]
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["properties"]["security-severity"] == SECURITY_SEVERITY[result["properties"]["severity"]]
        # The rule carries the highest severity among its results.
        same_rule = [r for r in results if r["ruleId"] == result["ruleId"]]
        assert float(rule["properties"]["security-severity"]) == max(
            float(r["properties"]["security-severity"]) for r in same_rule
        )
        assert set(result["partialFingerprints"]) == {"credscopeLocation/v1"}
        assert len(result["partialFingerprints"]["credscopeLocation/v1"]) == 64


def test_sarif_is_stable_when_code_moves(generated: tuple[Repo, list[str]]) -> None:
    repo, _ = generated

    def keys(text: str) -> dict[tuple[str, str], str]:
        return {
            (r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]): r["partialFingerprints"][
                "credscopeLocation/v1"
            ]
            for r in json.loads(text)["runs"][0]["results"]
        }

    before = keys(_sarif(repo)[1])
    app = repo.path / "app.py"
    app.write_text('"""Moved down."""\n\n\n' + app.read_text())
    after = keys(_sarif(repo)[1])
    assert after == before


@pytest.mark.parametrize("output_format", ["text", "json", "sarif", "markdown", "html"])
def test_fail_on_works_with_every_format(generated: tuple[Repo, list[str]], output_format: str) -> None:
    repo, _ = generated
    failing = run_cli("scan", ".", "--format", output_format, "--fail-on", "any", cwd=repo.path)
    passing = run_cli("scan", ".", "--format", output_format, "--fail-on", "none", cwd=repo.path)
    assert (failing.exit_code, passing.exit_code) == (1, 0), failing.stderr + passing.stderr
    assert "app.py" in failing.stdout and "app.py" in passing.stdout
    out = repo.path.parent / f"report.{output_format}"
    written = run_cli("scan", ".", "--format", output_format, "--fail-on", "any", "--output", str(out), cwd=repo.path)
    assert written.exit_code == 1 and written.stdout == ""
    assert "app.py" in out.read_text("utf-8")
