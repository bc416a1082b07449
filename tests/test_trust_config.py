"""A hostile repository's configuration: it may shape what is reported, never where credentials go.

Every test builds the attacker's repository (its `.credscope.yaml`, `[tool.credscope]`, provider files, links)
and the victim's home and environment at run time, runs the real command line, and checks that the attack
failed: nothing reached the attacker's listener, no file outside the repository was read, written or revealed,
no alias bomb was expanded, no planted token was echoed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from servers.http import FakeServer, Received, Reply, json_reply

from helpers import Repo, run_cli, token

StartServer = Callable[[Callable[[Received], Reply]], FakeServer]

# `credscope scan --verify --home HOME --env`, the way a security team scans a repository it was sent.
VERIFY = ("scan", ".", "--verify", "--format", "json", "--env")
USER_ONLY = "only --config FILE, the user-level configuration ($CREDSCOPE_CONFIG, ~/.config/credscope/config.yaml)"


def _github_answer(_: Received) -> Reply:
    return json_reply(200, b'{"login": "octocat", "id": 1}', **{"X-OAuth-Scopes": "repo, delete_repo"})


def _authorizations(listener: FakeServer) -> list[str]:
    return [received.headers.get("authorization", "") for received in listener.requests]


@pytest.fixture
def victim(tmp_path: Path, repo: Repo) -> dict[str, str]:
    """The user's credentials an agent (and a scan with --home/--env) can reach, and the environment to run in.

    A GitHub OAuth token in ~/.config/gh/hosts.yml, a GitHub token in $GITHUB_TOKEN, a GitLab token in the
    repository's gitignored .env; no endpoint override of the user's own.
    """
    home = tmp_path / "victim-home"
    (home / ".config/gh").mkdir(parents=True)
    (home / ".config/gh/hosts.yml").write_text(
        f"github.com:\n    oauth_token: {token('{{github:gho}}')}\n    user: octo\n"
    )
    repo.write(".gitignore", ".env\n")
    repo.write(".env", f"GITLAB_TOKEN={token('{{gitlab:glpat}}')}\n")
    repo.write("README.md", "nothing to see\n")
    repo.commit("init", ".gitignore", "README.md")
    return {"GITHUB_TOKEN": token("{{github:ghp}}"), "HOME": str(tmp_path / "user-home"), "_home": str(home)}


def _environment(victim: dict[str, str]) -> dict[str, str]:
    """This process's environment without endpoint overrides or a user-level configuration, then the victim's."""
    env = {k: v for k, v in os.environ.items() if not (k.startswith("CREDSCOPE_") and k.endswith("_ENDPOINT"))}
    mine = {k: v for k, v in victim.items() if k != "_home"}
    return {**env, "NO_COLOR": "1", "CREDSCOPE_CONFIG": "", **mine}


def _verify(repo: Repo, victim: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    env = _environment(victim)
    return subprocess.run(
        [sys.executable, "-m", "credscope", *VERIFY, "--home", victim["_home"], *extra],
        cwd=repo.path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


# --- item 4: the repository's configuration never decides where credentials are sent -------------------------


@pytest.mark.parametrize("form", ["yaml", "pyproject"])
def test_an_endpoint_in_the_repository_configuration_receives_nothing(
    repo: Repo, victim: dict[str, str], fake_server: StartServer, form: str
) -> None:
    listener = fake_server(_github_answer)
    if form == "yaml":
        config = repo.write(
            ".credscope.yaml",
            f"providers:\n  github: {{endpoint: '{listener.url}'}}\n  gitlab: {{endpoint: '{listener.url}'}}\n",
        )
        key = "providers.github.endpoint"
    else:
        config = repo.write(
            "pyproject.toml",
            f'[project]\nname = "x"\n\n[tool.credscope.providers.github]\nendpoint = "{listener.url}"\n',
        )
        key = "tool.credscope.providers.github.endpoint"
    done = _verify(repo, victim)
    assert _authorizations(listener) == []
    assert listener.connections == 0
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        f"credscope: {config.resolve()}: {key}: a repository's own configuration may not set endpoints:"
        f" {USER_ONLY}, or CREDSCOPE_GITHUB_ENDPOINT may\n"
    )


def test_probe_settings_in_the_repository_configuration_are_refused(repo: Repo, victim: dict[str, str]) -> None:
    config = repo.write(".credscope.yaml", "providers:\n  aws:\n    settings: {region: eu-west-1}\n")
    done = _verify(repo, victim)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        f"credscope: {config.resolve()}: providers.aws.settings: a repository's own configuration may not set"
        f" probe settings: {USER_ONLY} may\n"
    )


# The attack: a provider file replacing the built-in GitHub provider with a rule that takes every
# environment value, and an endpoint. Before the fix every variable's value arrived as a Bearer token.
CATCH_ALL_GITHUB = """\
id: github
name: GitHub
hosts: [localhost]
probe: github
reads: [GET /user]
rules:
  - id: everything
    kind: personal-access-token
    pattern: '(?P<secret>[A-Za-z0-9_-]{30,})'
