"""Never "passed" when nothing was read: a target named on the command line is scanned or the run fails with
exit 2 and a one-line reason; `-`, `/dev/stdin` and a pipe such as bash's `<(cat .env)` are read as streams.
A file or stream over the size limit is read in windows (tests/test_large_files.py), not refused."""

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


def _windowed(path: str, size: int) -> str:
    return f"1 file over the size limit was read in windows of 8 MiB and judged line by line: {path} ({size} bytes)"


def test_a_named_file_over_the_size_limit_is_read_in_windows(tmp_path: Path) -> None:
    # It exited 2 ("raise --max-file-size to scan it"): the file is read after all, and the report says how.
    log = tmp_path / "app.log"
    log.write_text("x" * 100 + f"\nGITHUB_TOKEN={token('{{github:ghp}}')}\n")
    done = _scan("--max-file-size", "64", str(log))
    assert (done.returncode, _found(done)) == (1, [("app.log", 2)]), done.stderr
    report = json.loads(done.stdout)
    assert report["notes"] == [_windowed("app.log", log.stat().st_size)]
    assert (report["stats"]["files_scanned"], report["stats"]["skipped"]) == (1, [])


def test_a_stream_over_the_size_limit_is_read_in_windows() -> None:
    padding = b"y" * 40 + b"\n"
    env = padding * 500 + f"GITHUB_TOKEN={token('{{github:ghp}}')}\n".encode() + padding * 3
    done = _scan("--max-file-size", "64", "-", stdin=env)
    assert (done.returncode, _found(done)) == (1, [("stdin", 501)]), done.stderr
    report = json.loads(done.stdout)
    assert report["notes"] == [_windowed("stdin", len(env))]
    assert report["stats"]["bytes_scanned"] == len(env)


def test_a_binary_stream_over_the_size_limit_is_skipped_as_binary() -> None:
    done = _scan("--max-file-size", "64", "-", stdin=b"\0" * 100_000)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["stats"]["skipped"] == [{"path": "stdin", "reason": "binary", "detail": ""}]


def test_a_size_limit_below_one_byte_is_refused(tmp_path: Path) -> None:
    done = _scan("--max-file-size", "-5", str(tmp_path))
    assert done.returncode == 2
    assert "--max-file-size" in done.stderr.decode() and done.stdout == b""


def test_a_directory_still_skips_and_counts_what_it_cannot_read(tmp_path: Path) -> None:
    # Inside a named directory the old rule holds: a FIFO is skipped, counted, and named; an oversized file is read
    # in windows and named in a note.
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "big.txt").write_text("z" * 100)
    done = _scan("--max-file-size", "64", str(tmp_path))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    reasons = sorted((s["path"], s["reason"]) for s in report["stats"]["skipped"])
    assert reasons == [("pipe", "not-a-regular-file")]
    assert report["notes"] == [_windowed("big.txt", 100)]
