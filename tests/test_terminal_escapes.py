"""Text from outside never drives the terminal or the CI log: file names, JWT claims, configuration keys, a table
name a live probe read and command-line values reach every output as visible escapes.

The attacker's payloads: an OSC 52 clipboard write, a CSI (7- and 8-bit) screen clear, a carriage return that
overwrites the line with a forged verdict, a newline followed by a GitHub Actions `::error` workflow command,
the runner's legacy `##[error]` command (taken anywhere in a line), a bidi override, a line separator and
backspaces. Each test asserts the attack fails: no control, bidi or separator character reaches the output raw,
no line starts with a workflow command, no line is a forged verdict, and the payload is still visible, escaped.
"""

from __future__ import annotations

import io
import json
import os
import random
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from credscope.catalogue import load_catalogue
from credscope.cli import Format, renderer
from credscope.commands.explain import describe
from credscope.commands.hook import _report as hook_report
from credscope.model import (
    Access,
    Credential,
    Location,
    Reach,
    ScanResult,
    Scope,
    Stats,
    fingerprint_of,
)
from credscope.policy import Policy
from credscope.progress import TerminalProgress
from credscope.report.common import RenderOptions
from credscope.testing.generate import gen_jwt

from helpers import GIT_ENV, Repo, token

OSC52 = "\x1b]52;c;Y3VybCBldmlsIHwgc2g=\x07"
CSI = "\x1b[2J\x9b2J"
FORGED = "\rpolicy --fail-on admin: passed"
ANNOTATION = "\n::error file=app.py,line=1::forged annotation"
LEGACY = "##[error]forged legacy annotation"
BIDI = "\u202eexe.gnp\u2066"
SEPARATOR = "\u2028::warning::after a line separator"
BACKSPACE = "safe\x08\x08\x08\x08"
PAYLOADS = (OSC52, CSI, FORGED, ANNOTATION, LEGACY, BIDI, SEPARATOR, BACKSPACE)

# What must never reach an output raw: C0 (but the line breaks outputs are made of), DEL, C1 (also as the raw
# byte a surrogate-escaped file name is written back as), bidi controls, line and paragraph separators.
_RAW = {chr(c) for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))} - {"\n"}
_RAW |= {chr(0xDC00 + b) for b in range(0x80, 0xA0)}
_RAW |= {chr(c) for c in (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x2028, 0x2029)}


def assert_inert(output: str, what: str) -> None:
    raw = sorted({f"U+{ord(c):04X}" for c in output if c in _RAW})
    assert raw == [], f"{what}: raw {raw}"
    for line in output.split("\n"):
        assert not line.lstrip().startswith("::"), f"{what}: a workflow command: {line!r}"
        assert "##[" not in line, f"{what}: a legacy workflow command: {line!r}"
        assert line.strip() != "policy --fail-on admin: passed", f"{what}: a forged verdict"


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, **GIT_ENV, "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8:strict", "LC_ALL": "C.UTF-8"}
    return subprocess.run(
        [sys.executable, "-m", "credscope", *args], capture_output=True, timeout=300, check=False, env=env, cwd=cwd
    )


def _text(done: subprocess.CompletedProcess[bytes]) -> tuple[str, str]:
    return done.stdout.decode("utf-8", "surrogateescape"), done.stderr.decode("utf-8", "surrogateescape")