"""


def test_a_catch_all_provider_with_an_endpoint_receives_nothing(
    repo: Repo, victim: dict[str, str], fake_server: StartServer
) -> None:
    listener = fake_server(_github_answer)
    repo.write("ci/providers/github.yaml", CATCH_ALL_GITHUB)
    repo.write(
        ".credscope.yaml", f"provider_dirs: [ci/providers]\nproviders:\n  github: {{endpoint: '{listener.url}'}}\n"
    )
    done = _verify(repo, victim)
    assert _authorizations(listener) == []
    assert listener.connections == 0
    assert done.returncode == 2
    assert "providers.github.endpoint: a repository's own configuration may not set endpoints" in done.stderr


@pytest.mark.parametrize(
    ("yaml_text", "key", "problem"),
    [
        # `hosts: [localhost]` alone sent the user's GitHub tokens to https://localhost.
        (CATCH_ALL_GITHUB, "hosts", "may not set hosts"),
        (
            "id: acme\nname: Acme\nprobe: github\nrules:\n"
            "  - {id: acme-all, kind: token, pattern: '(?P<secret>[A-Za-z0-9_-]{30,})'}\n",
            "probe",
            "may not set probe",
        ),
        (
            "id: acme\nname: Acme\nreads: [GET /user]\nrules:\n"
            "  - {id: acme-all, kind: token, pattern: '(?P<secret>[A-Za-z0-9_-]{30,})'}\n",
            "reads",
            "may not set reads",
        ),
        # Without any of them, replacing the built-in GitHub rules is still refused.
        (
            "id: github\nname: GitHub\nrules:\n  - {id: gh-any, kind: token, pattern: '(?P<secret>ghp_\\w+)'}\n",
            "id",
            "would replace a built-in provider; extra provider files may only add new providers",
        ),
    ],
)
def test_a_repository_provider_file_may_not_decide_where_credentials_go(
    repo: Repo, victim: dict[str, str], tmp_path: Path, yaml_text: str, key: str, problem: str
) -> None:
    provider = repo.write("ci/providers/p.yaml", yaml_text)
    repo.write(".credscope.yaml", "provider_dirs: [ci/providers]\n")
    log = tmp_path / "probe-log.jsonl"
    done = _verify(repo, victim, "--probe-log", str(log))
    assert not log.exists(), "no request was even attempted"
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith(f"credscope: {provider}: {key}: ")
    assert problem in done.stderr
    assert done.stderr.count("\n") == 1


def test_a_provider_directory_the_user_names_still_cannot_replace_a_builtin(
    repo: Repo, victim: dict[str, str], tmp_path: Path
) -> None:
    mine = tmp_path / "my-providers"
    mine.mkdir()
    (mine / "github.yaml").write_text(CATCH_ALL_GITHUB)
    user = tmp_path / "user.yaml"
    user.write_text(f"provider_dirs: ['{mine}']\n")
    done = _verify(repo, {**victim, "CREDSCOPE_CONFIG": str(user)})
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        f"credscope: {mine / 'github.yaml'}: id: would replace a built-in provider; extra provider files may only"
        " add new providers\n"
    )


@pytest.mark.parametrize("origin", ["environment", "user-config", "explicit-config"])
def test_plain_http_beyond_loopback_is_refused_before_sending(
    repo: Repo, victim: dict[str, str], fake_server: StartServer, tmp_path: Path, origin: str
) -> None:
    # 0.0.0.0 is not a loopback address, yet on Linux a connection to it lands on this machine's listener:
    # it stands for any plain-http host beyond loopback, where a token would cross the network in clear.
    listener = fake_server(_github_answer)
    endpoint = listener.url.replace("127.0.0.1", "0.0.0.0")
    user = tmp_path / "mine.yaml"
    user.write_text(f"providers:\n  github: {{endpoint: '{endpoint}'}}\n")
    if origin == "environment":
        done, where = _verify(repo, {**victim, "CREDSCOPE_GITHUB_ENDPOINT": endpoint}), "CREDSCOPE_GITHUB_ENDPOINT"
    elif origin == "user-config":
        done = _verify(repo, {**victim, "CREDSCOPE_CONFIG": str(user)})
        where = f"{user}: providers.github.endpoint"
    else:
        done, where = _verify(repo, victim, "--config", str(user)), f"{user}: providers.github.endpoint"
    assert _authorizations(listener) == []
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        f"credscope: {where}: plain http only to a loopback address (127.0.0.0/8, ::1, localhost): credentials"
        " sent anywhere else travel over https\n"
    )


def test_an_endpoint_override_is_announced_before_the_first_request(
    repo: Repo, victim: dict[str, str], fake_server: StartServer, tmp_path: Path
) -> None:
    stderr_file = tmp_path / "stderr.txt"
    said_before: list[str] = []

    def answer(received: Received) -> Reply:
        said_before.append(stderr_file.read_text())  # what credscope had told the user when this arrived
        return _github_answer(received)

    listener = fake_server(answer)
    env = _environment({**victim, "CREDSCOPE_GITHUB_ENDPOINT": listener.url})
    with stderr_file.open("w") as stderr:
        done = subprocess.run(
            [sys.executable, "-m", "credscope", *VERIFY, "--home", victim["_home"], "--fail-on", "none"],
            cwd=repo.path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            timeout=300,
            check=False,
        )
    assert done.returncode == 0, stderr_file.read_text()
    announcement = (
        f"credscope: --verify sends github credentials to {listener.url} (endpoint override from"
        " CREDSCOPE_GITHUB_ENDPOINT), not to the provider's own hosts\n"
    )
    assert len(listener.requests) == 2  # the $GITHUB_TOKEN and the hosts.yml token, each asked once
    assert said_before == [announcement, announcement]
    assert stderr_file.read_text() == announcement


# --- item 6: paths from the repository's configuration stay inside it ---------------------------------------


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory beside the repository standing for the user's: an authorized_keys in it."""
    directory = tmp_path / "victim-ssh"
    directory.mkdir()
    (directory / "authorized_keys").write_text("ssh-ed25519 AAAA-the-users-own-key user@host\n")
    return directory


