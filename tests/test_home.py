"""`--home DIR`: every credential store in a fake home, each holding a generated credential, found with
its provider and the context its store gives it (profile, host, registry, kube context, MCP server).

Written as a table: one row per store, so a missing store or a lost context shows at a glance.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from credscope.catalogue import load_catalogue
from credscope.sources.home import default_home

from helpers import run_cli, token


@pytest.fixture(autouse=True)
def _never_the_real_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Nothing in these tests may read the machine's home: HOME points into tmp_path throughout."""
    fake = tmp_path / "not-the-real-home"
    fake.mkdir()
    monkeypatch.setenv("HOME", str(fake))
    monkeypatch.delenv("USERPROFILE", raising=False)
    assert default_home() == fake
    yield
    assert os.environ["HOME"] == str(fake)


@dataclass(frozen=True)
class Planted:
    """One store row: the file, what it holds, and what credscope must say about it."""

    what: str
    path: str  # relative to the home directory
    text: str
    secret: str  # the exact secret value credscope reports (fingerprinted)
    provider: str
    rule: str
    line: int
    context: dict[str, str] = field(default_factory=dict)
    needs_provider: str | None = None  # a row whose provider another engineer's catalogue adds


def _pem_escaped(pem: str) -> str:
    return pem.replace("\n", "\\n")


