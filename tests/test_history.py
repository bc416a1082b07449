"""`--history`: secrets committed and later removed or changed are still found, with the commit that
added them; a secret in HEAD and in history is one credential with both reaches."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from typing import Any

import pytest

from credscope.sources import history
from credscope.sources.git import Git, Repository, find_repository

from helpers import Repo, run_cli, token


def _findings(repo: Repo, *options: str) -> dict[str, list[dict[str, object]]]:
    result = run_cli("scan", str(repo.path), "--format", "json", "--show-secrets", "--fail-on", "none", *options)
    assert result.exit_code == 0, result.stderr
    report = result.json()
    grouped: dict[str, list[dict[str, object]]] = {}
    findings = report["findings"]
    assert isinstance(findings, list)
    for finding in findings:
        grouped.setdefault(finding["secret"], []).append(finding)
    return grouped


def _where(findings: list[dict[str, object]]) -> list[tuple[object, ...]]:
    return sorted((f["reach"], f["path"], f["line"], f["commit"]) for f in findings)


def test_removed_railway_and_github_tokens_are_found_only_with_history(repo: Repo) -> None:
    railway, github = token("{{uuid4}}"), token("{{github:ghp}}")
    repo.write("README.md", "rentals\n")
    repo.commit("init")
    repo.write(
        "scripts/fix_domains.sh",
        f"#!/bin/sh\nset -e\nRAILWAY_API_TOKEN={railway}\nGITHUB_TOKEN={github}\ncurl -s https://example.org\n",
    )
    added = repo.commit("fix domains")
    repo.git("rm", "-q", "scripts/fix_domains.sh")
    repo.commit("remove the script")

    assert _findings(repo) == {}

    found = _findings(repo, "--history")
    assert set(found) == {railway, github}
    assert _where(found[railway]) == [("history", "scripts/fix_domains.sh", 3, added)]
    assert _where(found[github]) == [("history", "scripts/fix_domains.sh", 4, added)]
    [railway_finding] = found[railway]
    assert (railway_finding["provider"], railway_finding["kind"]) == ("railway", "account-token")
    assert found[github][0]["provider"] == "github"
    date = railway_finding["author_date"]
    assert isinstance(date, str)
    assert date.startswith(repo.git("log", "-1", "--format=%aI", added).strip()[:19])


def test_a_secret_in_head_and_history_is_one_credential_with_both_reaches(repo: Repo) -> None:
    kept, replaced, replacement = token("{{github:ghp}}"), token("{{github:ghp}}"), token("{{github:ghp}}")
    repo.write("deploy.env", f"GITHUB_TOKEN={kept}\nGH_TOKEN={replaced}\n")
    first = repo.commit("add tokens")
    # Later commits touch the file (new blobs) without changing the first token: still one history sighting.
    repo.write("deploy.env", f"# tokens\nGITHUB_TOKEN={kept}\nGH_TOKEN={replaced}\n")
    repo.commit("comment")
    repo.write("deploy.env", f"# tokens\nGITHUB_TOKEN={kept}\nGH_TOKEN={replacement}\n")
    rotated = repo.commit("rotate GH_TOKEN")

    found = _findings(repo, "--history")
    assert set(found) == {kept, replaced, replacement}
    assert _where(found[kept]) == [("history", "deploy.env", 1, first), ("tracked", "deploy.env", 2, None)]
    assert len({f["fingerprint"] for f in found[kept]}) == 1
    # The value changed since: only history still holds it.
    assert _where(found[replaced]) == [("history", "deploy.env", 2, first)]
    assert _where(found[replacement]) == [("history", "deploy.env", 3, rotated), ("tracked", "deploy.env", 3, None)]


def test_history_reads_every_ref_and_skips_binary_blobs(repo: Repo) -> None:
    on_branch = token("{{github:ghp}}")
    repo.write("README.md", "x\n")
    repo.commit("init")
    repo.git("checkout", "-q", "-b", "experiment")
    repo.write("notes/creds.txt", f"token: {on_branch}\n")
    repo.write("blob.bin", b"\0\1\2" + on_branch.encode())
    branch_commit = repo.commit("experiment")
    repo.git("checkout", "-q", "main")

    result = run_cli("scan", str(repo.path), "--history", "--format", "json", "--show-secrets", "--fail-on", "none")
    report = result.json()
    findings = report["findings"]
    assert isinstance(findings, list)
    assert [(f["secret"], f["reach"], f["path"], f["commit"]) for f in findings] == [
        (on_branch, "history", "notes/creds.txt", branch_commit)
    ]
    stats = report["stats"]
    assert isinstance(stats, dict)
    assert [s for s in stats["skipped"] if s["reason"] == "binary"] == [
        {
            "path": f"blob.bin@{repo.git('rev-parse', 'experiment:blob.bin').strip()[:12]}",
            "reason": "binary",
            "detail": "",
        }
    ]


def test_history_outside_a_repository_is_a_recorded_skip(tmp_path: object) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    (tmp_path / "plain.txt").write_text("nothing\n", encoding="utf-8")
    result = run_cli("scan", str(tmp_path), "--history", "--format", "json", "--fail-on", "none")
    assert result.exit_code == 0, result.stderr
    stats = result.json()["stats"]
    assert isinstance(stats, dict)
    assert [s["reason"] for s in stats["skipped"]] == ["not-a-git-repository"]


def test_blob_sizes_are_asked_while_the_walk_still_lists_objects(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    # `git cat-file --batch-check` sizes each object as `rev-list` names it (no blob can be read before both
    # are done, and on a long history each takes most of a second): the sizes are the same as asked after.
    for number in range(30):
        repo.write(f"src/module_{number}.py", f"VALUE = {number}\n")
        repo.commit(f"add {number}")
    events: list[str] = []
    sizing = threading.Event()
    real_walk, real_sizes = history.walk, history._blob_sizes

    def walk(*args: Any, **kwargs: Any) -> history.History | None:
        found = real_walk(*args, **kwargs)
        sizing.wait(timeout=10)  # given the thread a chance to start; asked only after the walk, it never does
        events.append("walked")
        return found

    def blob_sizes(git: Git, objects: Iterable[str]) -> dict[str, int]:
        def noted() -> Iterator[str]:
            for object_id in objects:
                if not sizing.is_set():
                    events.append("sizing")
                    sizing.set()
                yield object_id

        return real_sizes(git, noted())

    monkeypatch.setattr(history, "walk", walk)
    monkeypatch.setattr(history, "_blob_sizes", blob_sizes)
    found = find_repository(repo.path)
    assert isinstance(found, Repository)
    with Git(found) as git:
        walked, sizes = history._walk_and_size(git, (), frozenset())
        assert walked is not None
        assert events == ["sizing", "walked"]
        assert sizes == real_sizes(git, list(walked.introductions))
    assert len(sizes) == 30  # the modules' blobs (trees are not blobs)


def test_a_failure_to_size_objects_is_raised_not_dropped(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    repo.write("app.py", "VALUE = 1\n")
    repo.commit("init")

    def broken(git: Git, objects: Iterable[str]) -> dict[str, int]:
        raise OSError("git cannot be started")

    monkeypatch.setattr(history, "_blob_sizes", broken)
    found = find_repository(repo.path)
    assert isinstance(found, Repository)
    with Git(found) as git, pytest.raises(OSError, match="cannot be started"):
        history._walk_and_size(git, (), frozenset())