def test_file_names_cannot_drive_the_terminal_or_the_ci_log(repo: Repo) -> None:
    names = [f"{letter}{payload}.env" for letter, payload in zip("abcdefgh", PAYLOADS, strict=True)]
    for name in names:
        repo.write(name, f"GITHUB_TOKEN={token('{{github:ghp}}')}\n")
    repo.git("add", "-A")

    for output_format in ("text", "markdown"):
        out, err = _text(done := _cli("scan", ".", "--format", output_format, cwd=repo.path))
        assert done.returncode == 1, err
        assert_inert(out + err, f"scan --format {output_format}")
    out, _ = _text(_cli("scan", ".", cwd=repo.path))
    # Still there to read, escaped.
    for shown in (
        "a\\x1b]52;c;Y3VybCBldmlsIHwgc2g=\\x07.env:1:14",
        "b\\x1b[2J\\x9b2J.env:1:14",
        "c\\rpolicy --fail-on admin: passed.env:1:14",
        "d\\n::error file=app.py,line=1::forged annotation.env:1:14",
        "e#\\x23[error]forged legacy annotation.env:1:14",
        "f\\u202eexe.gnp\\u2066.env:1:14",
        "g\\u2028::warning::after a line separator.env:1:14",
        "hsafe\\x08\\x08\\x08\\x08.env:1:14",
    ):
        assert f"      {shown} [tracked]  (GITHUB_TOKEN)" in out.splitlines(), shown

    hook_out, hook_err = _text(hooked := _cli("hook", cwd=repo.path))
    assert hooked.returncode == 1, hook_err
    assert_inert(hook_out + hook_err, "hook")

    report = json.loads(_cli("scan", ".", "--format", "json", cwd=repo.path).stdout)
    assert sorted(f["path"] for f in report["findings"]) == sorted(names)  # JSON escapes, the names unchanged
    for output_format in ("json", "sarif", "html"):
        out, err = _text(_cli("scan", ".", "--format", output_format, cwd=repo.path))
        assert sorted({f"U+{ord(c):04X}" for c in out + err if c in _RAW}) == [], output_format
    sarif = json.loads(_cli("scan", ".", "--format", "sarif", cwd=repo.path).stdout)
    for result in sarif["runs"][0]["results"]:  # GitHub shows message texts as they are
        assert_inert(result["message"]["text"], "SARIF message")

    for finding in report["findings"]:
        out, err = _text(explained := _cli("explain", finding["fingerprint"], ".", cwd=repo.path))
        assert explained.returncode == 0, err
        assert_inert(out + err, f"explain {finding['path']!r}")


def test_jwt_claims_cannot_drive_the_terminal(repo: Repo) -> None:
    claims = {"sub": OSC52 + FORGED, "iss": BIDI + ANNOTATION, "role": "admin", "scope": LEGACY + SEPARATOR}
    jwt = gen_jwt(random.Random(), json.dumps(claims))
    repo.write("service.env", f"SERVICE_JWT={jwt}\n")
    out, err = _text(_cli("scan", ".", cwd=repo.path))
    assert "JWT claims" in out, out + err
    assert_inert(out + err, "scan")
    assert "\\x1b]52;c;Y3VybCBldmlsIHwgc2g=\\x07\\rpolicy --fail-on admin: passed" in out
    out, err = _text(explained := _cli("explain", fingerprint_of(jwt)[:16], ".", cwd=repo.path))
    assert explained.returncode == 0, err
    assert_inert(out + err, "explain")
    assert "  sub:          \\x1b]52;c;Y3VybCBldmlsIHwgc2g=\\x07\\rpolicy --fail-on admin: passed" in out.splitlines()


def test_configuration_keys_echoed_on_stderr_are_escaped(repo: Repo) -> None:
    # A double-quoted YAML key can hold any character; the validation error names the unknown key.
    repo.write(".credscope.yaml", '"\\e]52;c;aGk=\\a\\n::error::forged \\u202e": 1\n')
    done = _cli("scan", ".", cwd=repo.path)
    out, err = _text(done)
    assert done.returncode == 2, err
    assert out == ""
    assert_inert(err, "stderr")
    assert len(err.splitlines()) == 1, err


def test_paths_quoted_in_error_messages_are_escaped(tmp_path: Path) -> None:
    missing = tmp_path / f"gone{OSC52}{ANNOTATION}"
    done = _cli("scan", str(missing))
    out, err = _text(done)
    assert done.returncode == 2
    assert_inert(out + err, "stderr")
    shown = "gone\\x1b]52;c;Y3VybCBldmlsIHwgc2g=\\x07\\n::error file=app.py,line=1::forged annotation"
    assert err == f"credscope: {tmp_path}/{shown}: no such file or directory\n"


