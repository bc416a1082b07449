"""Progress: a status line on a terminal's stderr; nothing when piped, in CI, or with TERM=dumb."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys

from credscope.progress import TerminalProgress, progress_for

from helpers import Repo, token


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_for_only_on_an_interactive_terminal() -> None:
    assert isinstance(progress_for(_Tty(), {}), TerminalProgress)
    assert progress_for(_Tty(), {"CI": "true"}) is None
    assert progress_for(_Tty(), {"TERM": "dumb"}) is None
    assert progress_for(io.StringIO(), {}) is None


def test_terminal_progress_throttles_and_clears() -> None:
    now = [0.0]
    stream = _Tty()
    progress = TerminalProgress(stream, interval=0.1, clock=lambda: now[0])
    progress.update(1, 2048, "src/app.py")
    progress.update(2, 4096, "src/other.py")  # within the interval: not drawn
    now[0] = 0.5
    progress.update(3, 3 * 1024 * 1024, "config/settings.yaml")
    progress.finish()
    assert stream.getvalue() == (
        "\r\x1b[Kcredscope | 1 files, 2.0 KB  src/app.py"
        "\r\x1b[Kcredscope / 3 files, 3.0 MB  config/settings.yaml"
        "\r\x1b[K"
    )


def _scan_with_stderr_on_a_terminal(repo: Repo, extra_env: dict[str, str]) -> tuple[int, bytes]:
    controller, terminal = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "TERM")}
    process = subprocess.run(
        [sys.executable, "-m", "credscope", "scan", ".", "--fail-on", "none"],
        cwd=repo.path,
        stdout=subprocess.DEVNULL,
        stderr=terminal,
        env={**env, "TERM": "xterm", **extra_env},
        timeout=300,
        check=False,
    )
    os.close(terminal)
    output = b""
    try:
        while chunk := os.read(controller, 65536):
            output += chunk
    except OSError:  # EIO once the terminal side is closed and drained
        pass
    os.close(controller)
    return process.returncode, output


def test_progress_on_a_terminal_and_silent_otherwise(repo: Repo) -> None:
    for number in range(30):
        repo.write(f"src/module_{number:02}.py", f"VALUE = {number}\n")
    repo.write("src/settings.py", f'GITHUB_TOKEN = "{token("{{github:ghp}}")}"\n')
    code, shown = _scan_with_stderr_on_a_terminal(repo, {})
    assert code == 0
    assert shown.startswith(b"\r\x1b[Kcredscope | 1 files, ")
    assert shown.endswith(b"\r\x1b[K")  # the line is cleared before the report
    code, in_ci = _scan_with_stderr_on_a_terminal(repo, {"CI": "true"})
    assert (code, in_ci) == (0, b"")
    piped = subprocess.run(
        [sys.executable, "-m", "credscope", "scan", ".", "--fail-on", "none"],
        cwd=repo.path,
        capture_output=True,
        env={k: v for k, v in os.environ.items() if k != "CI"},
        timeout=300,
        check=False,
    )
    assert (piped.returncode, piped.stderr) == (0, b"")
