"""Confidence on every finding: certain (a checksum or a structure), likely (a provider format, or a generic value
with strong context), possible (a generic value by name and entropy alone, or a test fixture). The default gate
counts likely and certain; --min-confidence and `min_confidence` change it; fixtures are reported, lower, with
the reason, and never fail the default gate."""

from __future__ import annotations

import json
from typing import Any

import pytest

from credscope.detect.confidence import is_fixture_path, pem_body_decodes

from helpers import Repo, run_cli, token


def _findings(repo: Repo, *args: str) -> tuple[int, dict[str, dict[str, Any]]]:
    result = run_cli("scan", str(repo.path), "--format", "json", *args)
    report: dict[str, Any] = json.loads(result.stdout)
    return result.exit_code, {f"{f['path']}:{f['line']}": f for f in report["findings"]}


def _row(finding: dict[str, Any]) -> tuple[str, str, str, bool]:
    return (finding["rule"], finding["confidence"], finding["severity"], finding["policy"]["failed"])


def test_each_finding_says_how_sure_it_is(repo: Repo) -> None:
    password = token("{{password:20}}")
    repo.write("deploy/app.py", f'DB_PASSWORD = "{password}"\n')
    repo.write("deploy/.env", f"SMTP_PASSWORD={token('{{password:20}}')}\n")
    repo.write("deploy/ci.sh", f"export GH_TOKEN={token('{{github:ghp}}')}\n")
    repo.write("deploy/stripe.yaml", f"stripe_key: {token('{{stripe:sk_live}}')}\n")
    repo.write("deploy/id_rsa", token("{{pem:rsa}}"))
    repo.commit("init")
    code, found = _findings(repo)
    assert _row(found["deploy/app.py:1"]) == ("generic-secret-quoted", "possible", "low", False)
    assert found["deploy/app.py:1"]["confidence_reason"] == "a generic value judged by its name and entropy alone"
    assert _row(found["deploy/.env:1"]) == ("generic-secret-unquoted", "likely", "medium", True)
    assert found["deploy/.env:1"]["confidence_reason"] == "a generic value with strong context: a dotenv file"
    assert _row(found["deploy/ci.sh:1"])[:2] == ("github-pat-classic", "certain")
    assert _row(found["deploy/stripe.yaml:1"])[:2] == ("stripe-secret-key-live", "likely")
    assert _row(found["deploy/id_rsa:1"])[:2] == ("private-key-pem", "certain")
    assert code == 1


def test_a_test_fixture_is_reported_lower_with_the_reason_and_passes_the_gate(repo: Repo) -> None:
    account = token("{{uuid4}}")
    repo.write("tests/fixtures/fix_domains.sh", f"RAILWAY_API_TOKEN={account}\n")
    repo.write("src/__tests__/client.test.ts", f'const key = "{token("{{github:ghp}}")}";\n')
    repo.commit("fixtures")
    code, found = _findings(repo)
    railway, github = found["tests/fixtures/fix_domains.sh:1"], found["src/__tests__/client.test.ts:1"]
    assert (railway["kind"], railway["access"]) == ("account-token", "admin")
    assert (railway["confidence"], github["confidence"]) == ("possible", "possible")
    assert railway["confidence_reason"].endswith("only in test fixtures (tests/fixtures/fix_domains.sh), so possible")
    assert (railway["severity"], railway["policy"]["failed"]) == ("high", False)  # critical, one step lower
    assert (github["severity"], github["policy"]["failed"]) == ("medium", False)
    assert code == 0
    # The same token outside the fixtures is sure again, and fails.
    repo.write("scripts/fix_domains.sh", f"RAILWAY_API_TOKEN={account}\n")
    repo.commit("deploy")
    code, found = _findings(repo)
    assert _row(found["scripts/fix_domains.sh:1"]) == ("railway-token", "likely", "critical", True)
    assert code == 1


def test_min_confidence_moves_the_gate_and_a_relaxed_file_setting_is_named(repo: Repo) -> None:
    repo.write("settings.py", f'API_TOKEN = "{token("{{password:24}}")}"\n')
    repo.write("ci.sh", f"GH_TOKEN={token('{{github:ghp}}')}\n")
    repo.commit("init")
    assert _findings(repo)[0] == 1  # the GitHub token
    # Counted, but an unknown scope that is only possibly a credential is write at most: the admin gate passes it.
    code, found = _findings(repo, "--min-confidence", "possible")
    assert found["settings.py:1"]["policy"] == {"failed": False, "reason": None}
    code, found = _findings(repo, "--min-confidence", "possible", "--fail-on", "write")
    assert found["settings.py:1"]["policy"]["reason"] == (
        "--fail-on write: access unknown, counted as write (only possibly a credential)"
    )
    repo.write(".credscope.yaml", "min_confidence: certain\n")
    repo.write("stripe.env", f"STRIPE_KEY={token('{{stripe:sk_live}}')}\n")
    result = run_cli("scan", str(repo.path))
    assert "  - min_confidence certain (default likely) [.credscope.yaml:1]" in result.stdout.splitlines()
    code, found = _findings(repo)
    assert found["stripe.env:1"]["confidence"] == "likely" and not found["stripe.env:1"]["policy"]["failed"]
    assert found["ci.sh:1"]["policy"]["failed"] and code == 1


