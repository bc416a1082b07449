"""The foundation end to end: a generated repository scanned through the real CLI."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from helpers import Repo, run_cli, token


@pytest.fixture
def planted(repo: Repo) -> dict[str, tuple[str, int, str, str, str]]:
    """One credential of each first provider; returns secret -> (path, line, reach, provider, kind)."""
    github = token("{{github:ghp}}")
    key_id, aws_secret = token("{{aws:akia}}"), token("{{aws-secret}}")
    railway_account = token("{{uuid4}}")
    railway_project = token("{{uuid4}}")
    postgres = token("{{postgres:admin@prod-db.internal:5432/rentals}}")
    pem = token("{{pem:rsa}}")

    repo.write(".gitignore", ".env\nsecrets/\n")
    repo.write(
        "scripts/fix_domains.sh",
        "#!/bin/sh\n"
        "# rotate the custom domains\n"
        f"RAILWAY_API_TOKEN={railway_account}\n"
        "RAILWAY_PROJECT_ID=" + token("{{uuid4}}") + "\n"
        "RAILWAY_ENVIRONMENT_ID=" + token("{{uuid4}}") + "\n"
        "RAILWAY_SERVICE_ID=" + token("{{uuid4}}") + "\n",
    )
    repo.write("app/settings.py", f'import os\n\nDEBUG = False\nGITHUB_TOKEN = "{github}"\n')
    repo.write("config/aws.ini", f"[default]\naws_access_key_id = {key_id}\naws_secret_access_key = {aws_secret}\n")
    repo.commit("initial")
    # Untracked: never added to git.
    repo.write("notes/db.txt", f"prod database:\n\n{postgres}\n")
    # Ignored: matched by .gitignore.
    repo.write(".env", f"RAILWAY_TOKEN={railway_project}\n")
    repo.write("secrets/deploy_key", pem)
    return {
        railway_account: ("scripts/fix_domains.sh", 3, "tracked", "railway", "account-token"),
        github: ("app/settings.py", 4, "tracked", "github", "personal-access-token"),
        aws_secret: ("config/aws.ini", 3, "tracked", "aws", "access-key"),
        postgres: ("notes/db.txt", 3, "untracked", "postgres", "connection-uri"),
        railway_project: (".env", 1, "ignored", "railway", "project-token"),
        pem.strip(): ("secrets/deploy_key", 1, "ignored", "private-key", "private-key"),
    }


def _schema() -> dict[str, object]:
    text = resources.files("credscope").joinpath("schemas/report.schema.json").read_text("utf-8")
    loaded: dict[str, object] = json.loads(text)
    return loaded


def test_every_planted_credential_is_found_with_provider_path_line_and_reach(
    repo: Repo, planted: dict[str, tuple[str, int, str, str, str]]
) -> None:
    result = run_cli("scan", str(repo.path), "--format", "json", "--fail-on", "any", "--show-secrets")
    assert result.exit_code == 1, result.stderr
    report = result.json()
    jsonschema.validate(report, _schema())
    found = {
        f["secret"]: (f["path"], f["line"], f["reach"], f["provider"], f["kind"])
        for f in report["findings"]  # type: ignore[union-attr]
    }
    assert found == planted


def test_aws_key_id_and_secret_are_one_credential(repo: Repo, planted: dict[str, tuple[str, ...]]) -> None:
    report = run_cli("scan", str(repo.path), "--format", "json").json()
    aws = [f for f in report["findings"] if f["provider"] == "aws"]  # type: ignore[union-attr]
    assert len(aws) == 1
    assert set(aws[0]["parts"]) == {"access_key_id"}


def test_no_secret_in_any_output_without_show_secrets(
    repo: Repo, planted: dict[str, tuple[str, ...]], tmp_path: Path
) -> None:
    outputs = []
    for output_format in ("text", "json"):
        result = run_cli("scan", str(repo.path), "--format", output_format)
        outputs += [result.stdout, result.stderr]
        written = tmp_path / f"report.{output_format}"
        run_cli("scan", str(repo.path), "--format", output_format, "--output", str(written))
        outputs.append(written.read_text())
    for secret in planted:
        probe = secret.splitlines()[1] if secret.startswith("-----") else secret
        assert all(probe not in output for output in outputs), f"secret leaked: {secret[:6]}…"
    # The PEM body is never shown; the password inside the URI is masked.
    assert "postgresql://admin:****@prod-db.internal:5432/rentals" in outputs[0]


def test_railway_ids_are_not_findings_but_an_api_token_is(repo: Repo) -> None:
    api_token = token("{{uuid4}}")
    repo.write(
        "deploy.sh",
        "\n".join(
            [
                "#!/usr/bin/env bash",
                "export RAILWAY_PROJECT_ID=" + token("{{uuid4}}"),
                "export RAILWAY_SERVICE_ID=" + token("{{uuid4}}"),
                "export RAILWAY_ENVIRONMENT_ID=" + token("{{uuid4}}"),
                f"export RAILWAY_API_TOKEN={api_token}",
                "railway up",
            ]
        ),
    )
    report = run_cli("scan", str(repo.path), "--format", "json", "--show-secrets").json()
    findings = report["findings"]  # type: ignore[index]
    assert [(f["secret"], f["path"], f["line"], f["kind"]) for f in findings] == [
        (api_token, "deploy.sh", 5, "account-token")
    ]


def test_clean_repository_exits_zero(repo: Repo) -> None:
    repo.write("README.md", "# nothing to see\n")
    repo.write("src/app.py", "import os\nTOKEN = os.environ['RAILWAY_API_TOKEN']\n")
    repo.commit()
    result = run_cli("scan", str(repo.path))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "0 credential(s)" in result.stdout


def test_outside_git_reach_is_file(tmp_path: Path) -> None:
    secret = token("{{github:ghp}}")
    (tmp_path / "t.env").write_text(f"GH_TOKEN={secret}\n")
    report = run_cli("scan", str(tmp_path), "--format", "json").json()
    assert [(f["path"], f["reach"]) for f in report["findings"]] == [("t.env", "file")]  # type: ignore[index]


def test_scanning_a_single_file(tmp_path: Path) -> None:
    (tmp_path / "one.env").write_text(f"GITHUB_TOKEN={token('{{github:ghp}}')}\n")
    report = run_cli("scan", str(tmp_path / "one.env"), "--format", "json").json()
    assert [(f["path"], f["line"]) for f in report["findings"]] == [("one.env", 1)]  # type: ignore[index]


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("scan", str(tmp_path / "nope"))
    assert result.exit_code == 2
    assert result.stderr.strip() == f"credscope: {tmp_path / 'nope'}: no such file or directory"


def test_version() -> None:
    result = run_cli("--version")
    assert result.exit_code == 0
    assert result.stdout.startswith("credscope ")
