"""--exclude and the configuration's `exclude` take gitignore-style patterns (`*.mdx`, `**/*.mdx`, `apps/docs/**`,
`!keep.md`), in every source that reads the tree (scan, history, the hook), and every report says what each
pattern left out: how many files, and which (the first few)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import Repo, run_cli, token

LAYOUT = (
    "README.mdx",
    "apps/docs/guide.mdx",
    "apps/docs/api/reference.md",
    "apps/docs/keep.md",
    "apps/web/page.mdx",
    "apps/web/server.py",
    "deploy.sh",
)


@pytest.fixture
def tree(repo: Repo) -> Repo:
    for path in LAYOUT:
        repo.write(path, f"GITHUB_TOKEN={token('{{github:ghp}}')}\n")
    return repo


def _scan(repo: Repo, *args: str) -> tuple[list[str], list[tuple[str, int | None, list[str], str]]]:
    """The paths with findings, and the exclude suppressions: (pattern, count, paths, message)."""
    result = run_cli("scan", ".", "--format", "json", "--fail-on", "none", *args, cwd=repo.path)
    assert result.exit_code == 0, result.stderr
    report = result.json()
    paths = sorted({f["path"] for f in report["findings"]})  # type: ignore[union-attr]
    excludes = [
        (s["subject"], s["count"], s["paths"], s["message"])
        for s in report["configuration"]["suppressions"]  # type: ignore[index]
        if s["kind"] == "exclude"
    ]
    return paths, excludes


def _kept(*left_out: str) -> list[str]:
    return sorted(set(LAYOUT) - set(left_out))


def test_a_name_pattern_matches_at_any_depth(tree: Repo) -> None:
    paths, excludes = _scan(tree, "--exclude", "*.mdx")
    assert paths == _kept("README.mdx", "apps/docs/guide.mdx", "apps/web/page.mdx")
    assert excludes == [
        (
            "*.mdx",
            3,
            ["README.mdx", "apps/docs/guide.mdx", "apps/web/page.mdx"],
            "exclude *.mdx: 3 file(s) not scanned: README.mdx, apps/docs/guide.mdx, apps/web/page.mdx [command line]",
        )
    ]


def test_a_double_star_pattern(tree: Repo) -> None:
    paths, excludes = _scan(tree, "--exclude", "**/*.mdx")
    assert paths == _kept("README.mdx", "apps/docs/guide.mdx", "apps/web/page.mdx")
    assert [(pattern, count) for pattern, count, _, _ in excludes] == [("**/*.mdx", 3)]


def test_a_directory_and_a_negation(tree: Repo) -> None:
    paths, excludes = _scan(tree, "--exclude", "apps/docs/**", "--exclude", "!apps/docs/keep.md")
    assert paths == _kept("apps/docs/guide.mdx", "apps/docs/api/reference.md")
    assert excludes == [
        (
            "apps/docs/**",
            2,
            ["apps/docs/guide.mdx", "apps/docs/api/reference.md"],  # in the order the walk met them
            "exclude apps/docs/**: 2 file(s) not scanned: apps/docs/guide.mdx, apps/docs/api/reference.md "
            "[command line]",
        ),
        (
            "!apps/docs/keep.md",
            1,
            ["apps/docs/keep.md"],
            "exclude !apps/docs/keep.md: 1 file(s) scanned again: apps/docs/keep.md [command line]",
        ),
    ]


def test_a_bare_name_keeps_its_meaning_and_a_directory_counts_its_files(tree: Repo) -> None:
    paths, excludes = _scan(tree, "--exclude", "deploy.sh", "--exclude", "apps/docs")
    assert paths == _kept("deploy.sh", "apps/docs/guide.mdx", "apps/docs/api/reference.md", "apps/docs/keep.md")
    assert [(pattern, count, shown) for pattern, count, shown, _ in excludes] == [
        ("deploy.sh", 1, ["deploy.sh"]),
        ("apps/docs", 3, ["apps/docs/"]),
    ]


def test_a_pattern_that_matches_nothing_says_so(tree: Repo) -> None:
    paths, excludes = _scan(tree, "--exclude", "*.markdown")
    assert paths == sorted(LAYOUT)
    assert excludes == [("*.markdown", 0, [], "exclude *.markdown: 0 file(s) not scanned [command line]")]


def test_the_configuration_file_takes_the_same_patterns(tree: Repo) -> None:
    tree.write(".credscope.yaml", "exclude:\n  - '*.mdx'\n  - 'apps/docs/**'\n  - '!keep.md'\n")
    paths, excludes = _scan(tree)
    assert paths == ["apps/docs/keep.md", "apps/web/server.py", "deploy.sh"]
    # As in git, the last pattern that matches a path decides, and is the one named for it.
    assert [message for _, _, _, message in excludes] == [
        "exclude *.mdx: 2 file(s) not scanned: README.mdx, apps/web/page.mdx [.credscope.yaml:2]",
        "exclude apps/docs/**: 2 file(s) not scanned: apps/docs/guide.mdx, apps/docs/api/reference.md "
        "[.credscope.yaml:3]",
        "exclude !keep.md: 1 file(s) scanned again: apps/docs/keep.md [.credscope.yaml:4]",
    ]


def test_the_text_report_names_what_each_pattern_left_out(tree: Repo) -> None:
    result = run_cli("scan", ".", "--fail-on", "none", "--exclude", "apps/web/", cwd=tree.path)
    assert "  - exclude apps/web/: 2 file(s) not scanned: apps/web/ [command line]" in result.stdout.splitlines()


def test_history_is_excluded_alike(tree: Repo) -> None:
    tree.commit("everything")
    tree.git("rm", "-q", "README.mdx")
    tree.commit("drop the readme")
    result = run_cli(
        "scan", ".", "--history", "--format", "json", "--fail-on", "none", "--exclude", "*.mdx", cwd=tree.path
    )
    assert result.exit_code == 0, result.stderr
    report = result.json()
    found = sorted({(f["reach"], f["path"]) for f in report["findings"]})  # type: ignore[union-attr]
    kept = _kept("README.mdx", "apps/docs/guide.mdx", "apps/web/page.mdx")
    assert found == sorted([*(("history", p) for p in kept), *(("tracked", p) for p in kept)])
    [exclude] = [s for s in report["configuration"]["suppressions"] if s["kind"] == "exclude"]  # type: ignore[index]
    # Two files in the tree, three blobs in the history (the README only there now).
    assert (exclude["subject"], exclude["count"]) == ("*.mdx", 5)


def test_the_hook_excludes_staged_files_alike(tree: Repo) -> None:
    tree.write(".credscope.yaml", "exclude: ['*.mdx']\n")
    tree.git("add", ".")
    result = run_cli("hook", "--format", "json", cwd=tree.path)
    assert result.exit_code == 1, result.stderr
    report = result.json()
    paths = sorted({f["path"] for f in report["findings"]})  # type: ignore[union-attr]
    assert paths == _kept("README.mdx", "apps/docs/guide.mdx", "apps/web/page.mdx")


@pytest.mark.parametrize("pattern", ["[z-a]", "!", "\\"])
def test_a_pattern_that_is_not_one_is_a_usage_error(tmp_path: Path, pattern: str) -> None:
    result = run_cli("scan", str(tmp_path), "--exclude", pattern)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"credscope: --exclude: {pattern!r} is not a gitignore-style pattern\n"


def test_a_bad_pattern_in_the_configuration_names_the_file_and_key(tmp_path: Path) -> None:
    (tmp_path / ".credscope.yaml").write_text(json.dumps({"exclude": ["ok/", "[z-a]"]}))
    result = run_cli("scan", str(tmp_path))
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        f"credscope: {tmp_path / '.credscope.yaml'}: exclude: '[z-a]' is not a gitignore-style pattern\n"
    )