def test_an_invalid_min_confidence_is_refused(repo: Repo) -> None:
    result = run_cli("scan", str(repo.path), "--min-confidence", "maybe")
    assert result.exit_code == 2
    assert "'maybe' is not one of certain, likely, possible" in result.stderr


@pytest.mark.parametrize(
    ("path", "fixture"),
    [
        ("tests/data/keys.json", True),
        ("pkg/testdata/token.txt", True),
        ("spec/fixtures/user.yml", True),
        ("src/__tests__/api.ts", True),
        ("src/api.test.ts", True),
        ("app/models/user_spec.rb", True),
        ("internal/auth/token_test.go", True),
        ("test_settings.py", True),
        ("src/main/java/AuthTest.java", True),
        ("src/contest/app.py", False),
        ("latest/config.yaml", False),
        ("attestation.py", False),
        ("deploy/.env", False),
        ("specification/app.py", False),
    ],
)
def test_fixture_paths(path: str, fixture: bool) -> None:
    assert is_fixture_path(path) is fixture


@pytest.mark.parametrize("kind", ["rsa", "rsa-encrypted", "pkcs8", "pkcs8-encrypted", "ec", "openssh", "dsa"])
def test_a_pem_key_whose_body_decodes_is_certain(kind: str) -> None:
    block = token(f"{{{{pem:{kind}}}}}")
    assert pem_body_decodes(block)
    assert pem_body_decodes(json.dumps(block)[1:-1])  # JSON-escaped, as in a service-account file
    assert pem_body_decodes("\n".join("    " + line for line in block.splitlines()))  # indented in YAML


@pytest.mark.parametrize(
    "body",
    [
        "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC...\n...\n",  # elided
        "\n".join(["YOURPRIVATEKEYHERE" * 3] * 5),  # a word, repeated (docs)
        "\n".join(["QUJD" * 16] * 4),  # base64 of text, not DER
    ],
)
def test_a_pem_block_that_does_not_decode_is_only_possible(repo: Repo, body: str) -> None:
    assert not pem_body_decodes(f"-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n")


def test_documentation_and_examples_are_possible(repo: Repo) -> None:
    repo.write("examples/service/README.md", f"    export SERVICE_TOKEN={token('{{slack:xoxb}}')}\n")
    repo.write("docs/deploy.rst", f"    export GH_TOKEN={token('{{github:ghp}}')}\n")
    repo.write("CONTRIBUTING.md", f"    DATABASE_URL=postgresql://app:{token('{{password:16}}')}@db.internal/app\n")
    repo.write("keys/examples/pki/private/ssl_key.pem", token("{{pem:rsa}}"))
    repo.commit("docs")
    code, found = _findings(repo)
    assert {where: f["confidence"] for where, f in found.items()} == {
        "docs/deploy.rst:1": "possible",
        "keys/examples/pki/private/ssl_key.pem:1": "possible",
        "CONTRIBUTING.md:1": "possible",
        "examples/service/README.md:1": "possible",
    }
    assert found["docs/deploy.rst:1"]["confidence_reason"] == (
        "checksum or structure checked (github-crc32); "
        "only in documentation and examples (docs/deploy.rst), so possible"
    )
    assert code == 0


@pytest.mark.parametrize("host", ["0.0.0.0", "host.docker.internal", "127.0.0.2", "localhost"])
def test_a_test_database_on_this_machine_does_not_fail_the_gate(repo: Repo, host: str) -> None:
    """tox.ini and CI workflows start their test databases here: a local database is at most low."""
    repo.write(
        "tox.ini", f"[testenv]\nsetenv =\n    DATABASE_URL=mysql://root:{token('{{password:16}}')}@{host}:3306/app\n"
    )
    repo.commit("tox")
    code, found = _findings(repo)
    (finding,) = found.values()
    assert (finding["production"], finding["severity"], finding["policy"]["failed"]) == (False, "low", False)
    assert code == 0