def build_home(home: Path) -> list[Planted]:
    """Write a home directory with every store credscope knows; return what was planted where."""
    aws_key, aws_secret = token("{{aws:akia}}"), token("{{aws-secret}}")
    railway_session = token("{{railway-legacy:future}}")
    pg_password = token("{{password:24}}")
    netrc_token = token("{{github:ghp}}")
    ghcr_token = token("{{github:ghp}}")
    kube_pem = token("{{pem:rsa}}")
    kube_sa_token = token("{{kubernetes}}")
    npm_github = token("{{github:ghp}}")
    npm_token = token("{{npm}}")
    pypi_token = token("{{pypi}}")
    gh_oauth = token("{{github:gho}}")
    gcp_key = json.loads(token("{{gcp-service-account:rentals-prod:deployer}}"))
    bash_railway = token("{{uuid4}}")
    zsh_github = token("{{github:ghp}}")
    cursor_github = token("{{github:ghp}}")
    vscode_postgres = token("{{postgres:reader@analytics.example.net:5432/events}}")
    vscode_remote = token("{{github:fine}}")
    claude_railway = token("{{uuid4}}")
    claude_settings_github = token("{{github:ghs}}")
    desktop_args_github = token("{{github:ghp}}")
    codex_github = token("{{github:ghp}}")
    windsurf_postgres = token("{{postgres:admin@prod-db.example.net:5432/rentals}}")
    continue_github = token("{{github:ghu}}")
    docker_hub = token("{{docker}}")

    rows = [
        Planted(
            "AWS shared credentials, profile with a role in config",
            ".aws/credentials",
            f"[default]\nregion = eu-west-1\n\n[base]\naws_access_key_id = {aws_key}\n"
            f"aws_secret_access_key = {aws_secret}\n",
            aws_secret,
            "aws",
            "aws-secret-access-key",
            6,
            {"profile": "base", "assumable_roles": "arn:aws:iam::123456789012:role/Admin"},
        ),
        Planted(
            "Railway CLI config (legacy session)",
            ".railway/config.json",
            json.dumps({"projects": {}, "user": {"token": railway_session}}, indent=2),
            railway_session,
            "railway",
            "railway-legacy-session",
            4,
            {"store": "railway-config"},
        ),
        Planted(
            ".pgpass line, rewritten as the connection it stands for",
            ".pgpass",
            "# host:port:database:user:password\nlocalhost:5432:*:dev:\n"
            f"db.example.net:5432:rentals:admin:{pg_password}\n",
            f"postgresql://admin:{_quoted(pg_password)}@db.example.net:5432/rentals",
            "postgres",
            "postgres-uri",
            3,
            {"host": "db.example.net", "user": "admin", "database": "rentals", "store": "pgpass"},
        ),
        Planted(
            ".netrc machine block",
            ".netrc",
            f"machine example.org login me password x\nmachine github.com\n  login octocat\n  password {netrc_token}\n",
            netrc_token,
            "github",
            "github-pat-classic",
            4,
            {"host": "github.com", "user": "octocat"},
        ),
        Planted(
            "Docker config auth, only base64-encoded",
            ".docker/config.json",
            json.dumps(
                {
                    "auths": {
                        "https://index.docker.io/v1/": {"auth": _b64(f"dockeruser:{docker_hub}")},
                        "ghcr.io": {"auth": _b64(f"octocat:{ghcr_token}")},
                    },
                    "credsStore": "",
                },
                indent=2,
            ),
            ghcr_token,
            "github",
            "github-pat-classic",
            7,
            {"registry": "ghcr.io", "user": "octocat"},
        ),
        Planted(
            "Docker Hub PAT in Docker config auth",
            ".docker/config.json",
            "",
            docker_hub,
            "docker",
            "",
            4,
            {"registry": "https://index.docker.io/v1/", "user": "dockeruser"},
            needs_provider="docker",
        ),
        Planted(
            "kubeconfig client key, base64-encoded PEM",
            ".kube/config",
            _kubeconfig(_b64(kube_pem), kube_sa_token),
            kube_pem.strip(),
            "private-key",
            "private-key-pem",
            24,
            {
                "kube_context": "prod",
                "kube_user": "prod-admin",
                "kube_cluster": "prod-cluster",
                "server": "https://k8s.prod.example.net:6443",
            },
        ),
        Planted(
            "kubeconfig service-account token",
            ".kube/config",
            "",
            kube_sa_token,
            "kubernetes",
            "",
            28,
            {"kube_context": "ci", "kube_user": "ci-bot"},
            needs_provider="kubernetes",
        ),
        Planted(
            ".npmrc GitHub Packages registry token",
            ".npmrc",
            f"registry=https://registry.npmjs.org/\n//npm.pkg.github.com/:_authToken={npm_github}\n"
            f"//registry.npmjs.org/:_authToken={npm_token}\n",
            npm_github,
            "github",
            "github-pat-classic",
            2,
            {"registry": "//npm.pkg.github.com/"},
        ),
        Planted(
            ".npmrc npmjs token",
            ".npmrc",
            "",
            npm_token,
            "npm",
            "",
            3,
            {"registry": "//registry.npmjs.org/"},
            needs_provider="npm",
        ),
        Planted(
            ".pypirc upload token",
            ".pypirc",
            f"[distutils]\nindex-servers = pypi\n\n[pypi]\nusername = __token__\npassword = {pypi_token}\n",
            pypi_token,
            "pypi",
            "",
            6,
            {"repository": "pypi"},
            needs_provider="pypi",
        ),
        Planted(
            "GitHub CLI hosts.yml",
            ".config/gh/hosts.yml",
            f"github.com:\n    oauth_token: {gh_oauth}\n    user: octocat\n    git_protocol: https\n",
            gh_oauth,
            "github",
            "github-oauth-token",
            2,
            {"host": "github.com", "user": "octocat"},
        ),
        Planted(
            "gcloud application-default credentials (service-account key)",
            ".config/gcloud/application_default_credentials.json",
            json.dumps(gcp_key, indent=2),
            _pem_escaped(gcp_key["private_key"]),
            "gcp",
            "gcp-service-account-key",
            _json_line(gcp_key, "private_key"),
            {"credential_type": "service_account", "account": gcp_key["client_email"]},
        ),
        Planted(
            "bash history",
            ".bash_history",
            f"ls\nexport RAILWAY_API_TOKEN={bash_railway}\nrailway up\n",
            bash_railway,
            "railway",
            "railway-token",
            2,
            {"name": "RAILWAY_API_TOKEN", "store": "shell-history"},
        ),
        Planted(
            "zsh history, extended format",
            ".zsh_history",
            f": 1700000000:0;cd app\n: 1700000042:0;export GITHUB_TOKEN={zsh_github}\n",
            zsh_github,
            "github",
            "github-pat-classic",
            2,
            {"name": "GITHUB_TOKEN", "store": "shell-history"},
        ),
        Planted(
            "Cursor mcp.json, token in env",
            ".cursor/mcp.json",
            json.dumps(
                {
                    "mcpServers": {
                        "github": {
                            "command": "npx",
                            "args": ["-y", "@modelcontextprotocol/server-github"],
                            "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": cursor_github},
                        }
                    }
                },
                indent=2,
            ),
            cursor_github,
            "github",
            "github-pat-classic",
            10,
            {"mcp_server": "github", "name": "GITHUB_PERSONAL_ACCESS_TOKEN", "store": "cursor-mcp"},
        ),
        Planted(
            "VS Code settings.json (with comments), connection string as an MCP argument",
            ".config/Code/User/settings.json",
            '{\n  // editor\n  "editor.fontSize": 13,\n  "mcp": {\n    "servers": {\n      "analytics": {\n'
            '        "command": "npx",\n        "args": ["-y", "@modelcontextprotocol/server-postgres", '
            f'"{vscode_postgres}"],\n      }},\n    }},\n  }},\n}}\n',
            vscode_postgres,
            "postgres",
            "postgres-uri",
            8,
            {"mcp_server": "analytics", "store": "vscode-settings"},
        ),
        Planted(
            "VS Code mcp.json, remote server header",
            ".config/Code/User/mcp.json",
            json.dumps(
                {
                    "servers": {
                        "github-remote": {
                            "type": "http",
                            "url": "https://api.githubcopilot.com/mcp/",
                            "headers": {"Authorization": f"Bearer {vscode_remote}"},
                        }
                    }
                },
                indent=2,
            ),
            vscode_remote,
            "github",
            "github-fine-grained-pat",
            7,
            {"mcp_server": "github-remote"},
        ),
        Planted(
            "Claude Code ~/.claude.json, per-project MCP server",
            ".claude.json",
            json.dumps(
                {
                    "numStartups": 3,
                    "projects": {
                        "/home/dev/rentals": {
                            "mcpServers": {
                                "railway": {
                                    "command": "npx",
                                    "args": ["-y", "@railway/mcp-server"],
                                    "env": {"RAILWAY_API_TOKEN": claude_railway},
                                }
                            }
                        }
                    },
                },
                indent=2,
            ),
            claude_railway,
            "railway",
            "railway-token",
            13,
            {"mcp_server": "railway", "project": "/home/dev/rentals", "name": "RAILWAY_API_TOKEN"},
        ),
        Planted(
            "Claude Code settings env",
            ".claude/settings.json",
            json.dumps(
                {"env": {"GH_TOKEN": claude_settings_github}, "permissions": {"deny": ["Read(~/.ssh/**)"]}}, indent=2
            ),
            claude_settings_github,
            "github",
            "github-installation-token",
            3,
            {"name": "GH_TOKEN", "store": "claude-code-settings"},
        ),
        Planted(
            "Claude Desktop, token passed as a command-line argument",
            ".config/Claude/claude_desktop_config.json",
            json.dumps(
                {
                    "mcpServers": {
                        "github": {"command": "github-mcp-server", "args": ["stdio", "--token", desktop_args_github]}
                    }
                },
                indent=2,
            ),
            desktop_args_github,
            "github",
            "github-pat-classic",
            8,
            {"mcp_server": "github", "name": "token", "store": "claude-desktop"},
        ),
        Planted(
            "Codex config.toml, token as a --flag value argument",
            ".codex/config.toml",
            'model = "o3"\n\n[mcp_servers.github]\ncommand = "npx"\n'
            f'args = ["-y", "github-mcp", "--github-token", "{codex_github}"]\n'
            '\n[mcp_servers.github.env]\nDEBUG = "1"\n',
            codex_github,
            "github",
            "github-pat-classic",
            5,
            # The TOML parser does not read `--flag value` pairs yet (the JSON one does): no `name` here.
            {"mcp_server": "github", "store": "codex"},
        ),
        Planted(
            "Windsurf mcp_config.json",
            ".codeium/windsurf/mcp_config.json",
            json.dumps(
                {
                    "mcpServers": {
                        "rentals-db": {
                            "command": "npx",
                            "args": ["-y", "@modelcontextprotocol/server-postgres"],
                            "env": {"DATABASE_URL": windsurf_postgres},
                        }
                    }
                },
                indent=2,
            ),
            windsurf_postgres,
            "postgres",
            "postgres-uri",
            10,
            {"mcp_server": "rentals-db", "store": "windsurf"},
        ),
        Planted(
            "Continue config.yaml",
            ".continue/config.yaml",
            f"name: assistant\nmcpServers:\n  - name: gh\n    command: npx\n    env:\n"
            f"      GITHUB_TOKEN: {continue_github}\n",
            continue_github,
            "github",
            "github-user-to-server-token",
            6,
            {"mcp_server": "gh", "store": "continue"},
        ),
    ]
    (home / ".aws").mkdir(parents=True)
    (home / ".aws/config").write_text(
        "[default]\nregion = eu-west-1\n\n[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/Admin\n"
        "source_profile = base\n",
        encoding="utf-8",
    )
    for row in rows:
        if row.text:
            target = home / row.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(row.text, encoding="utf-8")
    return rows