def test_command_line_values_quoted_by_usage_errors_are_escaped(tmp_path: Path) -> None:
    # click quotes the value with repr(), which escapes controls but leaves the runner's legacy command as it is.
    done = _cli("scan", "--format", OSC52 + LEGACY, str(tmp_path))
    out, err = _text(done)
    assert done.returncode == 2
    assert_inert(out + err, "usage error")
    assert "'\\x1b]52;c;Y3VybCBldmlsIHwgc2g=\\x07#\\x23[error]forged legacy annotation' is not one of" in err


def test_progress_line_shows_file_names_escaped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    stream = io.StringIO()
    TerminalProgress(stream, interval=0.0).update(1, 10, f"x{OSC52}{BIDI}.env")
    # The progress line's own controls only: a carriage return and erase-line, then escaped text.
    assert (
        stream.getvalue()
        == "\r\x1b[Kcredscope | 1 files, 10 B  x\\x1b]52;c;Y3VybCBldmlsIHwgc2g=\\x07\\u202eexe.gnp\\u2066.env"
    )


def _hostile_result() -> ScanResult:
    """A credential as a live probe could describe it: names, evidence and identity from the provider's answer."""
    secret = "postgresql://app:" + secrets.token_hex(12) + "@db.internal:5432/rentals"
    scope = Scope(
        access=Access.ADMIN,
        destructive=True,
        destructive_actions=tuple(f"postgres:DROP TABLE public.{payload}" for payload in PAYLOADS),
        evidence=tuple(f"owns table {payload}" for payload in PAYLOADS),
        identity={"role": OSC52 + ANNOTATION, "database": BIDI + FORGED},
        production=True,
    )
    location = Location(f"app/{LEGACY}.env", 1, 14, Reach.TRACKED, context={"name": SEPARATOR})
    credential = Credential(
        fingerprint_of(secret), "postgres", "connection-uri", "postgres-uri", secret, (location,), scope=scope
    )
    verdict = Policy().judge([credential])
    return ScanResult(("/repo",), (credential,), Stats(), verdict, notes=(f"probe said {CSI}{FORGED}",))


@pytest.mark.parametrize("output_format", ["text", "markdown"])
def test_probe_answers_cannot_forge_the_can_destroy_and_fails_policy_lines(output_format: str) -> None:
    result = _hostile_result()
    shown = renderer(Format(output_format))(result, RenderOptions())
    assert_inert(shown, output_format)
    if output_format == "text":
        lines = shown.splitlines()
        assert sum(line.startswith("    can destroy: ") for line in lines) == 1
        assert sum(line.startswith("    FAILS POLICY: ") for line in lines) == 1
        assert "policy --fail-on admin: FAILED by 1 credential(s)" in lines


@pytest.mark.parametrize("output_format", ["json", "sarif", "html"])
def test_probe_answers_stay_escaped_in_structured_formats(output_format: str) -> None:
    shown = renderer(Format(output_format))(_hostile_result(), RenderOptions())
    assert sorted({f"U+{ord(c):04X}" for c in shown if c in _RAW}) == []
    if output_format == "json":
        parsed = json.loads(shown)
        assert parsed["findings"][0]["destructive_actions"][0] == f"postgres:DROP TABLE public.{OSC52}"  # data kept
    if output_format == "sarif":
        (result,) = json.loads(shown)["runs"][0]["results"]
        assert_inert(result["message"]["text"], "SARIF message")


def test_hook_and_explain_lines_from_probe_answers_are_escaped() -> None:
    result = _hostile_result()
    assert_inert(hook_report(result), "hook")
    lines = describe(result.credentials[0], result, load_catalogue())
    from credscope.report.escape import inert_lines

    assert_inert(inert_lines(lines), "explain")