@pytest.mark.parametrize(
    ("path", "line"),
    [
        (".github/workflows/ci.yml", "        mssql+pyodbc://sa:{pw}@localhost:11433/master?driver=FreeTDS\n"),
        ("tox.ini", "    SQLALCHEMY_DATABASE_URI = mssql+pymssql://sa:{pw}@localhost:1433/master\n"),
        ("tox.ini", "    BROKER_URL = amqp://worker:{pw}@127.0.0.1:5672//\n"),
    ],
)
def test_a_url_login_to_a_server_on_this_machine_does_not_fail_the_gate(repo: Repo, path: str, line: str) -> None:
    """A scheme without a provider of its own (SQL Server, AMQP): the host still says it is this machine."""
    password = token("{{random:alnum:12}}")
    repo.write(path, line.format(pw=password))
    repo.commit("ci")
    code, found = _findings(repo)
    (finding,) = found.values()
    assert (finding["rule"], finding["production"], finding["policy"]["failed"]) == (
        "generic-url-credentials",
        False,
        False,
    )
    assert code == 0
    # The same login to another machine fails.
    repo.write(path, line.format(pw=password).replace("localhost", "sql.corp.net").replace("127.0.0.1", "mq.corp.net"))
    repo.commit("remote")
    code, found = _findings(repo)
    (finding,) = found.values()
    assert (finding["production"], finding["policy"]["failed"]) == (None, True)
    assert code == 1


def test_a_token_in_a_json_schema_description_is_documentation(repo: Repo) -> None:
    """Backstage's config.schema.json shows a static token in an option's description: possible, and it passes;
    once the same token is also configured somewhere, it is likely and fails."""
    bearer = token("{{random:base64:32}}")
    described = (
        '{"properties": {"auth": {"properties": {"type": {\n'
        '  "type": "string",\n'
        '  "description": "Tokens are passed along verbatim in the Authorization header:\\n\\n'
        f'``` Authorization: Bearer {bearer} ```"\n'
        "}}}}}\n"
    )
    repo.write("config.schema.json", described)
    repo.commit("schema")
    code, found = _findings(repo)
    (schema,) = found.values()
    assert (schema["rule"], schema["confidence"], schema["policy"]["failed"]) == (
        "generic-bearer-token",
        "possible",
        False,
    )
    assert schema["confidence_reason"].endswith(
        "only in documentation fields (config.schema.json: properties.auth.properties.type.description), so possible"
    )
    assert code == 0
    repo.write("deploy/call.sh", f'curl -H "Authorization: Bearer {bearer}" https://backstage.corp.net/api/catalog\n')
    repo.commit("configured")
    code, found = _findings(repo)
    assert {where: (f["confidence"], f["policy"]["failed"]) for where, f in found.items()} == {
        "config.schema.json:3": ("likely", True),
        "deploy/call.sh:1": ("likely", True),
    }
    assert code == 1


def test_a_key_in_a_jsdoc_example_is_documentation(repo: Repo) -> None:
    """An SDK bundled into a CLI shows a sample key in a JSDoc @example: possible, and it passes. A key in a
    line comment is code commented out: it keeps its confidence and fails."""
    key = json.dumps(token("{{pem:rsa}}"))[1:-1]  # newlines written \n, as a bundler keeps a string
    bundle = (
        "/**\n"
        " * Upload a custom SSL certificate for a zone.\n"
        " *\n"
        " * @example\n"
        " * ```ts\n"
        " * const certificate = await client.customCertificates.create({\n"
        f" *   private_key: '{key}',\n"
        " * });\n"
        " * ```\n"
        " */\n"
        "class CustomCertificates extends APIResource {}\n"
    )
    repo.write("dist/cli.js", bundle)
    repo.commit("bundle")
    code, found = _findings(repo)
    (sample,) = found.values()
    assert (sample["rule"], sample["confidence"], sample["policy"]["failed"]) == ("private-key-pem", "possible", False)
    assert sample["confidence_reason"].endswith("only in documentation comments (dist/cli.js:7), so possible")
    assert code == 0
    repo.write("src/upload.js", f"// const privateKey = '{key}';\n")
    repo.commit("commented out")
    code, found = _findings(repo)
    assert {where: (f["confidence"], f["policy"]["failed"]) for where, f in found.items()} == {
        "dist/cli.js:7": ("certain", True),
        "src/upload.js:1": ("certain", True),
    }
    assert code == 1


def test_a_providers_sighting_names_the_credential_over_a_generic_one() -> None:
    """The same value claimed by a store (or matched by a provider's rule) in one place and matched only by a
    generic rule elsewhere is the provider's credential, whichever was seen first."""
    from credscope.group import group
    from credscope.model import Candidate, Location, Reach

    secret = token("{{uuid4}}")
    generic = Candidate(
        "generic-secret-quoted",
        "generic",
        "token",
        secret,
        Location("a/app.py", 1, 1, Reach.TRACKED, context={"name": "token"}),
    )
    claimed = Candidate(
        "railway-token",
        "railway",
        "account-token",
        secret,
        Location(".railway/config.json", 9, 5, Reach.HOME, context={"name": "token", "store": "railway-config"}),
    )
    for order in ([generic, claimed], [claimed, generic]):
        (credential,) = group(order)
        assert (credential.provider, credential.kind, credential.rule) == ("railway", "account-token", "railway-token")
        assert len(credential.locations) == 2
