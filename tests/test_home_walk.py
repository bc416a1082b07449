"""`--home DIR` beyond the known stores: every small text file of the dotfiles and configuration directories is
read; caches, browser profiles, package stores and virtualenvs are skipped by rule and counted; links never
lead out of the home directory; FIFOs are never opened; the walk stops at its limits and says so.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from credscope.sources import SourceReport

from helpers import run_cli, token


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _scan(home: Path, tmp_path: Path) -> dict[str, object]:
    empty = tmp_path / "empty"
    empty.mkdir(exist_ok=True)
    result = run_cli(
        "scan",
        str(empty),
        "--home",
        str(home),
        "--format",
        "json",
        "--show-secrets",
        "--fail-on",
        "none",
        env={"HOME": str(tmp_path / "elsewhere")},
    )
    assert result.exit_code == 0, result.stderr
    return result.json()


def _found(report: dict[str, object]) -> list[tuple[str, str, str, int]]:
    findings = report["findings"]
    assert isinstance(findings, list)
    return sorted((f["secret"], f["provider"], f["path"], f["line"]) for f in findings)


def _skipped(report: dict[str, object]) -> dict[str, tuple[str, str]]:
    stats = report["stats"]
    assert isinstance(stats, dict)
    return {item["path"]: (item["reason"], item["detail"]) for item in stats["skipped"]}


def test_tokens_in_any_dotfile_or_config_file_are_found(tmp_path: Path) -> None:
    home = tmp_path / "home"
    notes, config, ssh_key = token("{{github:ghp}}"), token("{{slack:xoxb}}"), token("{{pem:openssh}}")
    library, dotfile = token("{{openai}}"), token("{{anthropic}}")
    _write(home / "notes.txt", f"todo: rotate this\nprod deploy token {notes}\n")
    _write(home / ".config/sometool/config.yml", f"workspace: rentals\nslack:\n  bot_token: {config}\n")
    _write(home / ".ssh/id_ed25519", ssh_key)
    _write(home / "Library/Application Support/SomeTool/settings.json", f'{{\n  "apiKey": "{library}"\n}}\n')
    _write(home / ".someclirc", f"ANTHROPIC_API_KEY={dotfile}\n")
    report = _scan(home, tmp_path)
    assert _found(report) == sorted(
        [
            (notes, "github", "~/notes.txt", 2),
            (config, "slack", "~/.config/sometool/config.yml", 3),
            (ssh_key.strip(), "private-key", "~/.ssh/id_ed25519", 1),
            (library, "openai", "~/Library/Application Support/SomeTool/settings.json", 2),
            (dotfile, "anthropic", "~/.someclirc", 1),
        ]
    )


def test_caches_browser_profiles_package_stores_and_virtualenvs_are_skipped_and_counted(tmp_path: Path) -> None:
    home = tmp_path / "home"
    hidden = token("{{github:ghp}}")  # in every skipped tree: found in none of them
    for number in range(300):
        _write(home / f".cache/pip/http/{number:03d}/entry.json", f'{{"token": "{hidden}", "n": {number}}}\n')
    _write(home / ".config/google-chrome/Default/Preferences", f'{{"token": "{hidden}"}}\n')
    _write(home / ".config/google-chrome/Local State", "{}\n")
    _write(home / ".config/electronapp/Local State", "{}\n")  # a browser's user-data layout, anywhere
    _write(home / ".config/electronapp/Default/Login Data.txt", f"GITHUB_TOKEN={hidden}\n")
    _write(home / ".mozilla/firefox/abcd.default/prefs.js", f'user_pref("token", "{hidden}");\n')
    _write(home / ".config/tool/node_modules/pkg/README.md", f"GITHUB_TOKEN={hidden}\n")
    _write(home / ".local/share/envs/app/pyvenv.cfg", "home = /usr/bin\n")
    _write(home / ".local/share/envs/app/lib/settings.py", f"GITHUB_TOKEN = '{hidden}'\n")
    _write(home / ".local/share/tagged/CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n")
    _write(home / ".local/share/tagged/blob.txt", f"GITHUB_TOKEN={hidden}\n")
    _write(home / ".gradle/caches/modules/x.properties", f"githubToken={hidden}\n")
    _write(home / "projects/app/.env", f"GITHUB_TOKEN={hidden}\n")
    _write(home / "Library/Caches/tool/state.json", f'{{"token": "{hidden}"}}\n')
    kept = token("{{github:ghp}}")
    _write(home / ".config/tool/config.toml", f'token = "{kept}"\n')
    report = _scan(home, tmp_path)
    assert _found(report) == [(kept, "github", "~/.config/tool/config.toml", 1)]
    assert _skipped(report) == {
        "~/.cache/": ("excluded-directory", "cache"),
        "~/.config/electronapp/": ("excluded-directory", "browser profile"),
        "~/.config/google-chrome/": ("excluded-directory", "browser profile"),
        "~/.config/tool/node_modules/": ("excluded-directory", "package store"),
        "~/.gradle/caches/": ("excluded-directory", "package store"),
        "~/.local/share/envs/app/": ("excluded-directory", "virtualenv"),
        "~/.local/share/tagged/": ("excluded-directory", "cache"),
        "~/.mozilla/": ("excluded-directory", "browser profile"),
        "~/Library/Caches/": ("excluded-directory", "cache"),
        "~/projects/": ("excluded-directory", "not a dotfile or configuration directory: scan it as a tree"),
    }
    stats = report["stats"]
    assert isinstance(stats, dict)
    assert stats["files_scanned"] == 1
    # Named in the report's configuration, as a tree scan names node_modules.
    configuration = report["configuration"]
    assert isinstance(configuration, dict)
    [excluded] = [s for s in configuration["suppressions"] if s["kind"] == "excluded-directory"]
    assert (excluded["subject"], excluded["count"]) == (
        ".cache, .mozilla, Caches, app, caches, electronapp, google-chrome, node_modules, projects, tagged",
        10,
    )


def test_links_never_lead_out_of_the_home_directory(tmp_path: Path) -> None:
    home, outside = tmp_path / "home", tmp_path / "outside"
    secret_outside = token("{{github:ghp}}")
    _write(outside / "secrets.env", f"GITHUB_TOKEN={secret_outside}\n")
    _write(outside / "dir/token.txt", f"GITHUB_TOKEN={secret_outside}\n")
    inside = token("{{github:ghp}}")
    _write(home / ".dotfiles/toolrc", f"GITHUB_TOKEN={inside}\n")
    (home / ".config").mkdir(parents=True)
    (home / ".config/linked.env").symlink_to(outside / "secrets.env")
    (home / ".config/linked-dir").symlink_to(outside / "dir")
    (home / ".toolrc").symlink_to(home / ".dotfiles/toolrc")  # read once, under the first name met
    (home / ".config/loop").symlink_to(home / ".config/loop")
    report = _scan(home, tmp_path)
    assert _found(report) == [(inside, "github", "~/.toolrc", 1)]
    assert _skipped(report) == {
        "~/.config/linked.env": ("symlink-outside-home", ""),
        "~/.config/linked-dir": ("symlink-outside-home", ""),
        "~/.config/loop": ("symlink-loop", ""),
        "~/.dotfiles/toolrc": ("same-file", "read as ~/.toolrc"),
    }


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_fifos_and_large_files_are_not_read(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".config/tool").mkdir(parents=True)
    os.mkfifo(home / ".config/tool/pipe")
    _write(home / ".config/tool/huge.log", "x" * (1024 * 1024 + 1))
    report = _scan(home, tmp_path)
    assert _found(report) == []
    assert _skipped(report) == {
        "~/.config/tool/huge.log": ("too-large", f"{1024 * 1024 + 1} bytes"),
        "~/.config/tool/pipe": ("not-a-regular-file", ""),
    }


def test_the_walk_stops_at_its_limits_and_says_where(tmp_path: Path) -> None:
    from credscope.sources.home import HomeSource
    from credscope.sources.home_walk import WalkLimits

    home = tmp_path / "home"
    for number in range(5):
        _write(home / f".config/tool/{number}.conf", f"setting = {number}\n")
    _write(home / ".a/b/c/d/deep.conf", "x = 1\n")
    report = SourceReport()
    source = HomeSource(home, walk=WalkLimits(max_files=3, max_depth=3))
    paths = [document.path for document in source.documents(report)]
    assert paths == ["~/.config/tool/0.conf", "~/.config/tool/1.conf", "~/.config/tool/2.conf"]
    assert [(s.path, s.reason) for s in report.skipped] == [
        ("~/.a/b/c/d/", "too-deep"),
        ("~/.config/tool/2.conf", "home-limit"),
    ]
