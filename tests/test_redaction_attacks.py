"""No output shows a secret, whole or by a tail, without --show-secrets: a .netrc whose `login` is a token, and
database passwords holding a raw `@` (`postgresql://admin:Ab3@Tail77@db…`), in every report format, `explain`,
the pre-commit hook, and the evidence and probe log of --verify against a real PostgreSQL.

The user-info part of a URI ends at the last `@` before the host: the host reported (context, identity,
evidence, the address --verify connects to) is the real one, never a piece of the password. Every secret is
generated here; the check is that no 6-character piece of it appears anywhere, beyond the few leading
characters the preview of a token shows.
"""

from __future__ import annotations

import json
import re
import secrets
import string
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from servers.postgres import PostgresServer

from credscope.model import redact
from credscope.scope.databases import RAW_AT_EVIDENCE

from helpers import GIT_ENV, CliResult, Repo, run_cli, token

WINDOW = 6
FORMATS = ("text", "json", "sarif", "markdown", "html")
_HOST = "rentals-internal.net"


def _random(length: int) -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(length))


def _raw_at_password() -> str:
    """A password with raw `@` in it, each piece long enough to be looked for on its own."""
    return f"{_random(8)}@{_random(7)}@{_random(10)}"


@dataclass
class Workspace:
    repo: Path
    home: Path
    # secret -> how many leading characters an output may show (the preview of a token shows a few).
    secrets: dict[str, int] = field(default_factory=dict)
    hosts: dict[str, str] = field(default_factory=dict)  # rule -> the host the URI really names

    def add(self, secret: str, shown: int = 0) -> str:
        self.secrets[secret] = shown
        return secret


def _shown(value: str) -> int:
    """How many leading characters the preview of a token shows."""
    preview = redact(value)
    return len(preview.split("…")[0]) if "…" in preview else 0


def _masked(preview: str) -> str:
    """A connection string's preview without the password's shape that ends it (`(password: 27 chars, …)`)."""
    masked, _, shape = preview.rpartition(" (password: ")
    assert re.fullmatch(r"\d+ chars, [^()]+\)", shape), preview
    return masked


def _leaks(text: str, workspace: Workspace) -> list[str]:
    """Every piece of WINDOW characters of a secret found in `text` (beyond the leading ones its preview shows);
    only the first characters of each piece are returned, so a failing test does not print the secret."""
    found = []
    for secret, shown in workspace.secrets.items():
        for start in range(len(secret) - WINDOW + 1):
            piece = secret[start : start + WINDOW]
            if start + WINDOW > shown and piece in text:
                found.append(f"{piece[:2]}… (offset {start} of a {len(secret)}-character secret)")
    return found


def _assert_clean(result: CliResult, workspace: Workspace) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    leaks = _leaks(result.stdout + "\n" + result.stderr, workspace)
    assert not leaks, leaks


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    base = tmp_path_factory.mktemp("redaction")
    repo = Repo(base / "repo")
    repo.path.mkdir()
    repo.git("init", "-q", "-b", "main")
    made = Workspace(repo.path, base / "home")
    made.home.mkdir()
    # GitHub's and Heroku's .netrc entries carry the token as the login, with a dummy password or none; a
    # private git server's login is a token credscope has no rule for.
    oauth, classic, login, password = token("{{github:gho}}"), token("{{github:ghp}}"), _random(40), _random(24)
    for value in (oauth, classic, login, password):
        made.add(value, _shown(value))
    (made.home / ".netrc").write_text(
        f"machine api.github.com login {oauth} password x-oauth-basic\n"
        f"machine github.com\n  login {classic}\n"
        f"machine git.{_HOST} login {login} password {password}\n"
    )
    uris = {
        "postgres-uri": ("DATABASE_URL", "postgresql://admin:{}@db.{}:5432/rentals", f"db.{_HOST}"),
        "mongodb-uri": ("MONGO_URL", "mongodb+srv://shop:{}@cluster0.q7x2k.mongodb.net/shop?retryWrites=true", ""),
        "redis-uri": ("REDIS_URL", "redis://:{}@cache.{}:6379/0", f"cache.{_HOST}"),
        "mysql-uri": ("MYSQL_URL", "mysql://shop:{}@mysql.{}:3306/shop", f"mysql.{_HOST}"),
    }
    lines = []
    for rule, (name, template, host) in uris.items():
        lines.append(f"{name}={template.format(made.add(_raw_at_password()), _HOST)}")
        made.hosts[rule] = host or "cluster0.q7x2k.mongodb.net"
    jdbc = made.add(_raw_at_password())
    lines.append(f"JDBC_URL=jdbc:mysql://dbhost.{_HOST}:3306/shop?user=shop&password={jdbc}&useSSL=true")
    made.hosts["mysql-jdbc-url"] = f"dbhost.{_HOST}"
    odbc = made.add(_raw_at_password())
    lines.append(f'DB_SECRET="Server=sql.{_HOST};UID=sa;PWD={odbc};Encrypt=yes"')
    repo.write("config/app.env", "\n".join(lines) + "\n")
    repo.git("add", "config/app.env")  # staged: what the pre-commit hook reads
    return made


