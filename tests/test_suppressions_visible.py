"""A pull request that adds an admin token and, in the same change, silences the gate: every suppression is named,
with who asked for it and what it removed, in every format (text, JSON, SARIF, Markdown, HTML) and in the hook.

Each test builds the pull request as an attacker would: a base commit, then a branch that adds a Railway account
token (admin, can delete volumes) next to one narrowing of the scan — an exclusion, a disabled or replaced
provider, a relaxed threshold, an ignore entry, a baseline entry, an inline ignore comment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from html import escape
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from test_html_report import CHROMIUM_FLAGS, chromium  # noqa: F401 - the fixture is used by name
from test_sarif import multitool  # noqa: F401 - the fixture is used by name

from credscope.baseline import Baseline, BaselineEntry
from credscope.cli import app
from credscope.model import fingerprint_of

from helpers import GIT_ENV, Repo, run_cli, token

RAILWAY_SCRIPT = (
    "#!/bin/sh\n"
    "RAILWAY_API_TOKEN={secret}{comment}\n"
    'curl -s https://backboard.railway.com/graphql/v2 -H "Authorization: Bearer $RAILWAY_API_TOKEN"\n'
)
# A provider YAML that takes the built-in Railway provider's place and finds nothing.
HOLLOW_RAILWAY = """\
id: railway
name: Railway
rules:
  - id: railway-nothing
    kind: account-token
    pattern: '(?P<secret>zzzz-never-[0-9]{40})'
    keywords: [zzzz-never-]