def _baseline_attacks(repo: Repo, outside: Path, how: str, target: str) -> str:
    """Make the repository's configuration point `baseline:` at `outside/target` in one of the ways; returns the
    value written."""
    if how == "dotdot":
        return os.path.relpath(outside / target, repo.path)
    if how == "absolute":
        return str(outside / target)
    if how == "file-link":
        (repo.path / "known.json").symlink_to(outside / target)
        return "known.json"
    (repo.path / "ci").symlink_to(outside)  # a linked directory
    return f"ci/{target}"


@pytest.mark.parametrize("how", ["dotdot", "absolute", "file-link", "dir-link"])
@pytest.mark.parametrize(
    "command", [("baseline", "update", "."), ("baseline", "create", "--force", "."), ("scan", ".")]
)
def test_a_baseline_outside_the_repository_is_never_written_read_or_revealed(
    repo: Repo, outside: Path, how: str, command: tuple[str, ...]
) -> None:
    repo.write("app.env", f"GITHUB_TOKEN={token('{{github:ghp}}')}\n")
    before = (outside / "authorized_keys").read_bytes()
    answers = []
    for target in ("authorized_keys", "missing.json"):
        for leftover in ("known.json", "ci"):
            if (repo.path / leftover).is_symlink():
                (repo.path / leftover).unlink()
        config = repo.write(".credscope.yaml", f"baseline: '{_baseline_attacks(repo, outside, how, target)}'\n")
        answers.append(run_cli(*command, cwd=repo.path))
    assert (outside / "authorized_keys").read_bytes() == before
    assert sorted(os.listdir(outside)) == ["authorized_keys"]
    root = repo.path.resolve()
    expected = f"credscope: {config.resolve()}: baseline: must name a file inside the repository ({root})\n"
    # Refused, and in the same words whether the outside file exists or not.
    assert [(a.exit_code, a.stdout, a.stderr) for a in answers] == [(2, "", expected)] * 2


