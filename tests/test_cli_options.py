"""Options people bring from gitleaks, TruffleHog and detect-secrets: --version/-V, -q/--quiet, --verbose,
--no-color (and NO_COLOR), --jobs, --redact; audit's --exclude/--baseline/--max-file-size/--verify; the hook's
--format; help that fits 80 columns without cutting an option name."""

from __future__ import annotations

import importlib.metadata
import json
import os
import pty
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

from credscope.cli import app
from credscope.model import fingerprint_of, redact

from helpers import Repo, run_cli, token

StartServer = Callable[..., object]


@pytest.fixture
def planted(repo: Repo) -> tuple[Repo, str]:
    secret = token("{{github:ghp}}")
    repo.write("deploy.sh", f"export GITHUB_TOKEN={secret}\n")
    return repo, secret


def _commands() -> Iterator[tuple[str, ...]]:
    """Every command's words (`scan`, `baseline create`, ...), from the real command tree."""

    def walk(command: Any, words: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
        if hasattr(command, "commands"):  # a group (typer vendors its own click)
            for name, sub in sorted(command.commands.items()):
                yield from walk(sub, (*words, name))
        else:
            yield words

    yield from walk(typer.main.get_command(app), ())


def _option_names(words: tuple[str, ...]) -> list[str]:
    command: Any = typer.main.get_command(app)
    for word in words:
        command = command.commands[word]
    return [name for param in command.params for name in (*param.opts, *param.secondary_opts) if name.startswith("-")]


# --- --version ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_comes_from_the_package_metadata(flag: str) -> None:
    result = run_cli(flag)
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        f"credscope {importlib.metadata.version('credscope')}\n",
        "",
    )


# --- help ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("words", list(_commands()), ids=" ".join)
def test_help_at_80_columns_names_every_option_whole(words: tuple[str, ...]) -> None:
    result = run_cli(*words, "--help", env={"COLUMNS": "80", "TERMINAL_WIDTH": "80"})
    assert result.exit_code == 0, result.stderr
    assert [line for line in result.stdout.splitlines() if len(line) > 80] == []
    shown = set(re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", result.stdout))
    assert [name for name in _option_names(words) if name not in shown] == []
    assert "…" not in result.stdout


# --- --redact / --show-secrets ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "shown"),
    [((), False), (("--redact",), False), (("--show-secrets", "--redact"), False), (("--show-secrets",), True)],
)
def test_redact_is_the_default_spelled_out(planted: tuple[Repo, str], flags: tuple[str, ...], shown: bool) -> None:
    repo, secret = planted
    result = run_cli("scan", ".", "--format", "json", *flags, cwd=repo.path)
    assert result.exit_code == 1, result.stderr
    [finding] = result.json()["findings"]  # type: ignore[misc]
    assert (finding["preview"], finding.get("secret")) == (redact(secret), secret if shown else None)
    assert (secret in result.stdout) is shown


# --- -q / --quiet and --verbose ----------------------------------------------------------------------------------


def test_quiet_prints_nothing_when_the_run_passes(planted: tuple[Repo, str]) -> None:
    repo, _ = planted
    assert run_cli("scan", ".", "-q", "--fail-on", "none", cwd=repo.path) == run_cli(
        "scan", ".", "--quiet", "--fail-on", "none", cwd=repo.path
    )
    result = run_cli("scan", ".", "-q", "--fail-on", "none", cwd=repo.path)
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


def test_quiet_prints_the_report_when_the_run_fails(planted: tuple[Repo, str]) -> None:
    repo, secret = planted
    quiet = run_cli("scan", ".", "-q", "--format", "json", cwd=repo.path)
    assert (quiet.exit_code, quiet.stderr) == (1, "")
    [finding] = quiet.json()["findings"]  # type: ignore[misc]
    assert (finding["provider"], finding["path"], finding["line"]) == ("github", "deploy.sh", 1)
    assert finding["fingerprint"] == fingerprint_of(secret)


def test_quiet_still_writes_the_output_file(planted: tuple[Repo, str], tmp_path: Path) -> None:
    repo, _ = planted
    target = tmp_path / "report.json"
    result = run_cli("scan", ".", "-q", "--fail-on", "none", "--format", "json", "-o", str(target), cwd=repo.path)
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert [f["path"] for f in json.loads(target.read_text())["findings"]] == ["deploy.sh"]