def _kubeconfig(client_key_data: str, sa_token: str) -> str:
    return (
        "apiVersion: v1\nkind: Config\n"  # 1-2
        "clusters:\n"  # 3
        "- name: prod-cluster\n  cluster:\n    server: https://k8s.prod.example.net:6443\n"  # 4-6
        "- name: ci-cluster\n  cluster:\n    server: https://k8s.ci.example.net:6443\n"  # 7-9
        "contexts:\n"  # 10
        "- name: prod\n  context:\n    cluster: prod-cluster\n    user: prod-admin\n"  # 11-14
        "- name: ci\n  context:\n    cluster: ci-cluster\n    user: ci-bot\n"  # 15-18
        "current-context: prod\n"  # 19
        "users:\n"  # 20
        "- name: prod-admin\n  user:\n"  # 21-22
        "    client-certificate-data: Y2VydA==\n"  # 23
        f"    client-key-data: {client_key_data}\n"  # 24
        "- name: ci-bot\n  user:\n"  # 25-26
        "    username: ci\n"  # 27
        f"    token: {sa_token}\n"  # 28
    )


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _quoted(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


def _json_line(document: dict[str, str], key: str) -> int:
    lines = json.dumps(document, indent=2).split("\n")
    return next(number for number, line in enumerate(lines, start=1) if line.startswith(f'  "{key}"'))


def findings_by_secret(report: dict[str, object]) -> dict[str, list[dict[str, object]]]:
    """The JSON report lists one finding per location; group them back by secret."""
    findings = report["findings"]
    assert isinstance(findings, list)
    grouped: dict[str, list[dict[str, object]]] = {}
    for finding in findings:
        grouped.setdefault(finding["secret"], []).append(finding)
    return grouped


@pytest.fixture(scope="module")
def home_scan(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Planted], dict[str, list[dict[str, object]]]]:
    base = tmp_path_factory.mktemp("home-scan")
    home, empty = base / "home", base / "empty"
    home.mkdir()
    empty.mkdir()
    rows = build_home(home)
    result = run_cli(
        "scan",
        str(empty),
        "--home",
        str(home),
        "--format",
        "json",
        "--show-secrets",
        env={"HOME": str(base / "elsewhere")},
    )
    assert result.exit_code in (0, 1), result.stderr
    return rows, findings_by_secret(result.json())