@pytest.mark.parametrize("command", [("baseline", "update", "."), ("baseline", "create", "."), ("baseline", "audit")])
def test_the_default_baseline_linked_outside_is_refused(repo: Repo, outside: Path, command: tuple[str, ...]) -> None:
    repo.write("app.env", f"GITHUB_TOKEN={token('{{github:ghp}}')}\n")
    before = (outside / "authorized_keys").read_bytes()
    link = repo.path / ".credscope-baseline.json"
    answers = []
    for target in ("authorized_keys", "missing.json"):
        link.unlink(missing_ok=True)
        link.symlink_to(outside / target)
        answers.append(run_cli(*command, cwd=repo.path))
    assert (outside / "authorized_keys").read_bytes() == before
    assert sorted(os.listdir(outside)) == ["authorized_keys"]
    expected = (
        f"credscope: .credscope-baseline.json: leads outside the repository ({repo.path.resolve()});"
        " a baseline stays inside it\n"
    )
    assert [(a.exit_code, a.stdout, a.stderr) for a in answers] == [(2, "", expected)] * 2


@pytest.mark.parametrize("how", ["dotdot", "absolute", "dir-link"])
def test_provider_dirs_outside_the_repository_are_refused_alike(repo: Repo, tmp_path: Path, how: str) -> None:
    answers = []
    for name in ("existing", "missing"):
        target = tmp_path / f"{name}-providers"
        if name == "existing":
            target.mkdir(exist_ok=True)
            (target / "acme.yaml").write_text("id: acme\nname: Acme\nrules: []\n")
        link = repo.path / "ci"
        if link.is_symlink():
            link.unlink()
        if how == "dotdot":
            value = os.path.relpath(target, repo.path)
        elif how == "absolute":
            value = str(target)
        else:
            link.symlink_to(target)
            value = "ci"
        config = repo.write(".credscope.yaml", f"provider_dirs: ['{value}']\n")
        answers.append(run_cli("scan", ".", cwd=repo.path))
    root = repo.path.resolve()
    expected = f"credscope: {config.resolve()}: provider_dirs.0: must name a directory inside the repository ({root})\n"
    assert [(a.exit_code, a.stdout, a.stderr) for a in answers] == [(2, "", expected)] * 2


def test_a_provider_file_linked_outside_is_refused_alike(repo: Repo, tmp_path: Path) -> None:
    # The user's file is YAML whose keys would show in a schema error: it is never read.
    secret_file = tmp_path / "user-secrets.yaml"
    secret_file.write_text(f"my_password: {token('{{password}}')}\n")
    answers = []
    for target in (secret_file, tmp_path / "missing.yaml"):
        link = repo.path / "ci/providers/p.yaml"
        link.parent.mkdir(parents=True, exist_ok=True)
        link.unlink(missing_ok=True)
        link.symlink_to(target)
        repo.write(".credscope.yaml", "provider_dirs: [ci/providers]\n")
        answers.append(run_cli("scan", ".", cwd=repo.path))
    root = repo.path.resolve()
    expected = (
        f"credscope: {root / 'ci/providers/p.yaml'}: a provider file named by the repository's configuration"
        f" must be inside it ({root})\n"
    )
    assert [(a.exit_code, a.stdout, a.stderr) for a in answers] == [(2, "", expected)] * 2


def test_a_configuration_file_linked_outside_is_refused_alike(repo: Repo, tmp_path: Path) -> None:
    user_file = tmp_path / "aws-credentials"
    user_file.write_text("[default]\naws_access_key_id = x\n")
    answers = []
    for target in (user_file, tmp_path / "missing"):
        link = repo.path / ".credscope.yaml"
        link.unlink(missing_ok=True)
        link.symlink_to(target)
        answers.append(run_cli("scan", ".", cwd=repo.path))
    root = repo.path.resolve()
    expected = (
        f"credscope: {root / '.credscope.yaml'}: links outside the repository ({root}); a repository's"
        " configuration is read only from inside it\n"
    )
    assert [(a.exit_code, a.stdout, a.stderr) for a in answers] == [(2, "", expected)] * 2


# --- item 7(b): no alias bombs -----------------------------------------------------------------------------

# 1.9 kB that stand for 10**9 strings: each level names the one above it ten times.
BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8)
)
BOMB_PROBLEM = "YAML anchors and aliases (&name, *name) are not allowed here at line 1, column 4"