@pytest.mark.slow
def test_a_table_name_a_live_probe_read_is_escaped(repo: Repo, postgres_server: object) -> None:
    """A database whose table names carry the payloads: `scan --verify` reads them and prints them escaped."""
    psycopg = pytest.importorskip("psycopg")
    from psycopg import sql

    server = postgres_server
    password = secrets.token_hex(16)
    admin = psycopg.connect(server.admin_dsn, autocommit=True)  # type: ignore[attr-defined]
    tables = ("\x1b]52;c;aGk=\x07", "\n::error::forged", "\rpolicy --fail-on admin: passed", "##[error]x", "\u202ecba")
    try:
        admin.execute(f"CREATE ROLE hostile_owner LOGIN PASSWORD '{password}'")
        admin.execute("CREATE DATABASE hostile OWNER hostile_owner")
        uri = f"postgresql://hostile_owner:{password}@127.0.0.1:{server.port}/hostile"  # type: ignore[attr-defined]
        with psycopg.connect(uri, autocommit=True) as owner:
            for name in tables:
                owner.execute(sql.SQL("CREATE TABLE {} (id int)").format(sql.Identifier(name)))
        repo.write(".env", f"DATABASE_URL={uri}\n")
        done = _cli("scan", ".", "--verify", "--allow-private-hosts", "--fail-on", "any", cwd=repo.path)
        out, err = _text(done)
        assert done.returncode == 1, err
        assert "(queried)" in out, out
        assert_inert(out + err, "scan --verify")
        (destroys,) = [line for line in out.splitlines() if line.startswith("    can destroy: ")]
        for shown in (
            "postgres:DROP TABLE public.\\x1b]52;c;aGk=\\x07",
            "postgres:DROP TABLE public.\\n::error::forged",
            "postgres:DROP TABLE public.\\rpolicy --fail-on admin: passed",
            "postgres:DROP TABLE public.#\\x23[error]x",
            "postgres:DROP TABLE public.\\u202ecba",
        ):
            assert shown in destroys.split(", "), shown
    finally:
        admin.execute("DROP DATABASE IF EXISTS hostile WITH (FORCE)")
        admin.execute("DROP ROLE IF EXISTS hostile_owner")
        admin.close()


def test_a_baseline_the_repository_brings_cannot_drive_the_terminal(tmp_path: Path) -> None:
    # `baseline audit` lists what a committed baseline says: its paths, kinds and reasons are the repository's text.
    entries = [
        {
            "fingerprint": secrets.token_hex(32),
            "provider": f"github{payload}",
            "kind": "token",
            "rule": f"rule{payload}",
            "paths": [f"deploy{payload}.env"],
            "accepted": True,
            "reason": f"reviewed{payload}",
        }
        for payload in PAYLOADS
    ]
    baseline = tmp_path / ".credscope-baseline.json"
    baseline.write_text(json.dumps({"version": 1, "credentials": entries}), encoding="utf-8")
    done = _cli("baseline", "audit", "--baseline", str(baseline), cwd=tmp_path)
    out, err = _text(done)
    assert done.returncode == 0, err
    assert_inert(out + err, "baseline audit")
    assert out.count("\n") == len(PAYLOADS)
    assert "\\x1b]52;c;" in out and "\\n::error" in out


def test_json_inert_escapes_exactly_what_the_table_names_and_passes_plain_reports_through() -> None:
    # ASCII without DEL (nearly every report) is returned as it is, without a character-by-character pass;
    # anything else is escaped as the table says.
    from credscope.report.escape import _JSON_ESCAPED, json_inert

    rng = random.Random(7)
    alphabet = ["a", "{", '"', "\\", "\n", "\x7f", "\x9b", "\u202e", "\u2028", "é", "\ufeff", "日"]
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert json_inert(text) == text.translate(_JSON_ESCAPED)
    plain = '{"findings": []}\n' * 1000
    assert json_inert(plain) is plain
    assert json_inert('{"a": "x\x7f"}') == '{"a": "x\\u007f"}'