"""
FORMATS = ("text", "json", "sarif", "markdown", "html")


@dataclass(frozen=True)
class PullRequest:
    repo: Repo
    fingerprint: str


def _pull_request(
    repo: Repo, config: str | None, files: dict[str, str] | None = None, comment: str = ""
) -> PullRequest:
    """main: a README; the branch: an admin Railway token in deploy/release.sh and the narrowing beside it."""
    repo.write("README.md", "app\n")
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "pr")
    secret = token("{{uuid4}}")
    repo.write("deploy/release.sh", RAILWAY_SCRIPT.format(secret=secret, comment=comment))
    if config is not None:
        repo.write(".credscope.yaml", config.format(fingerprint=fingerprint_of(secret)))
    for path, text in (files or {}).items():
        repo.write(path, text)
    repo.commit("add a release script")
    return PullRequest(repo, fingerprint_of(secret))


def _render(pr: PullRequest, output_format: str, *args: str) -> tuple[int, str]:
    """The real `scan` command, in this process (five formats per case keep to a second), report to a file."""
    out = pr.repo.path.parent / f"report.{output_format}"
    arguments = ["scan", str(pr.repo.path), "--format", output_format, "--output", str(out), *args]
    code = app(args=arguments, standalone_mode=False)
    return int(code or 0), out.read_text("utf-8")


def _validate(report: dict[str, object]) -> None:
    schema = json.loads(resources.files("credscope").joinpath("schemas/report.schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator(schema).validate(report)


def _markdown(sentence: str) -> str:
    escaped = sentence
    for char in "`*_[]<>|#!":
        escaped = escaped.replace(char, "\\" + char)
    return escaped


@dataclass(frozen=True)
class Case:
    id: str
    config: str | None
    expected: dict[str, object]  # the suppression as the JSON report gives it
    files: tuple[tuple[str, str], ...] = ()
    comment: str = ""
    token_reported: bool = False  # the token is still in the report, only the gate was relaxed
    threshold: str = "admin"


def _case(kind: str, subject: str, message: str, **fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "kind": kind,
        "subject": subject,
        "source": ".credscope.yaml",
        "detail": "",
        "count": None,
        "paths": [],
        "line": 1,
        "message": message,
    }
    return base | fields


CASES = [
    Case(
        "exclude",
        "exclude: [deploy]\n",
        _case(
            "exclude",
            "deploy",
            "exclude deploy: 1 file(s) not scanned: deploy/ [.credscope.yaml:1]",
            count=1,
            paths=["deploy/"],
        ),
    ),
    Case(
        "disabled-provider",
        # The generic rules would still name the token by its variable: the attacker disables them too.
        "providers:\n  railway: {{enabled: false}}\n  generic: {{enabled: false}}\n",
        _case(
            "disabled-provider",
            "railway",
            "provider railway disabled: its rules did not run [.credscope.yaml:2]",
            line=2,
        ),
    ),
    Case(
        "fail-on-none",
        "fail_on: none\n",
        _case("setting", "fail_on", "fail_on none (default admin) [.credscope.yaml:1]", detail="none (default admin)"),
        token_reported=True,
        threshold="none",
    ),
    Case(
        "ignore",
        "ignore:\n  - fingerprint: {fingerprint}\n    reason: revoked test token\n",
        _case("ignore", "<fingerprint>", "", detail="revoked test token", count=1, line=2),
    ),
    Case(
        "baseline",
        "baseline: ci/baseline.json\n",
        _case(
            "baseline",
            "ci/baseline.json",
            "baseline ci/baseline.json (1 entries): 1 credential(s) not reported [.credscope.yaml:1]",
            detail="1 entries",
            count=1,
        ),
        files=(("ci/baseline.json", "<baseline>"),),
    ),
    Case(
        "inline-ignore",
        None,
        _case(
            "inline-ignore",
            "credscope: ignore",
            "inline ignore comments: 1 finding(s) not reported in deploy/release.sh",
            source="",
            count=1,
            paths=["deploy/release.sh"],
            line=0,
        ),
        comment="  # credscope: ignore",
    ),
]


def _build(repo: Repo, case: Case) -> tuple[PullRequest, dict[str, object]]:
    files = dict(case.files)
    pr = _pull_request(repo, case.config, {p: t for p, t in files.items() if t != "<baseline>"}, case.comment)
    expected = dict(case.expected)
    if "<baseline>" in files.values():
        entry = BaselineEntry(pr.fingerprint, "railway", "account-token", "railway-token", ("deploy/release.sh",))
        repo.write("ci/baseline.json", Baseline({pr.fingerprint: entry}).render())
        repo.commit("baseline")
    if expected["subject"] == "<fingerprint>":
        prefix = pr.fingerprint
        expected["subject"] = prefix
        expected["message"] = f"ignore {prefix} (revoked test token): 1 credential(s) not reported [.credscope.yaml:2]"
    return pr, expected


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_a_pull_request_cannot_silence_the_gate_unseen(repo: Repo, case: Case) -> None:
    pr, expected = _build(repo, case)
    message = str(expected["message"])
    source = str(expected["source"])

    # The attack as such still works (a repository's configuration may narrow what is reported) ...
    code, text = _render(pr, "text")
    assert code == 0, text
    assert (f"[{pr.fingerprint[:12]}]" in text) is case.token_reported
    # ... but the text report says so: the configuration, the suppression, and the verdict line itself.
    lines = text.splitlines()
    if case.config is not None:
        assert "configuration: .credscope.yaml" in lines
    block = lines.index(next(line for line in lines if line.startswith("suppressions in effect (")))
    assert f"  - {message}" in lines[block:]
    suppressions = int(lines[block].split("(")[1].split(")")[0])
    from_file = " from .credscope.yaml" if source == ".credscope.yaml" else ""
    verdict = f"policy --fail-on {case.threshold}: passed — {suppressions} suppression(s) in effect{from_file}"
    assert f"{verdict}, listed above" in lines

    code, json_text = _render(pr, "json")
    report = json.loads(json_text)
    _validate(report)
    assert report["verdict"]["passed"] is True
    assert expected in report["configuration"]["suppressions"]
    assert report["configuration"]["files"] == ([".credscope.yaml"] if case.config is not None else [])

    _, sarif_text = _render(pr, "sarif")
    run = json.loads(sarif_text)["runs"][0]
    shown = [
        (
            r["level"],
            r["message"]["text"],
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for r in run["results"]
        if r["ruleId"] == "credscope-suppression"
    ]
    # Anchored where a reviewer sees it: the line of the configuration, the baseline file a pull request would
    # edit, the file holding the inline comment.
    anchor = {"baseline": ("ci/baseline.json", 1), "inline-ignore": ("deploy/release.sh", 1)}.get(
        case.id, (".credscope.yaml", expected["line"])
    )
    assert ("warning", f"Suppression in effect: {message}.", *anchor) in shown
    assert run["properties"]["configuration"] == report["configuration"] | {
        "suppressions": run["properties"]["configuration"]["suppressions"]
    }
    assert expected in run["properties"]["configuration"]["suppressions"]
    assert {"level": "warning", "message": {"text": message}} in run["invocations"][0]["toolConfigurationNotifications"]

    _, markdown = _render(pr, "markdown")
    assert "## Suppressions in effect" in markdown.splitlines()
    assert f"- {_markdown(message)}" in markdown.splitlines()
    assert "suppression(s) in effect" in markdown.splitlines()[2]  # the verdict line says so

    _, html = _render(pr, "html")
    assert f'<li class="suppression" data-kind="{expected["kind"]}">{escape(message)}</li>' in html
    assert '<section id="suppressions">' in html
    assert f"suppression(s) in effect{from_file}</a></p>" in html


def test_every_suppression_at_once_in_every_format(
    repo: Repo,
    multitool: Path,  # noqa: F811 - the fixture
    chromium: str,  # noqa: F811 - the fixture
    tmp_path: Path,
) -> None:
    """One pull request with every narrowing: SARIF passes Microsoft's validator with GitHub's rules, the HTML
    shows them in a real browser, and the exit code is the relaxed gate's."""
    config = (
        "fail_on: none\n"
        "unknown_as: read\n"
        "exclude: [deploy]\n"
        "providers:\n  github: {{enabled: false}}\n"
        "ignore:\n  - fingerprint: {fingerprint}\n    reason: revoked\n"
    )
    pr = _pull_request(repo, config)
    expected = [
        "fail_on none (default admin) [.credscope.yaml:1]",
        "unknown_as read (default admin) [.credscope.yaml:2]",
        "exclude deploy: 1 file(s) not scanned: deploy/ [.credscope.yaml:3]",
        "provider github disabled: its rules did not run [.credscope.yaml:5]",
        f"ignore {pr.fingerprint} (revoked): 0 credential(s) not reported [.credscope.yaml:7]",
    ]
    code, text = _render(pr, "text")
    assert code == 0
    lines = text.splitlines()
    start = lines.index("suppressions in effect (5):")
    assert lines[start + 1 : start + 6] == [f"  - {message}" for message in expected]
    assert "policy --fail-on none: passed — 5 suppression(s) in effect from .credscope.yaml, listed above" in lines

    _, sarif = _render(pr, "sarif")
    sarif_file, verdict = tmp_path / "credscope.sarif", tmp_path / "validation.sarif"
    sarif_file.write_text(sarif, "utf-8")
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
    findings = json.loads(verdict.read_text("utf-8"))["runs"][0]["results"]
    assert [f"{r['ruleId']}: {r['message']}" for r in findings if r.get("level", "warning") == "error"] == []
    assert {r["ruleId"] for r in findings} <= {"SARIF2005"}
    results = json.loads(sarif)["runs"][0]["results"]
    assert [r["message"]["text"] for r in results if r["ruleId"] == "credscope-suppression"] == [
        f"Suppression in effect: {message}." for message in expected
    ]

    _, html = _render(pr, "html")
    report = tmp_path / "report.html"
    report.write_text(html, "utf-8")
    profile = tmp_path / "profile"
    dom = subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", report.as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    for message in expected:
        assert f"{escape(message, quote=False)}</li>" in dom.stdout
    assert "5 suppression(s) in effect from .credscope.yaml" in dom.stdout


