"""No secret leaves credscope unless --show-secrets: every command, every format, the probe log, error paths and
crashes forced inside an inference and a probe, on a repository of generated credentials (tree, ignored file,
history, home stores, environment).

Each secret is looked for whole and by a distinctive piece of its random body (a 12-character slice from the
middle, a URI's password, a PEM body line, a Docker login's decoded password), in stdout, stderr and every
file the command wrote.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from servers.http import FakeServer, Received, Reply, json_reply

from credscope.probes.settings import endpoint_variable
from credscope.testing.generate import expand

from helpers import GIT_ENV, Repo

# Files of the workspace; each `{{...}}` becomes a fresh secret of the real format.
TREE = {
    "scripts/fix_domains.sh": "export RAILWAY_API_TOKEN={{uuid4}}\n",
    "config/settings.py": 'GITHUB_TOKEN = "{{github:ghp}}"\nSLACK_BOT_TOKEN = "{{slack}}"\n',
    "deploy/credentials": "[default]\naws_access_key_id = {{aws:akia}}\naws_secret_access_key = {{aws-secret}}\n",
    "deploy/.docker/config.json": '{"auths": {"registry.example.com": {"auth": "{{docker-auth:deployer}}"}}}\n',
    "deploy/id_ecdsa": "{{pem:ec}}",
    "supabase.env": "SUPABASE_SERVICE_ROLE_KEY={{supabase:service_role}}\n",
    ".pypirc": "[pypi]\nusername = __token__\npassword = {{pypi}}\n",
    "ci.yaml": "env:\n  STRIPE_SECRET_KEY: {{stripe}}\n  OPENAI_API_KEY: {{openai}}\n",
}
IGNORED = {".env": "DATABASE_URL={{postgres:admin@127.0.0.1:5432/app}}\nHF_TOKEN={{huggingface}}\n"}
HISTORY_ONLY = {"old/anthropic.sh": "export ANTHROPIC_API_KEY={{anthropic}}\n"}
HOME = {
    ".netrc": "machine api.github.com login octo password {{github:gho}}\n",
    ".aws/credentials": "[prod]\naws_access_key_id = {{aws:akia}}\naws_secret_access_key = {{aws-secret}}\n",
}
ENVIRONMENT = {"GITLAB_TOKEN": "{{gitlab}}"}


@dataclass
class Workspace:
    repo: Path
    home: Path
    environ: dict[str, str]
    secrets: list[str] = field(default_factory=list)
    needles: set[str] = field(default_factory=set)


def _needles(secret: str) -> set[str]:
    found = {secret.strip()}
    body = secret.strip()
    if _is_docker_auth(body):  # user:password in base64: the password inside is the secret to look for
        return found | _needles(base64.b64decode(body).decode().split(":", 1)[1])
    if body.startswith("-----BEGIN"):
        lines = [line for line in body.splitlines() if line and not line.startswith("-----")]
        found.add(lines[len(lines) // 2])
    elif len(body) >= 20:
        middle = len(body) // 2
        found.add(body[middle - 6 : middle + 6])
    password = re.search(r"://[^:/@]+:([^@]+)@", body)
    if password:
        found.add(password.group(1))
    return {needle for needle in found if len(needle) >= 8}


def _fill(files: dict[str, str], root: Path, workspace: Workspace) -> None:
    for relative, template in files.items():
        expansion = expand(template)
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(expansion.text)
        for value in expansion.values:
            workspace.secrets.append(value)
            workspace.needles |= _needles(value)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    base = tmp_path_factory.mktemp("leaks")
    repo = Repo(base / "repo")
    repo.path.mkdir()
    repo.git("init", "-q", "-b", "main")
    made = Workspace(repo.path, base / "home", {})
    made.home.mkdir()
    _fill(HISTORY_ONLY, repo.path, made)
    repo.commit("add a script")
    repo.git("rm", "-q", "-r", "old")
    repo.write(".gitignore", ".env\n")
    _fill(TREE, repo.path, made)
    repo.commit("the rest")
    _fill(IGNORED, repo.path, made)
    _fill(HOME, made.home, made)
    for name, template in ENVIRONMENT.items():
        value = expand(template).text
        made.environ[name] = value
        made.secrets.append(value)
        made.needles |= _needles(value)
    return made


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str
    written: dict[str, str]


def _files(directory: Path) -> dict[Path, float]:
    return {p: p.stat().st_mtime for p in directory.rglob("*") if p.is_file() and ".git" not in p.parts}


def _run(workspace: Workspace, *args: str, out: Path, env: dict[str, str] | None = None, code: str = "") -> Run:
    """The real CLI (or `code` run before it, to force a fault) in a subprocess; every file it wrote is read."""
    before = {**_files(workspace.repo), **_files(out)}
    environ = {**os.environ, **GIT_ENV, "NO_COLOR": "1", "HOME": str(workspace.home), **(env or {})}
    script = f"{code}\nimport sys\nfrom credscope.cli import main\nsys.argv = ['credscope', *sys.argv[1:]]\nmain()\n"
    result = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=workspace.repo,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    after = {**_files(workspace.repo), **_files(out)}
    written = {
        str(path): path.read_text("utf-8", "replace") for path, mtime in after.items() if before.get(path) != mtime
    }
    return Run(result.returncode, result.stdout, result.stderr, written)


def _assert_no_secret(run: Run, workspace: Workspace) -> None:
    assert "Traceback" not in run.stderr, run.stderr
    places = {"stdout": run.stdout, "stderr": run.stderr, **run.written}
    for where, text in places.items():
        leaked = sorted(needle for needle in workspace.needles if needle in text)
        assert not leaked, f"{where} holds {len(leaked)} secret piece(s), e.g. {leaked[0][:4]}…"


FORMATS = ("text", "json", "sarif", "markdown", "html")


def test_the_workspace_is_found_whole(workspace: Workspace, tmp_path: Path) -> None:
    """The leak checks below mean something only if credscope does find these secrets: with --show-secrets it
    prints every one of them (so the needles are right and the search would see a leak)."""
    run = _run(
        workspace,
        "scan",
        ".",
        "--history",
        "--home",
        str(workspace.home),
        "--env",
        "--format",
        "json",
        "--show-secrets",
        out=tmp_path,
        env=workspace.environ,
    )
    assert run.code == 1, run.stderr
    findings = json.loads(run.stdout)["findings"]
    shown = {f["secret"] for f in findings} | {value for f in findings for value in f["parts"].values()}
    shown_text = "\n".join(shown)
    # Every secret is reported (a Docker `auth` as the password it encodes), and so is every needle.
    missing = [s[:6] for s in workspace.secrets if s.strip() not in shown and not _is_docker_auth(s)]
    assert not missing, f"not found: {missing}"
    missing = [n[:6] for n in workspace.needles if n not in shown_text and not _is_docker_auth(n)]
    assert not missing, f"needles not found: {missing}"


def _is_docker_auth(value: str) -> bool:
    try:
        return ":" in base64.b64decode(value, validate=True).decode()
    except ValueError:
        return False


@pytest.mark.parametrize("output_format", FORMATS)
def test_scan_every_format(workspace: Workspace, tmp_path: Path, output_format: str) -> None:
    # To stdout here; `audit` below writes every format to a file through the same reporters.
    common = ("--history", "--home", str(workspace.home), "--env", "--format", output_format)
    printed = _run(workspace, "scan", ".", *common, out=tmp_path, env=workspace.environ)
    assert printed.code == 1, printed.stderr
    assert printed.stdout.strip()
    _assert_no_secret(printed, workspace)


@pytest.mark.parametrize("output_format", FORMATS)
def test_audit_every_format(workspace: Workspace, tmp_path: Path, output_format: str) -> None:
    report = tmp_path / f"audit.{output_format}"
    run = _run(
        workspace,
        "audit",
        ".",
        "--home",
        str(workspace.home),
        "--format",
        output_format,
        "--output",
        str(report),
        out=tmp_path,
        env=workspace.environ,
    )
    assert run.code == 1, run.stderr
    assert str(report) in run.written
    _assert_no_secret(run, workspace)


def _fingerprints(workspace: Workspace, tmp_path: Path) -> list[tuple[str, str]]:
    run = _run(workspace, "scan", ".", "--format", "json", out=tmp_path)
    found = {(f["provider"], f["fingerprint"]) for f in json.loads(run.stdout)["findings"]}
    return sorted(found)


_EXPLAINED = {"private-key", "postgres", "docker"}


def test_baseline_commands(workspace: Workspace, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    created = _run(workspace, "baseline", "create", ".", "--baseline", str(baseline), out=tmp_path)
    assert created.code == 0, created.stderr
    assert str(baseline) in created.written
    _assert_no_secret(created, workspace)
    fingerprint = _fingerprints(workspace, tmp_path)[0][1]
    for args in (
        ("baseline", "update", ".", "--baseline", str(baseline)),
        ("baseline", "audit", "--baseline", str(baseline), "--accept", fingerprint[:12], "--reason", "rotated"),
        ("baseline", "audit", "--baseline", str(baseline), "--unaccept", fingerprint[:12]),
    ):
        run = _run(workspace, *args, out=tmp_path)
        assert run.code == 0, (args, run.stderr)
        _assert_no_secret(run, workspace)
    scanned = _run(workspace, "scan", ".", "--baseline", str(baseline), "--format", "json", out=tmp_path)
    assert scanned.code == 0, scanned.stderr
    _assert_no_secret(scanned, workspace)


def test_baseline_import_of_a_detect_secrets_baseline(workspace: Workspace, tmp_path: Path) -> None:
    foreign = tmp_path / ".secrets.baseline"
    made = subprocess.run(
        [sys.executable, "-m", "detect_secrets", "scan", "--all-files"],
        cwd=workspace.repo,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    foreign.write_text(made.stdout)
    target = tmp_path / "imported.json"
    run = _run(workspace, "baseline", "import", str(foreign), ".", "--baseline", str(target), out=tmp_path)
    assert run.code == 0, run.stderr
    assert str(target) in run.written
    _assert_no_secret(run, workspace)


def test_providers_list_and_explain(workspace: Workspace, tmp_path: Path) -> None:
    for args in (("providers", "list"), ("providers", "list", "--json")):
        run = _run(workspace, *args, out=tmp_path)
        assert run.code == 0, run.stderr
        _assert_no_secret(run, workspace)
    # One credential of each awkward shape: a PEM key, a URI with a password, a Docker login decoded out of
    # base64 (explain re-scans the tree each time, so not all of them).
    chosen = [fingerprint for provider, fingerprint in _fingerprints(workspace, tmp_path) if provider in _EXPLAINED]
    assert len(chosen) == len(_EXPLAINED)
    for fingerprint in chosen:
        run = _run(workspace, "explain", fingerprint, ".", out=tmp_path)
        assert run.code in (0, 1), run.stderr
        assert fingerprint[:12] in run.stdout
        _assert_no_secret(run, workspace)
    unknown = _run(workspace, "explain", "0" * 64, ".", out=tmp_path)
    assert unknown.code == 2
    _assert_no_secret(unknown, workspace)


def test_pre_commit_hook(workspace: Workspace, tmp_path: Path) -> None:
    subprocess.run(["git", "add", "-f", ".env"], cwd=workspace.repo, env={**os.environ, **GIT_ENV}, check=True)
    try:
        staged = _run(workspace, "hook", out=tmp_path)
        named = _run(workspace, "hook", ".env", "config/settings.py", out=tmp_path)
    finally:
        subprocess.run(
            ["git", "rm", "-q", "--cached", ".env"], cwd=workspace.repo, env={**os.environ, **GIT_ENV}, check=True
        )
    for run in (staged, named):
        assert run.code == 1, run.stderr
        _assert_no_secret(run, workspace)


def test_broken_configuration_and_baseline_do_not_echo_secrets(workspace: Workspace, tmp_path: Path) -> None:
    secret = workspace.secrets[1]  # the GitHub token
    broken_yaml = tmp_path / "broken.yaml"
    broken_yaml.write_text(f"fail_on: admin\nignore: [{secret}\n  - : : {secret}\n")
    wrong_value = tmp_path / "wrong.yaml"
    wrong_value.write_text(f"fail_on: {secret}\n")
    wrong_type = tmp_path / "wrong-type.yaml"
    wrong_type.write_text(f"ignore: {secret}\nproviders: {{{secret}: 1}}\n")
    bad_baseline = tmp_path / "bad-baseline.json"
    bad_baseline.write_text(json.dumps({"version": secret, "credentials": {secret: secret}}))
    broken_baseline = tmp_path / "broken-baseline.json"
    broken_baseline.write_text('{"credentials": "' + secret + "\n")
    runs = [
        _run(workspace, "scan", ".", "--config", str(broken_yaml), out=tmp_path),
        _run(workspace, "scan", ".", "--config", str(wrong_value), out=tmp_path),
        _run(workspace, "scan", ".", "--config", str(wrong_type), out=tmp_path),
        _run(workspace, "scan", ".", "--baseline", str(bad_baseline), out=tmp_path),
        _run(workspace, "scan", ".", "--baseline", str(broken_baseline), out=tmp_path),
        _run(workspace, "scan", ".", "--fail-on", "sometimes", out=tmp_path),
    ]
    for run in runs:
        assert run.code == 2, run.stderr
        assert run.stderr.strip(), "an error says what is wrong"
        _assert_no_secret(run, workspace)


_CRASHING_INFERENCE = """
import credscope.api as api
_builtin = api.builtin_inferences
def _crashing():
    inferences = dict(_builtin())
    def boom(subject):
        raise RuntimeError("inference blew up on " + subject.credential.secret)
    inferences["github"] = boom
    return inferences
