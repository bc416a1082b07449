"""Ctrl-C: the whole process group gets SIGINT, as from a terminal, while the detector's worker processes run.
The run says "interrupted" on one line and exits 130: no traceback from the main process or from a worker, and
no process of the group is left behind."""

from __future__ import annotations

import os
import random
import signal
import string
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from helpers import Repo

_FILES, _LINES = 3000, 150  # ~30 MB: several seconds of detection on two workers, started after 0.2 s


def _generate(root: Path, seed: int) -> None:
    """Python-looking files of random assignments: every line passes the prefilter's keywords, none is a secret."""
    rng = random.Random(seed)
    alphabet = string.ascii_letters + string.digits
    for index in range(_FILES):
        directory = root / f"pkg{index // 100}"
        directory.mkdir(exist_ok=True)
        lines = [f"setting_{n} = '{''.join(rng.choices(alphabet, k=40))}'  # api key token\n" for n in range(_LINES)]
        (directory / f"module{index}.py").write_text("".join(lines))


def _descendants(pid: int) -> list[tuple[int, str]]:
    """Every process below `pid`, with its command line."""
    found: list[tuple[int, str]] = []
    stack = [pid]
    while stack:
        parent = stack.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                children = Path(f"/proc/{parent}/task/{task}/children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                try:
                    command = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()
                except OSError:
                    continue
                found.append((child, command))
                stack.append(child)
    return found


def _workers(processes: list[tuple[int, str]]) -> int:
    """How many of the detector's worker processes run: forks of credscope, or children of a forkserver."""
    return sum(1 for _, command in processes if "credscope" in command or "multiprocessing" in command)


def _interrupt(
    cwd: Path, args: list[str], ready: Callable[[list[tuple[int, str]]], bool]
) -> tuple[subprocess.CompletedProcess[str], int]:
    """The run, interrupted once its processes are `ready`; and its process group."""
    process = subprocess.Popen(
        [sys.executable, "-m", "credscope", "scan", ".", "--fail-on", "none", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "CREDSCOPE_JOBS": "2"},
        start_new_session=True,  # its own process group, as a terminal's foreground job
        # pytest may itself run where SIGINT is ignored (a background job), and that would be inherited
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509 - no threads here
    )
    try:
        deadline = time.monotonic() + 120
        while not ready(_descendants(process.pid)):
            assert process.poll() is None, f"the scan ended before it could be interrupted: {process.communicate()}"
            assert time.monotonic() < deadline, "the processes to interrupt never started"
            time.sleep(0.02)
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole foreground group
        stdout, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr), process.pid


def _group_gone(group: int) -> bool:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads the process tree from /proc")
def test_ctrl_c_during_a_parallel_tree_scan(tmp_path: Path) -> None:
    _generate(tmp_path, seed=19)
    result, group = _interrupt(tmp_path, [], lambda processes: _workers(processes) >= 2)
    assert (result.returncode, result.stdout, result.stderr) == (130, "", "credscope: interrupted\n")
    assert _group_gone(group), "a worker outlived the interrupted run"


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads the process tree from /proc")
def test_ctrl_c_during_a_parallel_history_scan(repo: Repo) -> None:
    # Interrupted while the history is read: the workers detect and git (cat-file --batch, fed from a thread)
    # streams blobs; git gets the signal with the rest of the group.
    _generate(repo.path, seed=20)
    repo.commit("a large tree")

    def reading_history(processes: list[tuple[int, str]]) -> bool:
        return _workers(processes) >= 2 and any(
            command.startswith("git ") and "cat-file" in command for _, command in processes
        )

    result, group = _interrupt(repo.path, ["--history"], reading_history)
    assert (result.returncode, result.stdout, result.stderr) == (130, "", "credscope: interrupted\n")
    assert _group_gone(group), "a worker, the forkserver or git outlived the interrupted run"