def test_a_provider_yaml_cannot_replace_a_built_in_one(repo: Repo) -> None:
    """The last way to silence a provider: a YAML of the same id in a provider directory. Refused, loudly."""
    pr = _pull_request(repo, "provider_dirs: [ci/providers]\n", {"ci/providers/railway.yaml": HOLLOW_RAILWAY})
    refused = run_cli("scan", str(pr.repo.path))
    assert refused.exit_code == 2, refused.stdout
    assert refused.stderr.startswith(f"credscope: {pr.repo.path / 'ci/providers/railway.yaml'}: id: "), refused.stderr
    assert refused.stdout == ""


def test_command_line_narrowing_is_named_too(repo: Repo) -> None:
    pr = _pull_request(repo, None)
    code, text = _render(pr, "text", "--exclude", "deploy", "--fail-on", "none", "--unknown-as", "read")
    assert code == 0
    lines = text.splitlines()
    start = lines.index("suppressions in effect (3):")
    assert lines[start + 1 : start + 4] == [
        "  - --fail-on none (default admin) [command line]",
        "  - --unknown-as read (default admin) [command line]",
        "  - exclude deploy: 1 file(s) not scanned: deploy/ [command line]",
    ]
    assert "policy --fail-on none: passed — 3 suppression(s) in effect, listed above" in lines


def test_clean_run_has_no_suppression_block(repo: Repo) -> None:
    repo.write("README.md", "app\n")
    repo.commit("base")
    code, text = _render(PullRequest(repo, ""), "text")
    assert code == 0
    assert text.splitlines()[:1] == ["policy --fail-on admin: passed"]
    _, json_text = _render(PullRequest(repo, ""), "json")
    assert json.loads(json_text)["configuration"] == {"files": [], "suppressions": []}


def test_the_hook_names_the_baseline_a_commit_brings(repo: Repo) -> None:
    """The pre-commit hook reads .credscope-baseline.json when present: a commit that adds its own token to it
    passes, and says so."""
    repo.write("README.md", "app\n")
    repo.commit("base")
    secret = token("{{uuid4}}")
    repo.write("deploy/release.sh", RAILWAY_SCRIPT.format(secret=secret, comment=""))
    fingerprint = fingerprint_of(secret)
    entry = BaselineEntry(fingerprint, "railway", "account-token", "railway-token", ("deploy/release.sh",))
    repo.write(".credscope-baseline.json", Baseline({fingerprint: entry}).render())
    repo.git("add", "-A")
    hook = run_cli("hook", cwd=repo.path, env=GIT_ENV)
    assert hook.exit_code == 0, hook.stderr
    assert hook.stdout.splitlines() == [
        "credscope: 1 suppression(s) in effect:",
        "  - baseline .credscope-baseline.json (1 entries): 1 credential(s) not reported [default file]",
    ]