api.builtin_inferences = _crashing
"""


def test_a_crash_inside_an_inference_shows_no_secret(workspace: Workspace, tmp_path: Path) -> None:
    run = _run(workspace, "scan", ".", "--format", "json", out=tmp_path, code=_CRASHING_INFERENCE)
    assert run.code == 3, run.stderr
    assert run.stderr == "credscope: internal error (RuntimeError); please report it\n"
    assert run.stdout == ""
    _assert_no_secret(run, workspace)


# --- --verify and --probe-log against local fakes --------------------------------------------------------------


def _generic_api(received: Received) -> Reply:
    """Every SaaS endpoint: a token-shaped 401 for one path, a JSON body echoing nothing for the rest."""
    if received.path.endswith("/user"):
        return json_reply(401, b'{"message": "Bad credentials"}')
    return json_reply(200, b'{"ok": true, "data": {}}')


@pytest.fixture
def fakes(fake_server: object) -> Iterator[dict[str, str]]:
    start = fake_server  # type: ignore[assignment]
    server: FakeServer = start(_generic_api)  # type: ignore[operator]
    providers = [p.name.removesuffix(".yaml") for p in (Path(__file__).parent.parent / "providers").glob("*.yaml")]
    yield {endpoint_variable(provider): server.url for provider in providers}


_CRASHING_PROBE = """
import credscope.probes.registry as registry
_load = registry.ProbeRegistry.load
def _load_crashing(self, name):
    probe = _load(self, name)
    if name != "github":
        return probe
    def boom(credential, session):
        raise RuntimeError("probe blew up on " + credential.secret)
    return boom
