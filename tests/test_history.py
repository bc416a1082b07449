"""`--history`: secrets committed and later removed or changed are still found, with the commit that
added them; a secret in HEAD and in history is one credential with both reaches."""

from __future__ import annotations

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