def _row_names() -> list[str]:
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        return [row.what for row in build_home(Path(directory))]


_ROW_NAMES = _row_names()


@pytest.mark.parametrize("index", range(len(_ROW_NAMES)), ids=_ROW_NAMES)
def test_every_home_store_is_found_with_its_context(
    index: int, home_scan: tuple[list[Planted], dict[str, list[dict[str, object]]]]
) -> None:
    rows, found = home_scan
    row = rows[index]
    if row.needs_provider and row.needs_provider not in load_catalogue().providers:
        pytest.skip(f"provider {row.needs_provider!r} is not in the catalogue yet")
    assert row.secret in found, f"{row.what}: not reported"
    [finding] = [f for f in found[row.secret] if f["path"] == f"~/{row.path}"]
    assert (finding["provider"], finding["reach"], finding["line"]) == (row.provider, "home", row.line)
    if row.rule:
        assert finding["rule"] == row.rule
    context = finding["context"]
    assert isinstance(context, dict)
    assert {key: context.get(key) for key in row.context} == row.context


def test_nothing_but_the_planted_credentials(
    home_scan: tuple[list[Planted], dict[str, list[dict[str, object]]]],
) -> None:
    rows, found = home_scan
    planted = {row.secret for row in rows}
    extra = {f"{f['provider']} {f['path']}:{f['line']}" for s, fs in found.items() if s not in planted for f in fs}
    # AWS reports the key id inside the secret's credential, never on its own.
    assert extra == set()