def _action_step(step_id: str) -> str:
    import yaml

    action = yaml.safe_load((Path(__file__).resolve().parent.parent / "action.yml").read_text("utf-8"))
    (step,) = [step for step in action["runs"]["steps"] if step.get("id") == step_id]
    return str(step["run"])


def _base_config(workspace: Path, base_sha: str, runner_temp: Path, baseline: str = "") -> dict[str, str]:
    """Run the action's base-config step as the runner would (bash -e), with the venv's python on PATH."""
    output = runner_temp / "github_output"
    output.write_text("")
    env = {
        **os.environ,
        **GIT_ENV,
        "BASE_SHA": base_sha,
        "BASELINE": baseline,
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_OUTPUT": str(output),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    done = subprocess.run(
        ["bash", "-e", "-c", _action_step("base-config")],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return dict(line.split("=", 1) for line in output.read_text().splitlines())


@pytest.mark.parametrize("base_has_config", [True, False], ids=["base-config", "no-base-config"])
def test_the_action_gates_a_pull_request_with_the_base_branchs_configuration(
    repo: Repo, tmp_path: Path, base_has_config: bool
) -> None:
    """The pull request excludes its script, relaxes fail_on and baselines its own token; the action's step takes
    the configuration and the baseline from the base commit instead, and the gate fails on the token."""
    repo.write("README.md", "app\n")
    if base_has_config:
        repo.write(".credscope.yaml", "baseline: ci/baseline.json\n")
        repo.write("ci/baseline.json", Baseline().render())
    base_sha = repo.commit("base").strip()
    repo.git("checkout", "-q", "-b", "pr")
    secret = token("{{uuid4}}")
    fingerprint = fingerprint_of(secret)
    repo.write("deploy/release.sh", RAILWAY_SCRIPT.format(secret=secret, comment=""))
    entry = BaselineEntry(fingerprint, "railway", "account-token", "railway-token", ("deploy/release.sh",))
    repo.write(".credscope.yaml", "exclude: [deploy]\nfail_on: none\nbaseline: ci/baseline.json\n")
    repo.write("ci/baseline.json", Baseline({fingerprint: entry}).render())
    repo.commit("release script")
    # GitHub's side: a remote that serves any reachable commit by id; the runner's side: a shallow checkout of
    # the pull request, as actions/checkout makes it.
    origin = tmp_path / "origin.git"
    subprocess.run(
        ["git", "clone", "-q", "--bare", str(repo.path), str(origin)], check=True, env={**os.environ, **GIT_ENV}
    )
    subprocess.run(["git", "-C", str(origin), "config", "uploadpack.allowAnySHA1InWant", "true"], check=True)
    workspace = tmp_path / "workspace"
    subprocess.run(
        ["git", "clone", "-q", "--depth=1", "-b", "pr", origin.as_uri(), str(workspace)],
        check=True,
        env={**os.environ, **GIT_ENV},
    )
    runner_temp = tmp_path / "runner"
    runner_temp.mkdir()

    outputs = _base_config(workspace, base_sha, runner_temp)
    trusted = runner_temp / "credscope-base" / ".credscope.yaml"
    assert outputs == {"config": str(trusted)}
    expected_config = "baseline: ci/baseline.json\n" if base_has_config else ""
    assert trusted.read_text() == expected_config
    if base_has_config:  # the baseline it names, as the base branch has it: without the pull request's entry
        assert (runner_temp / "credscope-base" / "ci/baseline.json").read_text() == Baseline().render()

    gated = run_cli("scan", str(workspace), "--config", outputs["config"], "--format", "json")
    assert gated.exit_code == 1, gated.stderr
    report = gated.json()
    assert report["verdict"]["failing"] == [fingerprint]
    assert report["configuration"]["files"] == [str(trusted)]
    assert [s["kind"] for s in report["configuration"]["suppressions"]] == (["baseline"] if base_has_config else [])

    # The baseline input, too, is read from the base commit: the pull request's version would accept its token.
    outputs = _base_config(workspace, base_sha, runner_temp, baseline="ci/baseline.json")
    if base_has_config:
        assert outputs["baseline"] == str(runner_temp / "credscope-base" / "ci/baseline.json")
    else:
        assert "baseline" not in outputs  # none on the base branch: no baseline at all
