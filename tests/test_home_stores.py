"""`--home DIR`: the login stores of cloud CLIs, package managers and token caches, each holding generated
tokens in the tool's real file layout, found with the provider, kind and severity the store's format implies.

One row per store value: a row whose provider is missing from the catalogue expects the generic kind the
claim falls back to, with the store's context (`registry`, `host`), until that provider is added.
"""

from __future__ import annotations

import fnmatch
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credscope.catalogue import load_catalogue
from credscope.sources.home_stores import REPO_STORES, repo_store_for

from helpers import run_cli, token


@dataclass(frozen=True)
class Row:
    what: str
    path: str  # relative to the home directory
    secret: str
    provider: str
    kind: str
    severity: str
    line: int
    context: dict[str, str] = field(default_factory=dict)
    # (provider, kind) once the catalogue has that provider; until then the row expects its generic fallback.
    catalogued: tuple[str, str] | None = None


class Home:
    """A home directory being written: each store's text, and the rows credscope must report from it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.rows: list[Row] = []

    def write(self, relative: str, text: str | bytes) -> Path:
        target = self.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(text, encoding="utf-8")
        return target

    def expect(self, *args: object, catalogued: tuple[str, str] | None = None, **context: str) -> None:
        self.rows.append(Row(*args, context=context, catalogued=catalogued))  # type: ignore[arg-type]


def _line(text: str, secret: str) -> int:
    return next(number for number, line in enumerate(text.split("\n"), start=1) if secret in line)


def _json(home: Home, relative: str, document: object) -> str:
    text = json.dumps(document, indent=2)
    home.write(relative, text)
    return text


def build(home: Home) -> None:
    # Railway: any token under `user` is the CLI's login, whatever its format.
    uuid_token, opaque, legacy = token("{{uuid4}}"), token("{{random:alnum:40}}"), token("{{railway-legacy:future}}")
    refresh = token("{{random:base64url:43}}")
    project = {"projectPath": "/home/dev/rentals", "name": "rentals", "project": token("{{uuid4}}")}
    text = _json(
        home,
        ".railway/config.json",
        {
            "projects": {"/home/dev/rentals": {**project, "environmentName": "production"}},
            "user": {"id": "u1", "token": uuid_token},
        },
    )
    home.expect(
        "railway UUID user.token",
        ".railway/config.json",
        uuid_token,
        "railway",
        "account-token",
        "critical",
        _line(text, uuid_token),
        linked_projects="rentals (production)",
    )
    text = _json(
        home,
        ".railway/config-staging.json",
        {"user": {"token": opaque, "refreshToken": refresh, "tokenExpiresAt": 1767225600}},
    )
    home.expect(
        "railway opaque user.token",
        ".railway/config-staging.json",
        opaque,
        "railway",
        "account-token",
        "critical",
        _line(text, opaque),
    )
    home.expect(
        "railway refreshToken",
        ".railway/config-staging.json",
        refresh,
        "railway",
        "oauth-token",
        "critical",
        _line(text, refresh),
    )
    text = _json(home, ".railway/config-dev.json", {"user": {"token": legacy}})
    home.expect(
        "railway legacy session",
        ".railway/config-dev.json",
        legacy,
        "railway",
        "cli-session",
        "critical",
        _line(text, legacy),
    )

    # doctl: the default context's token and a named one.
    default_do, work_do = token("{{digitalocean:dop}}"), token("{{digitalocean:doo}}")
    text = f"access-token: {default_do}\nauth-contexts:\n  work: {work_do}\ncontext: default\n"
    home.write(".config/doctl/config.yaml", text)
    home.expect(
        "doctl access-token",
        ".config/doctl/config.yaml",
        default_do,
        "digitalocean",
        "personal-access-token",
        "high",
        1,
        auth_context="default",
    )
    home.expect(
        "doctl auth-context",
        ".config/doctl/config.yaml",
        work_do,
        "digitalocean",
        "oauth-token",
        "high",
        3,
        auth_context="work",
    )

    fly = token("{{fly}}")
    home.write(".fly/config.yml", f"access_token: {fly}\nsend_metrics: true\nauto_update: true\n")
    home.expect("flyctl access_token", ".fly/config.yml", fly, "flyio", "macaroon-token", "high", 1)

    vercel = token("{{random:alnum:24}}")  # a legacy token: no prefix, nothing but the file says Vercel
    text = _json(
        home,
        ".local/share/com.vercel.cli/auth.json",
        {"// Note": "This is your Vercel credentials file. DO NOT SHARE!", "token": vercel},
    )
    home.expect(
        "vercel legacy token",
        ".local/share/com.vercel.cli/auth.json",
        vercel,
        "vercel",
        "legacy-token",
        "high",
        _line(text, vercel),
    )

    netlify, netlify_github = token("{{netlify}}"), token("{{github:gho}}")
    users = {
        "u-1": {
            "id": "u-1",
            "email": "dev@example.com",
            "auth": {"token": netlify, "github": {"user": "dev", "token": netlify_github}},
        }
    }
    text = _json(home, ".config/netlify/config.json", {"userId": "u-1", "users": users})
    home.expect(
        "netlify token",
        ".config/netlify/config.json",
        netlify,
        "netlify",
        "personal-access-token",
        "critical",
        _line(text, netlify),
        netlify_user="dev@example.com",
    )
    home.expect(
        "netlify's github token",
        ".config/netlify/config.json",
        netlify_github,
        "github",
        "oauth-token",
        "high",
        _line(text, netlify_github),
    )

    supabase = token("{{supabase:pat}}")
    home.write(".supabase/access-token", supabase)
    home.expect(
        "supabase access-token", ".supabase/access-token", supabase, "supabase", "management-token", "critical", 1
    )

    neon_access, neon_refresh = token("{{random:base64url:43}}"), token("{{random:base64url:43}}")
    text = _json(
        home,
        ".config/neonctl/credentials.json",
        {"access_token": neon_access, "refresh_token": neon_refresh, "token_type": "bearer", "expires_at": 1767225600},
    )
    home.expect(
        "neonctl access_token",
        ".config/neonctl/credentials.json",
        neon_access,
        "neon",
        "oauth-token",
        "high",
        _line(text, neon_access),
    )
    home.expect(
        "neonctl refresh_token",
        ".config/neonctl/credentials.json",
        neon_refresh,
        "neon",
        "oauth-token",
        "high",
        _line(text, neon_refresh),
    )

    tfc, tfrc = token("{{terraform}}"), token("{{terraform}}")
    text = _json(home, ".terraform.d/credentials.tfrc.json", {"credentials": {"app.terraform.io": {"token": tfc}}})
    home.expect(
        "terraform credentials.tfrc.json",
        ".terraform.d/credentials.tfrc.json",
        tfc,
        "terraform-cloud",
        "api-token",
        "high",
        _line(text, tfc),
        host="app.terraform.io",
    )
    home.write(
        ".terraformrc",
        'plugin_cache_dir = "$HOME/.terraform.d/plugin-cache"\n'
        f'credentials "tfe.example.net" {{\n  token = "{tfrc}"\n}}\n',
    )
    home.expect(
        "terraformrc credentials block",
        ".terraformrc",
        tfrc,
        "terraform-cloud",
        "api-token",
        "high",
        3,
        host="tfe.example.net",
    )

    pulumi = token("pul-{{random:hex:40}}")
    text = _json(
        home,
        ".pulumi/credentials.json",
        {
            "current": "https://api.pulumi.com",
            "accessTokens": {"https://api.pulumi.com": pulumi},
            "accounts": {"https://api.pulumi.com": {"accessToken": pulumi, "username": "dev"}},
        },
    )
    home.expect(
        "pulumi accessTokens",
        ".pulumi/credentials.json",
        pulumi,
        "pulumi",
        "access-token",
        "high",
        _line(text, pulumi),
        backend="https://api.pulumi.com",
    )

    wrangler = token("{{random:base64url:43}}.{{random:base64url:43}}")
    home.write(
        ".config/.wrangler/config/default.toml",
        f'oauth_token = "{wrangler}"\nexpiration_time = "2026-01-01T00:00:00Z"\n'
        'scopes = ["account:read", "workers:write"]\n',
    )
    home.expect(
        "wrangler oauth_token",
        ".config/.wrangler/config/default.toml",
        wrangler,
        "cloudflare",
        "oauth-token",
        "high",
        1,
    )

    firebase = token("1//0{{random:base64url:99}}")
    text = _json(
        home,
        ".config/configstore/firebase-tools.json",
        {"user": {"email": "dev@example.com"}, "tokens": {"refresh_token": firebase, "expires_at": 1767225600}},
    )
    home.expect(
        "firebase refresh_token",
        ".config/configstore/firebase-tools.json",
        firebase,
        "gcp",
        "refresh-token",
        "high",
        _line(text, firebase),
        account="dev@example.com",
    )

    stripe = token("{{stripe:rk_test}}")
    home.write(
        ".config/stripe/config.toml",
        f'color = ""\n[default]\n  account_id = "acct_1Example"\n  test_mode_api_key = "{stripe}"\n'
        '  display_name = "Rentals"\n',
    )
    home.expect(
        "stripe CLI test key",
        ".config/stripe/config.toml",
        stripe,
        "stripe",
        "restricted-key-test",
        "low",
        4,
        profile="default",
    )

    vault = token("hvs.CAESI{{random:base64url:90}}")
    home.write(".vault-token", vault)
    home.expect("vault token", ".vault-token", vault, "vault", "service-token", "high", 1)

    # Package registries: crates.io and RubyGems have no provider yet, so their tokens are generic, with the registry.
    cargo = token("cio{{random:alnum:32}}")
    home.write(".cargo/credentials.toml", f'[registry]\ntoken = "{cargo}"\n')
    home.expect(
        "cargo registry token",
        ".cargo/credentials.toml",
        cargo,
        "generic",
        "token",
        "medium",
        2,
        registry="crates.io",
        catalogued=("crates-io", "api-token"),
    )
    gem = token("rubygems_{{random:hex:48}}")
    home.write(".gem/credentials", f"---\n:rubygems_api_key: {gem}\n")
    home.expect(
        "gem api key",
        ".gem/credentials",
        gem,
        "generic",
        "token",
        "medium",
        2,
        registry="rubygems.org",
        catalogued=("rubygems", "api-key"),
    )
    maven = token("{{password:24}}")
    home.write(
        ".m2/settings.xml",
        "<settings>\n  <servers>\n    <server>\n      <id>nexus-releases</id>\n"
        f"      <username>deploy</username>\n      <password>{maven}</password>\n"
        "    </server>\n  </servers>\n</settings>\n",
    )
    home.expect(
        "maven server password",
        ".m2/settings.xml",
        maven,
        "generic",
        "password",
        "medium",
        6,
        maven_server="nexus-releases",
        user="deploy",
    )
    gradle = token("{{password:24}}")
    home.write(".gradle/gradle.properties", f"org.gradle.daemon=true\nossrhUsername=deploy\nossrhPassword={gradle}\n")
    home.expect(
        "gradle property",
        ".gradle/gradle.properties",
        gradle,
        "generic",
        "password",
        "medium",
        3,
        property="ossrhPassword",
    )
    nuget = token("{{password:24}}")
    home.write(
        ".nuget/NuGet/NuGet.Config",
        '<?xml version="1.0" encoding="utf-8"?>\n<configuration>\n  <packageSourceCredentials>\n'
        '    <internal>\n      <add key="Username" value="ci" />\n'
        f'      <add key="ClearTextPassword" value="{nuget}" />\n'
        "    </internal>\n  </packageSourceCredentials>\n</configuration>\n",
    )
    home.expect(
        "nuget cleartext password",
        ".nuget/NuGet/NuGet.Config",
        nuget,
        "generic",
        "password",
        "medium",
        6,
        package_source="internal",
        user="ci",
    )
    composer_github, composer_basic = token("{{github:ghp}}"), token("{{password:24}}")
    text = _json(
        home,
        ".config/composer/auth.json",
        {
            "http-basic": {"repo.example.net": {"username": "ci", "password": composer_basic}},
            "github-oauth": {"github.com": composer_github},
        },
    )
    home.expect(
        "composer github-oauth",
        ".config/composer/auth.json",
        composer_github,
        "github",
        "personal-access-token",
        "high",
        _line(text, composer_github),
        host="github.com",
    )
    home.expect(
        "composer http-basic",
        ".config/composer/auth.json",
        composer_basic,
        "generic",
        "password",
        "medium",
        _line(text, composer_basic),
        host="repo.example.net",
        user="ci",
    )

    # Token caches.
    gcloud_refresh, gcloud_access = token("1//0{{random:base64url:99}}"), token("ya29.{{random:base64url:150}}")
    _sqlite(
        home.write(".config/gcloud/credentials.db", b""),
        "CREATE TABLE credentials (account_id TEXT PRIMARY KEY, value BLOB)",
        [
            (
                "dev@example.com",
                json.dumps(
                    {
                        "client_id": "32555940559.apps.googleusercontent.com",
                        "refresh_token": gcloud_refresh,
                        "type": "authorized_user",
                    }
                ),
            )
        ],
    )
    home.expect(
        "gcloud credentials.db user credential",
        ".config/gcloud/credentials.db",
        gcloud_refresh,
        "gcp",
        "authorized-user",
        "high",
        1,
        account="dev@example.com",
    )
    _sqlite(
        home.write(".config/gcloud/access_tokens.db", b""),
        "CREATE TABLE access_tokens (account_id TEXT PRIMARY KEY, access_token TEXT, token_expiry TIMESTAMP,"
        " rapt_token TEXT, id_token TEXT)",
        [("ops@example.com", gcloud_access, "2026-01-01 00:00:00", None, None)],
        before=[("dev@example.com", None, None, None, None)],
    )
    home.expect(
        "gcloud access_tokens.db access token",
        ".config/gcloud/access_tokens.db",
        gcloud_access,
        "gcp",
        "access-token",
        "high",
        2,
        account="ops@example.com",
    )

    azure_refresh = token("0.A{{random:base64url:300}}")
    msal = {
        "Account": {"a.b-login.microsoftonline.com-t": {"home_account_id": "a.b", "username": "dev@example.com"}},
        "RefreshToken": {
            "a.b-login.microsoftonline.com-refreshtoken-04b07795-8ddb-461a-bbee-02f9e1bf7b46--": {
                "credential_type": "RefreshToken",
                "secret": azure_refresh,
                "home_account_id": "a.b",
                "environment": "login.microsoftonline.com",
                "client_id": "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
            }
        },
    }
    text = _json(home, ".azure/msal_token_cache.json", msal)
    home.expect(
        "azure MSAL refresh token",
        ".azure/msal_token_cache.json",
        azure_refresh,
        "azure",
        "entra-refresh-token",
        "high",
        _line(text, azure_refresh),
        client_id="Azure CLI",
        account="dev@example.com",
    )
    azure_secret = token("{{random:alnum:3}}8Q~{{random:base64url:31}}")
    text = _json(
        home,
        ".azure/service_principal_entries.json",
        [
            {
                "client_id": "11111111-2222-4333-8444-555555555555",
                "tenant": "contoso.onmicrosoft.com",
                "client_secret": azure_secret,
            }
        ],
    )
    home.expect(
        "azure service principal secret",
        ".azure/service_principal_entries.json",
        azure_secret,
        "azure",
        "client-secret",
        "high",
        _line(text, azure_secret),
        tenant="contoso.onmicrosoft.com",
    )

    sso = token("aoa{{random:base64url:300}}")
    text = _json(
        home,
        ".aws/sso/cache/1f2e3d4c5b6a.json",
        {
            "startUrl": "https://rentals.awsapps.com/start",
            "region": "eu-west-1",
            "accessToken": sso,
            "expiresAt": "2026-01-01T00:00:00Z",
        },
    )
    home.expect(
        "aws sso access token",
        ".aws/sso/cache/1f2e3d4c5b6a.json",
        sso,
        "generic",
        "token",
        "medium",
        _line(text, sso),
        sso_start_url="https://rentals.awsapps.com/start",
    )
    role_key, role_secret = token("{{aws:asia}}"), token("{{aws-secret}}")
    text = _json(
        home,
        ".aws/cli/cache/0a1b2c.json",
        {
            "Credentials": {
                "AccessKeyId": role_key,
                "SecretAccessKey": role_secret,
                "SessionToken": token("{{aws-session}}"),
                "Expiration": "2026-01-01T00:00:00Z",
            },
            "AssumedRoleUser": {"Arn": "arn:aws:sts::123456789012:assumed-role/Admin/dev"},
        },
    )
    home.expect(
        "aws cli assumed-role cache",
        ".aws/cli/cache/0a1b2c.json",
        role_secret,
        "aws",
        "access-key",
        "high",
        _line(text, role_secret),
        role_arn="arn:aws:sts::123456789012:assumed-role/Admin/dev",
    )

    # The same tools' other layouts: macOS paths, legacy files, a second account.
    mac_do = token("{{digitalocean:dop}}")
    home.write("Library/Application Support/doctl/config.yaml", f"access-token: {mac_do}\n")
    home.expect(
        "doctl on macOS",
        "Library/Application Support/doctl/config.yaml",
        mac_do,
        "digitalocean",
        "personal-access-token",
        "high",
        1,
    )
    second = token("1//0{{random:base64url:99}}")
    text = _json(
        home,
        ".config/configstore/firebase-tools.json",
        {
            "user": {"email": "dev@example.com"},
            "tokens": {"refresh_token": firebase, "expires_at": 1767225600},
            "additionalAccounts": [{"user": {"email": "ops@example.com"}, "tokens": {"refresh_token": second}}],
        },
    )
    home.expect(
        "firebase additional account",
        ".config/configstore/firebase-tools.json",
        second,
        "gcp",
        "refresh-token",
        "high",
        _line(text, second),
        account="ops@example.com",
    )
    boto = token("1//0{{random:base64url:99}}")
    home.write(
        ".config/gcloud/legacy_credentials/dev@example.com/.boto", f"[Credentials]\ngs_oauth2_refresh_token = {boto}\n"
    )
    home.expect(
        "gcloud legacy .boto",
        ".config/gcloud/legacy_credentials/dev@example.com/.boto",
        boto,
        "gcp",
        "refresh-token",
        "high",
        2,
    )
    keyring = token("{{stripe:rk_live}}")
    text = _json(home, ".config/stripe/credentials.json", {"default.live_mode_api_key": keyring})
    home.expect(
        "stripe CLI keyring fallback file",
        ".config/stripe/credentials.json",
        keyring,
        "stripe",
        "restricted-key-live",
        "high",
        _line(text, keyring),
        profile="default",
    )
    adal_refresh = token("{{random:base64url:400}}")
    text = _json(
        home,
        ".azure/accessTokens.json",
        [
            {
                "tokenType": "Bearer",
                "refreshToken": adal_refresh,
                "userId": "dev@example.com",
                "_clientId": "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
            }
        ],
    )
    home.expect(
        "azure legacy accessTokens.json",
        ".azure/accessTokens.json",
        adal_refresh,
        "azure",
        "entra-refresh-token",
        "high",
        _line(text, adal_refresh),
        client_id="Azure CLI",
    )
    git_token = token("{{github:ghp}}")
    home.write(".git-credentials", f"https://dev:{git_token}@github.com\n")
    home.expect("git-credentials", ".git-credentials", git_token, "github", "personal-access-token", "high", 1)


def _sqlite(path: Path, schema: str, rows: list[tuple[object, ...]], before: list[tuple[object, ...]] = ()) -> None:  # type: ignore[assignment]
    path.unlink()
    connection = sqlite3.connect(path)
    connection.execute(schema)
    for row in [*before, *rows]:
        connection.execute(f"INSERT INTO {schema.split()[2]} VALUES ({', '.join('?' * len(row))})", row)
    connection.commit()
    connection.close()


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[list[Row], dict[str, list[dict[str, object]]]]]:
    base = tmp_path_factory.mktemp("home-stores")
    home, empty = Home(base / "home"), base / "empty"
    home.root.mkdir()
    empty.mkdir()
    build(home)
    result = run_cli(
        "scan",
        str(empty),
        "--home",
        str(home.root),
        "--format",
        "json",
        "--show-secrets",
        "--fail-on",
        "none",
        env={"HOME": str(base / "elsewhere")},
    )
    assert result.exit_code == 0, result.stderr
    found: dict[str, list[dict[str, object]]] = {}
    for finding in result.json()["findings"]:  # type: ignore[union-attr]
        found.setdefault(finding["secret"], []).append(finding)
    yield home.rows, found


def _names() -> list[str]:
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        home = Home(Path(directory))
        build(home)
        return [row.what for row in home.rows]


_NAMES = _names()


@pytest.mark.parametrize("index", range(len(_NAMES)), ids=_NAMES)
def test_each_store_value_has_its_provider_kind_and_severity(
    index: int, scanned: tuple[list[Row], dict[str, list[dict[str, object]]]]
) -> None:
    rows, found = scanned
    row = rows[index]
    assert row.secret in found, f"{row.what}: not reported"
    [finding] = [f for f in found[row.secret] if (f["path"], f["line"]) == (f"~/{row.path}", row.line)]
    got = (finding["provider"], finding["kind"], finding["severity"], finding["reach"])
    if row.catalogued and row.catalogued[0] in load_catalogue().providers:
        # Its provider's own table decides the severity.
        assert (got[0], got[1], got[3]) == (*row.catalogued, "home")
    else:
        assert got == (row.provider, row.kind, row.severity, "home")
    context = finding["context"]
    assert isinstance(context, dict)
    assert {key: context.get(key) for key in row.context} == row.context


def test_nothing_but_the_planted_values(scanned: tuple[list[Row], dict[str, list[dict[str, object]]]]) -> None:
    rows, found = scanned
    planted = {row.secret for row in rows}
    extra = sorted(
        f"{f['provider']} {f['kind']} {f['path']}:{f['line']}"
        for secret, fs in found.items()
        if secret not in planted
        for f in fs
    )
    assert extra == []


def test_a_railway_cli_token_says_why_it_is_account_wide(tmp_path: Path) -> None:
    home, empty = tmp_path / "home", tmp_path / "empty"
    empty.mkdir()
    secret = token("{{uuid4}}")
    config = {"projects": {"/srv/app": {"name": "rentals", "environmentName": "production"}}, "user": {"token": secret}}
    (home / ".railway").mkdir(parents=True)
    (home / ".railway/config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    result = run_cli("scan", str(empty), "--home", str(home), "--format", "json", "--show-secrets", "--fail-on", "none")
    [finding] = result.json()["findings"]  # type: ignore[misc]
    assert (finding["access"], finding["destructive"], finding["evidence"][0]) == (
        "admin",
        True,
        "user.token in the Railway CLI config (~/.railway/config.json): the CLI sends it as its Bearer token, with"
        " its user's account-wide power (a workspace or project token is never kept there); directories are linked"
        " there to rentals (production)",
    )


def test_a_railway_cli_config_committed_to_a_repository_is_read_alike(tmp_path: Path) -> None:
    repo = tmp_path / "dotfiles"
    secret = token("{{random:alnum:40}}")
    (repo / "railway/.railway").mkdir(parents=True)
    (repo / "railway/.railway/config.json").write_text(json.dumps({"user": {"token": secret}}), encoding="utf-8")
    result = run_cli("scan", str(repo), "--format", "json", "--show-secrets", "--fail-on", "none")
    found = [(f["secret"], f["provider"], f["kind"], f["severity"], f["path"]) for f in result.json()["findings"]]  # type: ignore[union-attr]
    assert found == [(secret, "railway", "account-token", "critical", "railway/.railway/config.json")]


def test_a_planted_gcloud_database_cannot_make_the_scan_run_away(tmp_path: Path) -> None:
    """`credentials` as a view over an endless recursive query (only a table is read), a generated column that
    asks for 900 MB (values are capped), a file of garbage where a text store is expected (scanned as text)."""
    home, empty = tmp_path / "home", tmp_path / "empty"
    empty.mkdir()
    (home / ".config/gcloud").mkdir(parents=True)
    connection = sqlite3.connect(home / ".config/gcloud/credentials.db")
    connection.execute(
        "CREATE VIEW credentials AS WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT x, x FROM n"
    )
    connection.commit()
    connection.close()
    connection = sqlite3.connect(home / ".config/gcloud/access_tokens.db")
    connection.execute(
        "CREATE TABLE access_tokens (account_id TEXT, access_token TEXT GENERATED ALWAYS AS (zeroblob(900000000)))"
    )
    connection.execute("INSERT INTO access_tokens (account_id) VALUES ('dev@example.com')")
    connection.commit()
    connection.close()
    (home / ".config/gcloud/legacy_credentials/dev/adc.json").parent.mkdir(parents=True)
    (home / ".config/gcloud/legacy_credentials/dev/.boto").write_bytes(b"SQLite format 3\x00" + b"\xff" * 4096)
    result = run_cli("scan", str(empty), "--home", str(home), "--format", "json", "--fail-on", "none")
    report = result.json()
    assert report["findings"] == []
    skipped = {s["path"]: (s["reason"], s["detail"]) for s in report["stats"]["skipped"]}  # type: ignore[index]
    assert skipped == {
        "~/.config/gcloud/access_tokens.db": ("unparsed-store", "not a readable SQLite database: DataError"),
        "~/.config/gcloud/legacy_credentials/dev/.boto": ("binary", ""),
        "~/.config/gcloud/credentials.db": ("unparsed-store", "no credentials table"),
    }


def test_a_claimed_value_that_is_a_placeholder_is_not_reported(tmp_path: Path) -> None:
    """A store's word makes a value its provider's credential, not a placeholder a credential."""
    home, empty = tmp_path / "home", tmp_path / "empty"
    empty.mkdir()
    stores = {
        ".railway/config.json": {"user": {"id": "u1", "token": "${RAILWAY_TOKEN}", "accessToken": "<access token>"}},
        ".config/netlify/config.json": {"users": {"u": {"auth": {"token": "xxxxxxxxxxxxxxxxxxxxxxxx"}}}},
        ".config/composer/auth.json": {"http-basic": {"repo.example.net": {"username": "ci", "password": "changeme"}}},
        ".terraform.d/credentials.tfrc.json": {"credentials": {"app.terraform.io": {"token": ""}}},
    }
    for relative, document in stores.items():
        (home / relative).parent.mkdir(parents=True, exist_ok=True)
        (home / relative).write_text(json.dumps(document, indent=2), encoding="utf-8")
    result = run_cli("scan", str(empty), "--home", str(home), "--format", "json", "--fail-on", "none")
    assert result.json()["findings"] == []


_PATH_PIECES = [
    ".railway", "config", "config.json", "config-prod.json", ".cursor", "mcp.json", ".vscode", ".mcp.json", ".claude",
    "settings.json", "settings.local.json", ".codex", "config.toml", ".continue", "config.yaml", "a", "b.json", "\n",
    ".json", "x/.mcp.json",
]  # fmt: skip


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(_PATH_PIECES), min_size=1, max_size=4), st.booleans())
def test_a_tree_path_is_the_first_store_whose_pattern_it_matches_at_any_depth(pieces: list[str], joined: bool) -> None:
    # One regex for all the stores: what the patterns say as globs (`*` crossing `/`), at the top or any depth.
    path = "/".join(pieces) if not joined else "".join(pieces[:2]) + "/".join(["", *pieces[2:]])
    expected = next(
        (
            store
            for store in REPO_STORES
            if fnmatch.fnmatchcase(path, store.pattern) or fnmatch.fnmatchcase(path, "*/" + store.pattern)
        ),
        None,
    )
    assert repo_store_for(path) == expected