def _scan(workspace: Workspace, *options: str) -> CliResult:
    return run_cli("scan", ".", "--home", str(workspace.home), *options, cwd=workspace.repo)


def test_every_secret_is_found(workspace: Workspace) -> None:
    """The checks below mean something only if these secrets are found, and the needles would see a leak."""
    result = _scan(workspace, "--format", "json", "--show-secrets")
    assert result.exit_code == 1, result.stderr
    findings = result.json()["findings"]
    assert isinstance(findings, list)
    shown = "\n".join(f["secret"] for f in findings)
    login = list(workspace.secrets)[2]  # no finding of its own: its entry's password is the credential
    assert [s[:4] for s in workspace.secrets if s not in shown] == [login[:4]]
    assert _leaks(shown, workspace)


@pytest.mark.parametrize("output_format", FORMATS)
def test_no_report_format_shows_a_secret(workspace: Workspace, output_format: str) -> None:
    result = _scan(workspace, "--format", output_format)
    assert result.exit_code == 1, result.stderr
    assert result.stdout.strip()
    _assert_clean(result, workspace)


def test_the_host_is_the_one_after_the_last_at(workspace: Workspace) -> None:
    """Context, identity and evidence name the real host; the previews mask the whole password."""
    result = _scan(workspace, "--format", "json")
    findings = {f["rule"]: f for f in result.json()["findings"]}  # type: ignore[union-attr]
    for rule, host in workspace.hosts.items():
        finding = findings[rule]
        assert finding["context"]["host"] == host, rule
        assert finding["identity"]["host"] == host, rule
        assert any(line.startswith(f"host {host}") for line in finding["evidence"]), finding["evidence"]
    strings = ("postgres-uri", "redis-uri", "mongodb-uri", "mysql-jdbc-url", "generic-secret-quoted")
    previews = {rule: _masked(findings[rule]["preview"]) for rule in strings}
    assert previews["postgres-uri"] == f"postgresql://admin:****@db.{_HOST}:5432/rentals"
    assert previews["redis-uri"] == f"redis://:****@cache.{_HOST}:6379/0"
    assert previews["mongodb-uri"] == "mongodb+srv://shop:****@cluster0.q7x2k.mongodb.net/shop?retryWrites=true"
    assert previews["mysql-jdbc-url"] == f"jdbc:mysql://dbhost.{_HOST}:3306/shop?user=shop&password=****&useSSL=true"
    assert previews["generic-secret-quoted"] == f"Server=sql.{_HOST};UID=sa;PWD=****;Encrypt=yes"
    # The raw `@` is named as the reason the string fails with libpq; in a query string it is no matter.
    assert RAW_AT_EVIDENCE in findings["postgres-uri"]["evidence"]
    assert RAW_AT_EVIDENCE not in findings["mysql-jdbc-url"]["evidence"]


def test_a_netrc_login_that_is_a_token_is_redacted(workspace: Workspace) -> None:
    result = _scan(workspace, "--format", "json")
    findings = result.json()["findings"]
    assert isinstance(findings, list)
    netrc = {(f["line"], f["rule"]): f["context"] for f in findings if f["path"] == "~/.netrc"}
    oauth, classic, login = list(workspace.secrets)[:3]
    assert netrc[(1, "github-oauth-token")]["user"] == redact(oauth)
    assert netrc[(1, "generic-netrc-password")]["login"] == redact(oauth)
    assert netrc[(3, "github-pat-classic")]["user"] == redact(classic)
    assert netrc[(4, "generic-netrc-password")]["user"] == redact(login)
    assert netrc[(4, "generic-netrc-password")]["login"] == redact(login)
    assert netrc[(4, "generic-netrc-password")]["host"] == f"git.{_HOST}"


