"""Configuration: every key changes what a scan does; a broken file is one line naming file and key, exit 2."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from servers.railway import RailwayFake

from credscope.catalogue import ProviderDir
from credscope.config import Config, ProviderSettings, discover, find_config, load_config
from credscope.errors import ConfigError
from credscope.model import Access
from credscope.policy import FailOn

from helpers import Repo, run_cli, token


def _findings(repo: Repo, *args: str) -> tuple[int, list[tuple[str, str, int]], dict[str, object]]:
    result = run_cli("scan", ".", "--format", "json", *args, cwd=repo.path)
    assert result.exit_code in (0, 1), result.stderr
    report = result.json()
    findings = report["findings"]
    assert isinstance(findings, list)
    return result.exit_code, sorted((f["rule"], f["path"], f["line"]) for f in findings), report


@pytest.fixture
def tokens(repo: Repo) -> Repo:
    """A repository with a GitHub token in app.py:2 and another in secrets/ci.env:1."""
    repo.write("app.py", f'import os\nGITHUB_TOKEN = "{token("{{github:ghp}}")}"\n')
    repo.write("secrets/ci.env", f"GH_TOKEN={token('{{github:ghp}}')}\n")
    repo.commit("init")
    return repo


BOTH = [("github-pat-classic", "app.py", 2), ("github-pat-classic", "secrets/ci.env", 1)]


def test_fail_on_from_config_and_cli_overrides_it(tokens: Repo) -> None:
    tokens.write(".credscope.yaml", "fail_on: none\n")
    code, found, report = _findings(tokens)
    assert (code, found) == (0, BOTH)
    assert report["verdict"] == {"passed": True, "fail_on": "none", "failing": []}
    code, found, report = _findings(tokens, "--fail-on", "any")
    assert (code, found) == (1, BOTH)
    assert report["verdict"]["fail_on"] == "any"  # type: ignore[index]


def test_unknown_as(tokens: Repo) -> None:
    # A classic GitHub token's scopes are unknown offline: admin by default, read when configured so.
    tokens.write(".credscope.yaml", "fail_on: admin\n")
    assert _findings(tokens)[0] == 1
    tokens.write(".credscope.yaml", "fail_on: admin\nunknown_as: read\n")
    code, found, _ = _findings(tokens)
    assert (code, found) == (0, BOTH)


def test_exclude_and_max_file_size(tokens: Repo) -> None:
    tokens.write(".credscope.yaml", "exclude: [secrets]\n")
    assert _findings(tokens)[1] == [("github-pat-classic", "app.py", 2)]
    size = (tokens.path / "app.py").stat().st_size  # 68 bytes; secrets/ci.env is 50
    tokens.write(".credscope.yaml", "max_file_size: 60\n")
    _code, found, report = _findings(tokens)
    assert found == BOTH  # app.py, over the limit, is read in windows (judged line by line), not skipped
    assert report["stats"]["skipped"] == []  # type: ignore[index]
    assert f"app.py ({size} bytes)" in report["notes"][0]  # type: ignore[index]
    # A CLI --exclude adds to the configured ones.
    tokens.write(".credscope.yaml", "exclude: [secrets]\n")
    assert _findings(tokens, "--exclude", "app.py")[1] == []


def test_provider_dirs_and_disabled_providers(tokens: Repo) -> None:
    tokens.write(
        "ci/providers/acme.yaml",
        "id: acme\nname: Acme\nrules:\n"
        "  - id: acme-api-key\n    kind: api-key\n"
        "    pattern: '(?P<secret>acme_[a-f0-9]{32})'\n    keywords: [acme_]\n",
    )
    acme = "acme_" + secrets.token_hex(16)
    tokens.write("billing.py", f'ACME = "{acme}"\n')
    # With github off, the generic password rules would claim its tokens: off too.
    tokens.write(
        ".credscope.yaml",
        "provider_dirs: [ci/providers]\nproviders:\n  github: {enabled: false}\n  generic: {enabled: false}\n",
    )
    _code, found, report = _findings(tokens)
    assert found == [("acme-api-key", "billing.py", 1)]
    assert report["findings"][0]["provider"] == "acme"  # type: ignore[index]
    config = discover(tokens.path)
    assert config.disabled_providers == frozenset({"github", "generic"})
    # Found in the repository, the directory is the repository's: its files may only add detection rules.
    root = tokens.path.resolve()
    assert config.provider_dirs == (ProviderDir(root / "ci/providers", repository=root),)


def test_provider_endpoint_and_settings_are_loaded_from_a_file_the_user_names(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(
        "providers:\n  aws:\n    endpoint: http://127.0.0.1:5000\n    settings: {region: eu-west-1}\n"
        "  railway: {enabled: false}\n"
    )
    config = load_config(path)
    assert config.providers == {
        "aws": ProviderSettings(
            enabled=True, endpoint="http://127.0.0.1:5000", settings={"region": "eu-west-1"}, endpoint_source=path
        ),
        "railway": ProviderSettings(enabled=False),
    }


def test_ignore_list(tokens: Repo) -> None:
    _, _, report = _findings(tokens)
    by_path = {f["path"]: f["fingerprint"] for f in report["findings"]}  # type: ignore[union-attr]
    prefix = by_path["secrets/ci.env"][:16]
    tokens.write(".credscope.yaml", f"ignore:\n  - fingerprint: {prefix}\n    reason: revoked test token\n")
    code, found, report = _findings(tokens, "--fail-on", "any")
    assert (code, found) == (1, [("github-pat-classic", "app.py", 2)])
    assert report["notes"] == ["1 credential(s) not reported: ignored by configuration: revoked test token"]


def test_baseline_key_is_relative_to_the_config_file(tokens: Repo) -> None:
    (tokens.path / "ci").mkdir()
    created = run_cli("baseline", "create", ".", "--baseline", "ci/known.json", cwd=tokens.path)
    assert created.exit_code == 0, created.stderr
    tokens.write(".credscope.yaml", "baseline: ci/known.json\n")
    sub = tokens.path / "secrets"
    result = run_cli("scan", ".", "--format", "json", "--fail-on", "any", cwd=sub)
    assert result.exit_code == 0, result.stdout
    assert result.json()["findings"] == []


def test_hook_fail_on(tmp_path: Path) -> None:
    path = tmp_path / ".credscope.yaml"
    path.write_text("fail_on: admin\nhook: {fail_on: write}\n")
    config = load_config(path)
    assert (config.fail_on, config.hook_fail_on) == (FailOn.ADMIN, FailOn.WRITE)


def test_pyproject_table(tokens: Repo) -> None:
    tokens.write(
        "pyproject.toml", '[project]\nname = "x"\n\n[tool.credscope]\nfail_on = "none"\nexclude = ["secrets"]\n'
    )
    code, found, _ = _findings(tokens)
    assert (code, found) == (0, [("github-pat-classic", "app.py", 2)])
    # A pyproject.toml without the table is not a configuration.
    tokens.write("pyproject.toml", '[project]\nname = "x"\n')
    assert find_config(tokens.path) is None


def test_search_goes_up_to_the_repository_root_only(tmp_path: Path, repo: Repo) -> None:
    repo.write(".credscope.yaml", "fail_on: write\n")
    (repo.path / "a/b").mkdir(parents=True)
    assert find_config(repo.path / "a/b") == repo.path / ".credscope.yaml"
    assert discover(repo.path / "a/b").fail_on is FailOn.WRITE
    # The YAML file wins over pyproject.toml in the same directory.
    repo.write("pyproject.toml", '[tool.credscope]\nfail_on = "none"\n')
    assert find_config(repo.path) == repo.path / ".credscope.yaml"
    # Above the repository root nothing is read; outside a repository only the directory itself.
    (tmp_path / ".credscope.yaml").write_text("fail_on: any\n")
    assert find_config(repo.path / "a") == repo.path / ".credscope.yaml"
    (repo.path / ".credscope.yaml").unlink()
    (repo.path / "pyproject.toml").unlink()
    assert find_config(repo.path / "a") is None
    plain = tmp_path / "plain" / "sub"
    plain.mkdir(parents=True)
    (tmp_path / "plain" / ".credscope.yaml").write_text("fail_on: any\n")
    assert find_config(plain) is None
    assert discover(plain) == Config()


def test_explicit_config_file(tokens: Repo, tmp_path: Path) -> None:
    elsewhere = tmp_path / "strict.yaml"
    elsewhere.write_text("fail_on: none\nunknown_as: write\n")
    code, _, report = _findings(tokens, "--config", str(elsewhere))
    assert code == 0 and report["verdict"]["fail_on"] == "none"  # type: ignore[index]
    assert load_config(elsewhere).unknown_as is Access.WRITE
    missing = run_cli("scan", ".", "--config", str(tmp_path / "nope.yaml"), cwd=tokens.path)
    assert missing.exit_code == 2
    assert missing.stderr == f"credscope: {tmp_path / 'nope.yaml'}: configuration file does not exist\n"


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ("fail_onn: any\n", "fail_onn", "unknown key"),
        (
            "fail_on: sometimes\n",
            "fail_on",
            "must be one of 'admin', 'write', 'any', 'none', 'critical', 'high', 'medium', 'low'",
        ),
        ("unknown_as: none\n", "unknown_as", "must be one of 'admin', 'write', 'read'"),
        ("exclude: secrets\n", "exclude", "must be of type 'array', not string"),
        ("max_file_size: 0\n", "max_file_size", "must be at least 1"),
        ("provider_dirs: [1]\n", "provider_dirs.0", "must be of type 'string', not integer"),
        (
            "providers:\n  railway:\n    enabled: 'no'\n",
            "providers.railway.enabled",
            "must be of type 'boolean', not string",
        ),
        ("providers:\n  aws: {endpoint: localhost}\n", "providers.aws.endpoint", "must match '^https?://[^\\\\s]+$'"),
        ("providers:\n  aws: {timeout: 3}\n", "providers.aws.timeout", "unknown key"),
        ("ignore:\n  - fingerprint: abc\n    reason: x\n", "ignore.0.fingerprint", "must match '^[0-9a-f]{12,64}$'"),
        ("ignore:\n  - fingerprint: 0123456789abcdef\n", "ignore.0", "'reason' is a required property"),
        ("baseline: 3\n", "baseline", "must be of type 'string', not integer"),
        (
            "hook: {fail_on: maybe}\n",
            "hook.fail_on",
            "must be one of 'admin', 'write', 'any', 'none', 'critical', 'high', 'medium', 'low'",
        ),
        ("- fail_on\n", "(top level)", "must be of type 'object', not array"),
    ],
)
def test_broken_config_names_file_and_key(repo: Repo, text: str, key: str, problem: str) -> None:
    path = repo.write(".credscope.yaml", text)
    result = run_cli("scan", ".", cwd=repo.path)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"credscope: {path.resolve()}: {key}: {problem}\n"
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert (raised.value.key, raised.value.path) == (key, str(path))


def test_broken_pyproject_names_the_table_key(repo: Repo) -> None:
    path = repo.write("pyproject.toml", '[tool.credscope]\nfail_on = "often"\n')
    result = run_cli("scan", ".", cwd=repo.path)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"credscope: {path.resolve()}: tool.credscope.fail_on: must be one of 'admin'")


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        (".credscope.yaml", "fail_on: [unclosed\n", "invalid YAML"),
        ("pyproject.toml", "[tool.credscope\n", "invalid TOML"),
    ],
)
def test_unparseable_config(repo: Repo, name: str, text: str, problem: str) -> None:
    path = repo.write(name, text)
    result = run_cli("scan", ".", cwd=repo.path)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"credscope: {path.resolve()}: {problem}: ")
    assert result.stderr.count("\n") == 1


def test_provider_endpoint_from_the_user_level_configuration_reaches_the_probes(
    repo: Repo, railway_fake: RailwayFake, tmp_path: Path
) -> None:
    pytest.importorskip("httpx")
    repo.write("fix_domains.sh", f"RAILWAY_API_TOKEN={railway_fake.account}\n")
    user = tmp_path / "credscope-user.yaml"
    endpoint = f"{railway_fake.server.url}/graphql/v2"
    user.write_text(f"providers:\n  railway: {{endpoint: '{endpoint}'}}\n")
    env = {k: v for k, v in os.environ.items() if not k.endswith("_ENDPOINT")}
    done = subprocess.run(
        [sys.executable, "-m", "credscope", "scan", ".", "--verify", "--format", "json", "--fail-on", "none"],
        cwd=repo.path,
        env={**env, "CREDSCOPE_CONFIG": str(user)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    (finding,) = [f for f in report["findings"] if f["provider"] == "railway"]
    assert (finding["scope_source"], finding["access"], finding["destructive"]) == ("queried", "admin", True)
    origin = f"{user}: providers.railway.endpoint"
    # Said before the first request, and again in the report.
    assert done.stderr == (
        f"credscope: --verify sends railway credentials to {endpoint} (endpoint override from {origin}),"
        " not to the provider's own hosts\n"
    )
    assert any(f"endpoint override from {origin}" in note for note in report["notes"])
    # A bad endpoint in the configuration is an error naming the file and key, before anything is sent.
    user.write_text("providers:\n  railway: {endpoint: 'http://user:pw@127.0.0.1:9/graphql/v2'}\n")
    bad = run_cli("scan", ".", "--verify", cwd=repo.path, env={"CREDSCOPE_CONFIG": str(user)})
    assert bad.exit_code == 2
    assert bad.stderr == f"credscope: {origin}: the endpoint URL may carry no user, password, query or fragment\n"


def test_a_valid_file_is_validated_once_and_an_edit_is_validated_again(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The validated document is cached by the file's bytes: the next run skips validation, an edit does not.
    import credscope.config as config_module

    validated: list[str] = []
    real_validate = config_module._validate

    def counting(path: Path, document: object, prefix: str) -> None:
        validated.append(path.read_text())
        real_validate(path, document, prefix)

    monkeypatch.setattr(config_module, "_validate", counting)
    # The cache is shared by the test session: a comment no other test writes makes these texts new to it.
    valid = f"# {secrets.token_hex(8)}\nfail_on: write\n"
    broken = valid.replace("write", "maybe")
    path = repo.write(".credscope.yaml", valid)
    assert load_config(path).fail_on == FailOn.WRITE
    assert load_config(path).fail_on == FailOn.WRITE
    assert validated == [valid]
    path.write_text(broken)
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert raised.value.key == "fail_on"
    path.write_text(valid)
    assert load_config(path).fail_on == FailOn.WRITE
    assert validated == [valid, broken]  # the valid text came from the cache
    # A scan through the CLI in a fresh process reads the same cache entry and still rejects a broken edit.
    path.write_text(valid.replace("write", "often"))
    result = run_cli("scan", ".", cwd=repo.path)
    assert result.exit_code == 2
    assert (
        "fail_on: must be one of 'admin', 'write', 'any', 'none', 'critical', 'high', 'medium', 'low'" in result.stderr
    )


def test_the_user_level_configuration_is_found_where_the_user_keeps_it(tmp_path: Path) -> None:
    from credscope.config import user_config_path

    home, xdg = tmp_path / "home", tmp_path / "xdg"
    assert user_config_path({"HOME": str(home)}) is None  # no file: no user-level configuration
    (home / ".config/credscope").mkdir(parents=True)
    (home / ".config/credscope/config.yaml").write_text("fail_on: any\n")
    assert user_config_path({"HOME": str(home)}) == home / ".config/credscope/config.yaml"
    (xdg / "credscope").mkdir(parents=True)
    (xdg / "credscope/config.yaml").write_text("fail_on: write\n")
    assert user_config_path({"HOME": str(home), "XDG_CONFIG_HOME": str(xdg)}) == xdg / "credscope/config.yaml"
    assert (
        user_config_path({"HOME": str(home), "XDG_CONFIG_HOME": "relative"}) == home / ".config/credscope/config.yaml"
    )
    named = tmp_path / "named.yaml"
    named.write_text("fail_on: none\n")
    assert user_config_path({"HOME": str(home), "CREDSCOPE_CONFIG": str(named)}) == named
    assert user_config_path({"HOME": str(home), "CREDSCOPE_CONFIG": ""}) is None
    with pytest.raises(ConfigError) as raised:
        user_config_path({"CREDSCOPE_CONFIG": str(tmp_path / "nope.yaml")})
    assert (
        str(raised.value) == f"{tmp_path / 'nope.yaml'}: configuration file does not exist (named by $CREDSCOPE_CONFIG)"
    )


def test_the_user_level_configuration_and_the_repository_one_combine(repo: Repo, tmp_path: Path) -> None:
    user = tmp_path / "user.yaml"
    mine = tmp_path / "my-providers"
    user.write_text(
        f"fail_on: write\nexclude: [vendor]\nprovider_dirs: ['{mine}']\n"
        "providers:\n  railway: {endpoint: 'http://127.0.0.1:9/graphql/v2'}\n  github: {enabled: false}\n"
    )
    found = repo.write(".credscope.yaml", "fail_on: any\nexclude: [tests]\nproviders:\n  railway: {enabled: false}\n")
    config = discover(repo.path, environ={"CREDSCOPE_CONFIG": str(user)})
    assert config == Config(
        source=found.resolve(),
        user_source=user,
        fail_on=FailOn.ANY,  # the repository's file wins where both set a value
        exclude=("vendor", "tests"),
        provider_dirs=(ProviderDir(mine),),  # the user's: not bound to any repository
        providers={
            "github": ProviderSettings(enabled=False),
            "railway": ProviderSettings(enabled=False, endpoint="http://127.0.0.1:9/graphql/v2", endpoint_source=user),
        },
    )
    # --config FILE replaces the repository's file; the user-level one still applies beneath it.
    explicit = tmp_path / "explicit.yaml"
    explicit.write_text("unknown_as: read\n")
    config = discover(repo.path, explicit, environ={"CREDSCOPE_CONFIG": str(user)})
    assert (config.source, config.fail_on, config.unknown_as, config.exclude) == (
        explicit,
        FailOn.WRITE,
        Access.READ,
        ("vendor",),
    )