def _on_a_terminal(args: list[str], cwd: Path) -> tuple[int, bytes]:
    """Run with stderr on a pseudo-terminal (as in an interactive shell); what the terminal received."""
    leader, follower = pty.openpty()
    environment = {k: v for k, v in os.environ.items() if k not in ("CI", "NO_COLOR")}
    process = subprocess.Popen(
        [sys.executable, "-m", "credscope", *args],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=follower,
        env={**environment, "TERM": "xterm-256color", "FORCE_COLOR": "1"},
    )
    os.close(follower)
    received = bytearray()
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the other side closed
            break
        if not chunk:
            break
        received += chunk
    os.close(leader)
    return process.wait(timeout=300), bytes(received)


def _many_files(root: Path) -> None:
    for index in range(400):
        (root / f"f{index}.txt").write_text("nothing to see here\n" * 50)


def test_quiet_draws_no_progress_line_on_a_terminal(repo: Repo) -> None:
    _many_files(repo.path)
    code, shown = _on_a_terminal(["scan", ".", "--fail-on", "none"], repo.path)
    assert (code, b"\r\x1b[K" in shown) == (0, True)  # the progress line is drawn, then erased
    assert _on_a_terminal(["scan", ".", "--fail-on", "none", "-q"], repo.path) == (0, b"")


def test_verbose_lists_every_file_not_read_and_why(repo: Repo, tmp_path: Path) -> None:
    repo.write("image.bin", b"\x89PNG\0\0\0")
    repo.write("node_modules/lib/index.js", "module.exports = 1\n")
    repo.write(".credscope.yaml", "fail_on: any\n")
    (tmp_path / "outside.txt").write_text("elsewhere\n")
    (repo.path / "link.txt").symlink_to(tmp_path / "outside.txt")
    result = run_cli("scan", ".", "--verbose", cwd=repo.path)
    # .credscope.yaml and .git/config are read
    assert (result.exit_code, result.stdout.splitlines()[-1].startswith("scanned 2 file(s)")) == (0, True)
    assert result.stderr.splitlines() == [
        "credscope: configuration: .credscope.yaml",
        "credscope: not read: image.bin (binary)",
        "credscope: not read: link.txt (symlink-outside-tree)",
        "credscope: not read: node_modules/ (excluded-directory)",
    ]


def test_quiet_and_verbose_contradict_each_other(tmp_path: Path) -> None:
    result = run_cli("scan", str(tmp_path), "-q", "--verbose")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "credscope: --quiet and --verbose contradict each other\n"


# --- --no-color / NO_COLOR -----------------------------------------------------------------------------------------


_SGR = re.compile(rb"\x1b\[[0-9;]*m")  # a colour or text attribute


@pytest.mark.parametrize("switch", [("--no-color",), ()], ids=["--no-color", "NO_COLOR"])
def test_no_colour_anywhere(planted: tuple[Repo, str], switch: tuple[str, ...]) -> None:
    repo, _ = planted
    environment = {"FORCE_COLOR": "1", "TERM": "xterm-256color", "NO_COLOR": "" if switch else "1"}
    for args in (["scan", ".", *switch], ["audit", ".", "--no-history", "--no-env", *switch], ["scan", "--help"]):
        result = run_cli(*args, cwd=repo.path, env={**environment, "HOME": str(repo.path)})
        assert result.exit_code in (0, 1), result.stderr
        assert _SGR.findall(result.stdout.encode() + result.stderr.encode()) == []


def test_help_is_not_coloured_even_when_colour_is_forced() -> None:
    result = run_cli("--help", env={"FORCE_COLOR": "1", "TERM": "xterm-256color", "NO_COLOR": ""})
    assert (result.exit_code, _SGR.findall(result.stdout.encode())) == (0, [])


# --- --jobs ---------------------------------------------------------------------------------------------------


_POOL_PROBE = """\
import sys
from credscope.cli import main
sys.argv = ["credscope", *sys.argv[1:]]
try:
    main()
except SystemExit as done:
    sys.stderr.write(f"pool={'concurrent.futures.process' in sys.modules} exit={done.code}\\n")
"""


def _pool_used(root: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _POOL_PROBE, "scan", str(root), "--fail-on", "none", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={k: v for k, v in os.environ.items() if k != "CREDSCOPE_JOBS"},
    )
    return done.stderr.splitlines()[-1]


def test_jobs_sets_the_detectors_worker_processes(tmp_path: Path) -> None:
    for index in range(2100):  # past the size at which a scan goes parallel
        (tmp_path / f"f{index}.py").write_text(f"value_{index} = 'api key token'\n")
    assert _pool_used(tmp_path, "--jobs", "1") == "pool=False exit=0"
    assert _pool_used(tmp_path, "--jobs", "2") == "pool=True exit=0"