def test_explain_shows_no_secret(workspace: Workspace) -> None:
    # `explain` scans a path: the home directory itself, then the repository.
    for where in (workspace.home, workspace.repo):
        listed = run_cli("scan", str(where), "--format", "json", cwd=workspace.repo)
        fingerprints = {f["fingerprint"] for f in listed.json()["findings"]}  # type: ignore[union-attr]
        assert len(fingerprints) >= 4
        for fingerprint in sorted(fingerprints):
            result = run_cli("explain", fingerprint, str(where), cwd=workspace.repo)
            assert result.exit_code in (0, 1), result.stderr
            assert fingerprint in result.stdout
            _assert_clean(result, workspace)


def test_the_pre_commit_hook_shows_no_secret(workspace: Workspace) -> None:
    result = run_cli("hook", "config/app.env", cwd=workspace.repo, env=GIT_ENV)
    assert result.exit_code == 1, result.stderr
    assert "config/app.env:1" in result.stdout
    _assert_clean(result, workspace)


@pytest.mark.slow
def test_verify_connects_to_the_real_host_and_logs_no_password(postgres_server: PostgresServer, tmp_path: Path) -> None:
    """libpq alone would read `tail@127.0.0.1` as the host: resolving it would send a piece of the password to
    the DNS resolver and print it in the evidence. The probe reaches the host after the last `@` instead."""
    import psycopg
    from psycopg import sql

    role = f"rawat_{_random(6).lower()}"
    password = _raw_at_password()
    with psycopg.connect(postgres_server.admin_dsn, autocommit=True) as connection:
        connection.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(role), sql.Literal(password))
        )
        connection.execute(sql.SQL("GRANT CONNECT ON DATABASE rentals TO {}").format(sql.Identifier(role)))
    repo = Repo(tmp_path / "repo")
    repo.path.mkdir()
    repo.git("init", "-q", "-b", "main")
    address = f"127.0.0.1:{postgres_server.port}"
    repo.write("app.env", f"DATABASE_URL=postgresql://{role}:{password}@{address}/rentals\n")
    log = tmp_path / "probe.jsonl"
    try:
        result = run_cli(
            "scan", ".", "--verify", "--allow-private-hosts", "--probe-timeout", "5", "--probe-log", str(log),
            "--format", "json", "--fail-on", "none", cwd=repo.path,
        )  # fmt: skip
    finally:
        with psycopg.connect(postgres_server.admin_dsn, autocommit=True) as connection:
            connection.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            connection.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))
    assert result.exit_code == 0, result.stderr
    [finding] = result.json()["findings"]  # type: ignore[misc]
    assert finding["scope_source"] == "queried", finding["evidence"]
    assert finding["identity"]["server"] == address
    assert f"connected read-only as role {role} to database rentals" in finding["evidence"]
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert {entry["host"] for entry in entries} == {address}
    workspace = Workspace(repo.path, tmp_path)
    workspace.add(password)
    _assert_clean(result, workspace)
    assert not _leaks(log.read_text(), workspace)


def test_a_password_that_is_a_word_does_not_erase_the_word(repo: Repo) -> None:
    """The last scrub replaces secrets, not dictionary words: the throw-away `postgres` password equal to the
    role keeps the role and the actions named after the provider readable."""
    repo.write("docker.env", "DATABASE_URL=postgres://postgres:postgres@localhost:5432/app\n")
    result = run_cli("scan", ".", "--format", "json", "--fail-on", "none", cwd=repo.path)
    assert result.exit_code == 0, result.stderr
    [finding] = result.json()["findings"]  # type: ignore[misc]
    assert finding["preview"] == "postgres://postgres:****@localhost:5432/app (password: 8 chars, a-z)"
    assert finding["identity"] == {"role": "postgres", "host": "localhost", "database": "app"}
    assert "postgres:DROP DATABASE" in finding["destructive_actions"]


_FORMS = (
    "postgresql://admin:{pw}@db.{host}:5432/rentals",
    "mongodb+srv://shop:{pw}@cluster0.{host}/shop?retryWrites=true",
    "redis://:{pw}@cache.{host}:6379/0",
    "https://deployer:{pw}@git.{host}/shop/app.git",
    "jdbc:mysql://dbhost.{host}:3306/shop?user=shop&password={pw}&useSSL=true",
    "jdbc:sqlserver://sql.{host}:1433;databaseName=app;user=sa;password={pw};",
    "Driver={{ODBC Driver 18 for SQL Server}};Server=sql.{host};UID=sa;PWD={pw};Encrypt=yes",
    "Server=tcp:sql.{host},1433;Database=app;User Id=sa;Password={{{pw};{pw}}};Encrypt=yes",
    "host=db.{host} user=app password='{pw} {pw}' dbname=app",
    "host=db.{host} user=app password={pw}&{pw} dbname=app",
    "cache.{host}:6380,password={pw},ssl=True,abortConnect=False",
)