registry.ProbeRegistry.load = _load_crashing
"""


@pytest.mark.parametrize("crash", [False, True], ids=["probes", "probe-crash"])
def test_verify_and_probe_log(workspace: Workspace, tmp_path: Path, fakes: dict[str, str], crash: bool) -> None:
    log = tmp_path / "probe.jsonl"
    report = tmp_path / "verified.json"
    run = _run(
        workspace,
        "scan",
        ".",
        "--verify",
        "--probe-timeout",
        "3",
        "--probe-log",
        str(log),
        "--format",
        "json",
        "--output",
        str(report),
        out=tmp_path,
        env=fakes,
        code=_CRASHING_PROBE if crash else "",
    )
    assert run.code == 1, run.stderr
    assert str(log) in run.written and str(report) in run.written
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    probed = {"stripe", "slack", "openai", "railway"} | (set() if crash else {"github"})
    assert probed <= {entry["provider"] for entry in entries}
    _assert_no_secret(run, workspace)
    findings = json.loads(report.read_text())["findings"]
    github = [f for f in findings if f["provider"] == "github" and f["rule"] == "github-pat-classic"]
    assert github
    if crash:
        assert github[0]["evidence"][0] == "live check failed: the GitHub probe failed (RuntimeError)"


def test_schema_and_yaml_messages_elide_long_values() -> None:
    # Regression: a configuration or baseline holding a secret where a keyword belongs (`fail_on: ghp_…`), or
    # a YAML syntax error next to one, printed it on stderr: jsonschema quotes the value and PyYAML the line.
    import yaml

    from credscope.errors import schema_problem, yaml_problem

    secret = expand("{{github:ghp}}").text
    assert schema_problem(f"{secret!r} is not one of ['admin']", secret) == (
        "<a value: 40 characters> is not one of ['admin']"
    )
    assert schema_problem("'sometimes' is not one of ['admin']", "sometimes") == "'sometimes' is not one of ['admin']"
    nested = {secret: "x"}
    assert secret not in schema_problem(f"{nested!r} is not of type 'array'", nested)
    with pytest.raises(yaml.YAMLError) as raised:
        yaml.safe_load(f"a: [{secret}\n  - : : {secret}\n")
    assert secret[:24] in str(raised.value)  # what PyYAML would have shown
    assert yaml_problem(raised.value) == "expected ',' or ']', but got ':' at line 2, column 5"