def test_agent_configs_inside_a_repository_are_parsed_like_home_ones(tmp_path: Path) -> None:
    repo = tmp_path / "workspace"
    railway, github, remote = token("{{uuid4}}"), token("{{github:ghp}}"), token("{{github:fine}}")
    files = {
        ".mcp.json": {"mcpServers": {"railway": {"command": "npx", "env": {"RAILWAY_API_TOKEN": railway}}}},
        ".cursor/mcp.json": {"mcpServers": {"gh": {"command": "gh-mcp", "args": ["--token", github]}}},
        ".vscode/mcp.json": {"servers": {"remote": {"headers": {"Authorization": f"Bearer {remote}"}}}},
    }
    for relative, content in files.items():
        (repo / relative).parent.mkdir(parents=True, exist_ok=True)
        (repo / relative).write_text(json.dumps(content, indent=2), encoding="utf-8")
    result = run_cli("scan", str(repo), "--format", "json", "--show-secrets", "--fail-on", "none")
    assert result.exit_code == 0, result.stderr
    found = findings_by_secret(result.json())
    summary = {
        secret: [
            (f["reach"], f["path"], f["line"], f["context"].get("mcp_server"), f["context"].get("store"))
            for f in findings
        ]
        for secret, findings in found.items()
    }
    assert summary == {
        railway: [("file", ".mcp.json", 6, "railway", "claude-code-mcp")],
        github: [("file", ".cursor/mcp.json", 7, "gh", "cursor-mcp")],
        remote: [("file", ".vscode/mcp.json", 5, "remote", "vscode-mcp")],
    }


def test_symlinked_stores_are_read_through_the_link_and_broken_links_are_counted(tmp_path: Path) -> None:
    """A dotfile manager links stores into place from inside the home (`~/dotfiles`): read through the link.
    A link out of the home directory is never followed: the home scanned may not be the user's own."""
    home, outside, empty = tmp_path / "home", tmp_path / "outside", tmp_path / "empty"
    dotfiles = home / "dotfiles"
    for directory in (home / ".config/gh", home / ".aws", dotfiles, outside, empty):
        directory.mkdir(parents=True)
    oauth = token("{{github:gho}}")
    (dotfiles / "hosts.yml").write_text(f"github.com:\n    oauth_token: {oauth}\n    user: octocat\n", encoding="utf-8")
    (home / ".config/gh/hosts.yml").symlink_to(dotfiles / "hosts.yml")
    (home / ".netrc").symlink_to(tmp_path / "missing")
    (outside / "credentials").write_text(f"[default]\naws_secret_access_key = {token('{{aws-secret}}')}\n")
    (home / ".aws/credentials").symlink_to(outside / "credentials")
    result = run_cli("scan", str(empty), "--home", str(home), "--format", "json", "--show-secrets", "--fail-on", "none")
    report = result.json()
    findings = report["findings"]
    assert isinstance(findings, list)
    assert [(f["secret"], f["path"], f["line"], f["context"].get("user")) for f in findings] == [
        (oauth, "~/.config/gh/hosts.yml", 2, "octocat")
    ]
    stats = report["stats"]
    assert isinstance(stats, dict)
    assert stats["skipped"] == [
        {"path": "~/.aws/credentials", "reason": "symlink-outside-home", "detail": ""},
        {"path": "~/.netrc", "reason": "broken-symlink", "detail": ""},
        {
            "path": "~/dotfiles/",
            "reason": "excluded-directory",
            "detail": "not a dotfile or configuration directory: scan it as a tree",
        },
    ]


def test_home_without_a_directory_means_the_users_home(tmp_path: Path) -> None:
    home = tmp_path / "someone"
    (home / ".aws").mkdir(parents=True)
    secret = token("{{aws-secret}}")
    (home / ".aws" / "credentials").write_text(
        f"[deploy]\naws_access_key_id = {token('{{aws:akia}}')}\naws_secret_access_key = {secret}\n"
    )
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    for args in (["--home", "--format", "json"], ["--format", "json", "--home"]):
        result = run_cli("scan", str(workspace), *args, "--show-secrets", env={"HOME": str(home)})
        report = result.json()
        found = [(f["path"], f["line"], f["reach"], f["secret"]) for f in report["findings"]]  # type: ignore[index]
        assert found == [("~/.aws/credentials", 3, "home", secret)], result.stderr


def test_home_directory_given_explicitly_is_kept() -> None:
    from credscope.cli import with_home_default

    assert with_home_default(["scan", ".", "--home", "/h"]) == ["scan", ".", "--home", "/h"]
    assert with_home_default(["scan", "--home", "--env"]) == ["scan", "--home", str(Path.home()), "--env"]
    assert with_home_default(["scan", "--", "--home"]) == ["scan", "--", "--home"]
