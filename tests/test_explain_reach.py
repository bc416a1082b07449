"""`credscope explain` finds what an audit lists: credentials only in the git history, in a home directory's
credential stores, or in the environment (--history, --home, --env), and says where else to look when the tree
alone does not hold one."""

from __future__ import annotations

from pathlib import Path

from credscope.model import fingerprint_of, redact

from helpers import Repo, run_cli, token


def _explained(repo: Repo, *args: str, env: dict[str, str] | None = None) -> list[str]:
    result = run_cli("explain", *args, cwd=repo.path, env=env)
    assert result.exit_code == 0, result.stderr
    return result.stdout.splitlines()


def test_a_credential_only_in_the_history(repo: Repo) -> None:
    secret = token("{{github:ghp}}")
    repo.write("deploy.sh", f"export GITHUB_TOKEN={secret}\n")
    added = repo.commit("deploy script")
    repo.git("rm", "-q", "deploy.sh")
    repo.commit("remove it")
    fingerprint = fingerprint_of(secret)

    missing = run_cli("explain", fingerprint[:12], ".", cwd=repo.path)
    assert (missing.exit_code, missing.stdout) == (2, "")
    assert missing.stderr == (
        f"credscope: no credential with fingerprint {fingerprint[:12]}… under . "
        "(looked in the files; --history, --home and --env look further)\n"
    )

    lines = _explained(repo, fingerprint[:12], ".", "--history")
    assert lines[0] == f"github personal-access-token  {redact(secret)}"
    assert f"  fingerprint:  {fingerprint}" in lines
    assert f"    deploy.sh:1:21 [history @ {added}]" in lines
    assert secret not in "\n".join(lines)


def test_a_credential_only_in_a_home_directory(repo: Repo, tmp_path: Path) -> None:
    secret = token("{{github:ghp}}")
    home = tmp_path / "home"
    (home / ".config" / "gh").mkdir(parents=True)
    (home / ".config" / "gh" / "hosts.yml").write_text(f"github.com:\n    oauth_token: {secret}\n    user: octo\n")
    fingerprint = fingerprint_of(secret)
    lines = _explained(repo, fingerprint[:12], ".", "--home", str(home))
    assert lines[0].startswith("github ")
    assert "    ~/.config/gh/hosts.yml:2:18 [home]" in lines
    # --home alone is the user's own home, as in scan.
    assert _explained(repo, fingerprint[:12], "--home", env={"HOME": str(home)}) == lines


def test_a_credential_only_in_the_environment(repo: Repo) -> None:
    secret = token("{{github:ghp}}")
    fingerprint = fingerprint_of(secret)
    lines = _explained(repo, fingerprint[:12], ".", "--env", env={"DEPLOY_GITHUB_TOKEN": secret})
    assert lines[0] == f"github personal-access-token  {redact(secret)}"
    assert "    env:DEPLOY_GITHUB_TOKEN:1:21 [env]" in lines