@pytest.mark.parametrize("form", _FORMS)
def test_every_connection_string_form_is_previewed_without_its_password(form: str) -> None:
    """Whatever rule captures a connection string whole (a database rule, or a generic secret assigned to
    `DB_SECRET`), its preview keeps the host and masks every piece of the password, separators and all."""
    password = _raw_at_password()
    secret = form.format(pw=password, host=_HOST)
    preview = redact(secret)
    workspace = Workspace(Path(), Path())
    workspace.add(password)
    assert not _leaks(preview, workspace), preview.replace(password, "<password>")
    assert f".{_HOST}" in preview
    assert "****" in preview


def test_libpq_reads_a_raw_at_as_the_host_and_the_probe_uri_does_not() -> None:
    """How the driver parses what people write: libpq ends the user-info part at the first `@`, so a piece of
    the password becomes the host name. The URI the probe hands to libpq names the host credscope reports."""
    from psycopg.conninfo import conninfo_to_dict

    from credscope.connstr import driver_uri, split_uri

    head, tail = _random(8), _random(10)
    written = f"postgresql://app:{head}@{tail}@db.{_HOST}:5432/rentals"
    assert conninfo_to_dict(written)["host"] == f"{tail}@db.{_HOST}"
    assert conninfo_to_dict(written)["password"] == head
    parsed = split_uri(written)
    assert parsed is not None
    assert (parsed.user, parsed.password, parsed.host) == ("app", f"{head}@{tail}", f"db.{_HOST}")
    given = conninfo_to_dict(driver_uri(written))
    assert (given["user"], given["password"], given["host"], given["port"]) == (
        "app",
        f"{head}@{tail}",
        f"db.{_HOST}",
        "5432",
    )


def test_a_store_that_does_not_parse_is_named_without_quoting_its_line(tmp_path: Path, repo: Repo) -> None:
    """PyYAML's message quotes the offending line: for a broken GitHub CLI hosts.yml that is the token's line.
    The skip reason and the note say what is wrong and where, not what the line holds."""
    secret = token("{{github:gho}}")
    home = tmp_path / "home"
    (home / ".config" / "gh").mkdir(parents=True)
    (home / ".config" / "gh" / "hosts.yml").write_text(f"github.com:\n  oauth_token: [{secret}\n  - : x\n")
    repo.write("deploy.yaml", f"env:\n  GITHUB_TOKEN: [{secret}\n  - : x\n")
    workspace = Workspace(repo.path, home)
    workspace.add(secret, _shown(secret))
    result = _scan(workspace, "--format", "json")
    assert result.exit_code == 1, result.stderr
    _assert_clean(result, workspace)
    skipped = result.json()["stats"]["skipped"]  # type: ignore[index]
    assert {
        "path": "~/.config/gh/hosts.yml",
        "reason": "unparsed-store",
        "detail": ("not valid YAML: expected ',' or ']', but got ':' at line 3, column 5; scanned as plain text"),
    } in skipped


def test_an_mcp_server_url_in_context_has_its_key_masked(tmp_path: Path, repo: Repo) -> None:
    """An MCP server's URL is context for every credential in that server's block; the key in its query string
    is a credential no rule knows, and is masked like a password."""
    key = _random(24)
    home = tmp_path / "home"
    (home / ".cursor").mkdir(parents=True)
    bearer = f"Bearer {token('{{github:ghp}}')}"
    server = {"url": f"https://mcp.{_HOST}/sse?api_key={key}&team=ops", "headers": {"Authorization": bearer}}
    (home / ".cursor" / "mcp.json").write_text(json.dumps({"mcpServers": {"remote": server}}))
    workspace = Workspace(repo.path, home)
    workspace.add(key)
    result = _scan(workspace, "--format", "json")
    assert result.exit_code == 1, result.stderr
    _assert_clean(result, workspace)
    [finding] = result.json()["findings"]  # type: ignore[misc]
    assert finding["context"]["mcp_command"] == f"https://mcp.{_HOST}/sse?api_key=****&team=ops"