def test_jobs_must_be_at_least_one(tmp_path: Path) -> None:
    result = run_cli("scan", str(tmp_path), "--jobs", "0")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.splitlines()[-1] == "Error: Invalid value for '--jobs': 0 is not in the range x>=1."


# --- audit: --exclude, --baseline, --max-file-size, --verify --------------------------------------------------


def _audit(repo: Repo, *args: str, env: dict[str, str] | None = None) -> list[tuple[str, str, int, str]]:
    home = repo.path.parent / "home"
    home.mkdir(exist_ok=True)
    result = run_cli("audit", ".", "--home", str(home), "--no-env", "--format", "json", *args, cwd=repo.path, env=env)
    assert result.exit_code in (0, 1), result.stderr
    return [(f["reach"], f["path"], f["line"], f["scope_source"]) for f in result.json()["findings"]]  # type: ignore[union-attr]


def test_audit_excludes_patterns(planted: tuple[Repo, str]) -> None:
    repo, _ = planted
    repo.write("docs/setup.md", f"GITHUB_TOKEN={token('{{github:ghp}}')}\n")
    assert _audit(repo, "--no-history") == [
        ("untracked", "deploy.sh", 1, "inferred"),
        ("untracked", "docs/setup.md", 1, "inferred"),
    ]
    assert _audit(repo, "--no-history", "--exclude", "docs") == [("untracked", "deploy.sh", 1, "inferred")]


def test_audit_reads_a_baseline(planted: tuple[Repo, str], tmp_path: Path) -> None:
    repo, _ = planted
    baseline = tmp_path / "baseline.json"
    assert run_cli("baseline", "create", ".", "--baseline", str(baseline), cwd=repo.path).exit_code == 0
    repo.write("later.sh", f"TOKEN={token('{{github:ghp}}')}\n")
    assert _audit(repo, "--no-history", "--baseline", str(baseline)) == [("untracked", "later.sh", 1, "inferred")]


def test_audit_takes_a_file_size_limit(planted: tuple[Repo, str]) -> None:
    repo, _ = planted
    home = repo.path.parent / "home"
    home.mkdir()
    args = ("audit", ".", "--home", str(home), "--no-env", "--no-history", "--format", "json")
    result = run_cli(*args, "--max-file-size", "100", cwd=repo.path)
    assert result.exit_code == 1, result.stderr
    settings = [s for s in result.json()["configuration"]["suppressions"] if s["kind"] == "setting"]  # type: ignore[index]
    assert [(s["subject"], s["detail"], s["source"]) for s in settings] == [
        ("--max-file-size", "100 bytes (default 20971520)", "command line")
    ]


def test_audit_verifies_through_the_read_only_client(planted: tuple[Repo, str], fake_server: StartServer) -> None:
    from servers.http import Received, json_reply

    def github(request: Received) -> tuple[int, dict[str, str], bytes]:
        status, headers, body = json_reply(200, b'{"login": "octo"}', **{"X-OAuth-Scopes": "read:user"})
        return status, dict(headers), body

    server = fake_server(github)
    repo, _ = planted
    found = _audit(
        repo,
        "--no-history",
        "--verify",
        "--probe-timeout",
        "5",
        env={"CREDSCOPE_GITHUB_ENDPOINT": server.url},  # type: ignore[attr-defined]
    )
    assert found == [("untracked", "deploy.sh", 1, "queried")]
    assert [(r.method, r.path) for r in server.requests] == [("GET", "/user")]  # type: ignore[attr-defined]


# --- hook --format -------------------------------------------------------------------------------------------------


def test_the_hook_writes_any_format(planted: tuple[Repo, str]) -> None:
    repo, secret = planted
    repo.git("add", "deploy.sh")
    result = run_cli("hook", "--format", "json", cwd=repo.path)
    assert result.exit_code == 1, result.stderr
    report = result.json()
    assert [(f["provider"], f["path"], f["line"], f["reach"]) for f in report["findings"]] == [  # type: ignore[index]
        ("github", "deploy.sh", 1, "tracked")
    ]
    assert report["verdict"]["fail_on"] == "any"  # type: ignore[index]
    assert secret not in result.stdout
    sarif = run_cli("hook", "--format", "sarif", cwd=repo.path)
    assert sarif.exit_code == 1
    assert [r["ruleId"] for r in json.loads(sarif.stdout)["runs"][0]["results"]] == ["github-pat-classic"]
    text = run_cli("hook", cwd=repo.path)
    assert text.stdout.startswith("credscope: ")  # the hook's own compact lines stay the default