def _limited_memory() -> None:  # pragma: no cover - runs in the child
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (2 * 2**30, 2 * 2**30))


def _run_bounded(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI with 2 GB of address space: before the fix the bomb exhausted it (a net, not the assertion)."""
    return subprocess.run(
        [sys.executable, "-m", "credscope", *args],
        cwd=cwd,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        preexec_fn=_limited_memory,
    )


def test_an_alias_bomb_in_the_repository_configuration_is_refused_before_it_expands(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    import credscope.config as config_module

    assert len(BOMB) < 2000
    config = repo.write(".credscope.yaml", "fail_on: any\n" + BOMB.replace("a: &a", "z: &a"))
    done = _run_bounded(repo.path, "scan", ".")
    problem = BOMB_PROBLEM.replace("line 1", "line 2")
    assert (done.returncode, done.stdout, done.stderr) == (
        2,
        "",
        f"credscope: {config.resolve()}: invalid YAML: {problem}\n",
    )
    # By construction: the loader stops at the first anchor, so nothing is built and nothing validated.
    validated: list[object] = []
    monkeypatch.setattr(config_module, "_validate", lambda *args: validated.append(args))
    with pytest.raises(config_module.ConfigError) as raised:
        config_module.load_config(config)
    assert (raised.value.key, raised.value.problem) == ("", f"invalid YAML: {problem}")
    assert validated == []


def test_an_alias_bomb_in_a_provider_file_is_refused(repo: Repo, tmp_path: Path) -> None:
    # Where the schema wants a string: before the fix its error message quoted the expanded value.
    nested = "".join(f"  {line}\n" for line in BOMB.splitlines())
    bomb = f"id: bomb\nname: Bomb\ndescription:\n{nested}rules:\n  - {{id: b, kind: k, pattern: '(?P<secret>x)'}}\n"
    provider = repo.write("ci/providers/bomb.yaml", bomb)
    repo.write(".credscope.yaml", "provider_dirs: [ci/providers]\n")
    done = _run_bounded(repo.path, "scan", ".")
    assert (done.returncode, done.stdout) == (2, "")
    problem = BOMB_PROBLEM.replace("line 1, column 4", "line 4, column 6")
    assert done.stderr == f"credscope: {provider}: cannot be read as YAML: {problem}\n"
    # The same from the user's own files: aliases are refused in every configuration and extra provider file.
    user = tmp_path / "user.yaml"
    user.write_text(BOMB)
    done = _run_bounded(repo.path, "scan", ".", env={"CREDSCOPE_CONFIG": str(user)})
    assert (done.returncode, done.stderr) == (2, f"credscope: {user}: invalid YAML: {BOMB_PROBLEM}\n")


def test_the_builtin_catalogue_keeps_its_anchors() -> None:
    # generic.yaml shares one kind_by_name table between rules with an anchor: credscope's own files may.
    from credscope.catalogue import load_catalogue

    generic = load_catalogue().providers["generic"]
    tables = [rule.kind_by_name for rule in generic.rules if rule.kind_by_name]
    assert len(tables) >= 3 and all(table == tables[0] for table in tables)


# --- item 8: errors name the file and the key, never the value ---------------------------------------------


def test_a_planted_token_is_never_echoed_by_an_error(repo: Repo) -> None:
    secret = token("{{github:ghp}}")
    rule = "  - {id: acme-key, kind: key, pattern: '(?P<secret>acme_[a-f0-9]{32})'}\n"
    acme = "id: acme\nname: Acme\n"
    cases = [
        # (file, text, what credscope prints after "credscope: <file>: ")
        ("ci/providers/p.yaml", f"id: {secret}\nname: Acme\nrules:\n{rule}", "id: must match '^[a-z][a-z0-9-]*$'"),
        (
            "ci/providers/p.yaml",
            f"{acme}capabilities: [{{id: read, level: read}}]\nkinds: {{key: {{capabilities: [{secret}]}}}}\n"
            f"rules:\n{rule}",
            "kinds.key.capabilities.0: names no capability listed under `capabilities`",
        ),
        (
            "ci/providers/p.yaml",
            f"{acme}rules:\n  - {{id: a, kind: k, pattern: '(?P<secret>x)', pairs: [{{part: p, rule: {secret}}}]}}\n",
            "rules.0.pairs.0.rule: names no rule of this file",
        ),
        (
            "ci/providers/p.yaml",
            f"{acme}kinds: {{{secret}: {{description: []}}}}\nrules:\n{rule}",
            "kinds.<a key of 40 characters>.description: must be of type 'string', not array",
        ),
        (
            "ci/providers/p.yaml",
            f"id: acme\nname: !{secret} Acme\nrules: []\n",
            "cannot be read as YAML: could not determine a constructor for the tag <a value of 41 characters>"
            " at line 2, column 7",
        ),
        (".credscope.yaml", f"{secret}: 1\n", "<a key of 40 characters>: unknown key"),
        (
            ".credscope.yaml",
            f"fail_on: !{secret} any\n",
            "invalid YAML: could not determine a constructor for the tag <a value of 41 characters>"
            " at line 1, column 10",
        ),
        (
            ".credscope.yaml",
            f"providers:\n  aws: {{enabled: {secret}}}\n",
            "providers.aws.enabled: must be of type 'boolean', not string",
        ),
        (
            ".credscope.yaml",
            f"fail_on: {secret[:12]}\n",
            "fail_on: must be one of 'admin', 'write', 'any', 'none', 'critical', 'high', 'medium', 'low'",
        ),
    ]
    for path, text, shown in cases:
        for leftover in (".credscope.yaml", "ci/providers/p.yaml"):
            (repo.path / leftover).unlink(missing_ok=True)
        written = repo.write(path, text)
        if path.startswith("ci/"):
            repo.write(".credscope.yaml", "provider_dirs: [ci/providers]\n")
        done = run_cli("scan", ".", cwd=repo.path)
        where = written.resolve() if path.startswith(".") else written
        assert (done.exit_code, done.stdout, done.stderr) == (2, "", f"credscope: {where}: {shown}\n"), text
        assert secret[4:16] not in done.stderr


@pytest.mark.parametrize(
    ("endpoint", "refused"),
    [
        ("http://10.1.2.3:8080", True),
        ("http://0.0.0.0:9", True),
        ("http://127.0.0.1.evil.example", True),
        ("http://[::ffff:7f00:1]:9", True),  # an IPv4-mapped address is not ::1
        ("http://127.0.0.5:9/graphql/v2", False),
        ("http://[::1]:8080", False),
        ("http://LOCALHOST.:9", False),
        ("https://proxy.example:8443/github", False),
    ],
)
def test_probe_settings_built_through_the_api_keep_plain_http_on_this_machine(endpoint: str, refused: bool) -> None:
    from credscope.errors import UsageError
    from credscope.probes.settings import ProbeSettings

    if refused:
        with pytest.raises(UsageError) as raised:
            ProbeSettings(endpoints={"github": endpoint})
        assert str(raised.value) == (
            "endpoint override for github: plain http only to a loopback address (127.0.0.0/8, ::1, localhost):"
            " credentials sent anywhere else travel over https"
        )
    else:
        assert ProbeSettings(endpoints={"github": endpoint}).announcements() == (
            f"--verify sends github credentials to {endpoint} (endpoint override from the caller), not to the"
            " provider's own hosts",
        )


@pytest.mark.parametrize(
    ("planted", "config", "command", "shown"),
    [
        ("ci/providers/p.yaml", "provider_dirs: [ci/providers]\n", ("scan", "."), "{repo}/ci/providers/p.yaml"),
        ("ci/known.json", "baseline: ci/known.json\n", ("scan", "."), "{repo}/ci/known.json"),
        (".credscope-baseline.json", None, ("baseline", "update", "."), ".credscope-baseline.json"),
    ],
)
def test_a_fifo_planted_where_a_file_is_read_is_refused_not_waited_on(
    repo: Repo, planted: str, config: str | None, command: tuple[str, ...], shown: str
) -> None:
    if config is not None:
        repo.write(".credscope.yaml", config)
    fifo = repo.path / planted
    fifo.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(fifo)
    # Nothing ever writes to the FIFO: a read of it would wait for ever (the timeout only ends a broken run).
    done = subprocess.run(
        [sys.executable, "-m", "credscope", *command],
        cwd=repo.path,
        env={**os.environ, "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    where = shown.format(repo=repo.path.resolve())
    assert (done.returncode, done.stdout, done.stderr) == (2, "", f"credscope: {where}: is not a regular file\n")
