"""Never "passed" when nothing was read: a target named on the command line is scanned or the run fails with
exit 2 and a one-line reason; `-`, `/dev/stdin` and a pipe such as bash's `<(cat .env)` are read as streams."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from helpers import token


def _scan(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "credscope", "scan", "--format", "json", *args],
        input=stdin,
        capture_output=True,
        timeout=120,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )


def _found(done: subprocess.CompletedProcess[bytes]) -> list[tuple[str, int]]:
    report = json.loads(done.stdout)
    return [(f["path"], f["line"]) for f in report["findings"]]


def test_standard_input_is_read_as_a_stream() -> None:
    env = f"APP=shop\nGITHUB_TOKEN={token('{{github:ghp}}')}\n".encode()
    dash = _scan("-", stdin=env)
    assert (dash.returncode, _found(dash)) == (1, [("stdin", 2)]), dash.stderr
    named = _scan("/dev/stdin", stdin=env)
    assert (named.returncode, _found(named)) == (1, [("/dev/stdin", 2)]), named.stderr


def test_a_named_pipe_is_read_like_process_substitution(tmp_path: Path) -> None:
    # What `credscope scan <(cat .env)` hands over: a pipe under /dev/fd; it was "unreadable" and the run passed.
    pipe = tmp_path / "env-pipe"
    os.mkfifo(pipe)
    secret = token("{{github:ghp}}")

    def write() -> None:
        with pipe.open("w") as handle:
            handle.write(f"GITHUB_TOKEN={secret}\n")

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    done = _scan(str(pipe))
    if writer.is_alive():  # the scan never opened the pipe: release the writer
        with pipe.open("rb") as drain:
            drain.read()
    writer.join(timeout=10)
    assert (done.returncode, _found(done)) == (1, [(str(pipe), 1)]), done.stderr


def test_a_named_file_over_the_size_limit_fails_the_run(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("x" * 100 + f"\nGITHUB_TOKEN={token('{{github:ghp}}')}\n")
    done = _scan("--max-file-size", "64", str(log))
    assert done.returncode == 2
    assert done.stdout == b""
    size = log.stat().st_size
    assert done.stderr.decode().strip() == (
        f"credscope: {log}: {size} bytes, over the size limit of 64: raise --max-file-size to scan it"
    )


def test_a_stream_over_the_size_limit_fails_the_run() -> None:
    done = _scan("--max-file-size", "64", "-", stdin=b"y" * 65)
    assert done.returncode == 2
    assert done.stderr.decode().strip() == (
        "credscope: standard input: more than 64 bytes, over the size limit: raise --max-file-size to scan it"
    )


def test_a_size_limit_below_one_byte_is_refused(tmp_path: Path) -> None:
    done = _scan("--max-file-size", "-5", str(tmp_path))
    assert done.returncode == 2
    assert "--max-file-size" in done.stderr.decode() and done.stdout == b""


def test_a_directory_still_skips_and_counts_what_it_cannot_read(tmp_path: Path) -> None:
    # Inside a named directory the old rule holds: a FIFO or an oversized file is skipped, counted, and named.
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "big.txt").write_text("z" * 100)
    done = _scan("--max-file-size", "64", str(tmp_path))
    assert done.returncode == 0, done.stderr
    skipped = json.loads(done.stdout)["stats"]["skipped"]
    reasons = sorted((s["path"], s["reason"]) for s in skipped)
    assert reasons == [("big.txt", "too-large"), ("pipe", "not-a-regular-file")]
