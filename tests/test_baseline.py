"""Baselines: known credentials pass, a new one fails alone, moving code does not churn, no secret stored."""

from __future__ import annotations

import hashlib
import json
import os
import pty
import subprocess
import sys
import time

import pytest

from credscope.baseline import load_baseline
from credscope.errors import ConfigError
from credscope.model import fingerprint_of

from helpers import Repo, run_cli, token

BASELINE = ".credscope-baseline.json"


@pytest.fixture
def known(repo: Repo) -> tuple[Repo, dict[str, str]]:
    """A repository with two GitHub tokens, baselined."""
    values = {"app": token("{{github:ghp}}"), "ci": token("{{github:ghp}}")}
    repo.write("app.py", f'import os\n\nGITHUB_TOKEN = "{values["app"]}"\n')
    repo.write("ci/deploy.env", f"GH_TOKEN={values['ci']}\n")
    repo.commit("init")
    created = run_cli("baseline", "create", cwd=repo.path)
    assert created.exit_code == 0, created.stderr
    assert created.stderr == f"credscope: wrote 2 credential(s) to {BASELINE}\n"
    return repo, values


def _scan(repo: Repo, *args: str) -> tuple[int, list[tuple[str, str, int, str]], list[str]]:
    result = run_cli("scan", ".", "--format", "json", "--fail-on", "any", "--baseline", BASELINE, *args, cwd=repo.path)
    assert result.exit_code in (0, 1), result.stderr
    report = result.json()
    findings = sorted((f["rule"], f["path"], f["line"], f["fingerprint"]) for f in report["findings"])  # type: ignore[union-attr]
    return result.exit_code, findings, report["notes"]  # type: ignore[return-value]


def test_baseline_file_has_fingerprints_and_no_secret(known: tuple[Repo, dict[str, str]]) -> None:
    repo, values = known
    text = (repo.path / BASELINE).read_text()
    for secret in values.values():
        assert secret not in text
        assert secret[4:] not in text
    document = json.loads(text)
    assert document["version"] == 1
    assert document["credentials"] == sorted(
        [
            {
                "fingerprint": fingerprint_of(values["app"]),
                "provider": "github",
                "kind": "personal-access-token",
                "rule": "github-pat-classic",
                "paths": ["app.py"],
                "accepted": False,
                "reason": None,
                "origin": "scan",
            },
            {
                "fingerprint": fingerprint_of(values["ci"]),
                "provider": "github",
                "kind": "personal-access-token",
                "rule": "github-pat-classic",
                "paths": ["ci/deploy.env"],
                "accepted": False,
                "reason": None,
                "origin": "scan",
            },
        ],
        key=lambda entry: entry["fingerprint"],
    )


def test_baseline_makes_the_next_scan_pass(known: tuple[Repo, dict[str, str]]) -> None:
    repo, _ = known
    code, findings, notes = _scan(repo)
    assert (code, findings) == (0, [])
    assert notes == [f"2 credential(s) not reported: in baseline {BASELINE}"]
    # Without the baseline the same scan fails on both.
    plain = run_cli("scan", ".", "--format", "json", "--fail-on", "any", cwd=repo.path)
    assert plain.exit_code == 1
    assert len(plain.json()["findings"]) == 2  # type: ignore[arg-type]


def test_a_new_credential_fails_and_only_it_is_named(known: tuple[Repo, dict[str, str]]) -> None:
    repo, _ = known
    new = token("{{github:ghp}}")
    repo.write("tools/release.py", f'TOKEN = "{new}"\n')
    code, findings, notes = _scan(repo)
    assert code == 1
    assert findings == [("github-pat-classic", "tools/release.py", 1, fingerprint_of(new))]
    assert notes == [f"2 credential(s) not reported: in baseline {BASELINE}"]
    text = run_cli("scan", ".", "--fail-on", "any", "--baseline", BASELINE, cwd=repo.path)
    assert text.exit_code == 1
    assert "tools/release.py:1:" in text.stdout
    assert "app.py" not in text.stdout and "deploy.env" not in text.stdout


def test_moving_an_old_credential_does_not_fail(known: tuple[Repo, dict[str, str]]) -> None:
    repo, values = known
    # To another line of the same file, and a copy into another file.
    repo.write("app.py", f'"""Docs."""\nimport os\nimport sys\n\n\nGITHUB_TOKEN = "{values["app"]}"\n')
    repo.write("lib/settings.py", f"# moved\nCI_TOKEN = '{values['ci']}'\n")
    (repo.path / "ci/deploy.env").unlink()
    code, findings, _ = _scan(repo)
    assert (code, findings) == (0, [])


def test_update_keeps_accepted_adds_new_drops_gone(known: tuple[Repo, dict[str, str]]) -> None:
    repo, values = known
    fp_app, fp_ci = fingerprint_of(values["app"]), fingerprint_of(values["ci"])
    accepted = run_cli("baseline", "audit", "--accept", fp_app[:12], "--reason", "revoked  2026-05-01", cwd=repo.path)
    assert accepted.exit_code == 0, accepted.stderr
    assert accepted.stderr == f"credscope: {BASELINE}: 1 of 2 accepted\n"
    new = token("{{github:ghp}}")
    repo.write("new.py", f'T = "{new}"\n')
    (repo.path / "ci/deploy.env").unlink()
    updated = run_cli("baseline", "update", cwd=repo.path)
    assert updated.exit_code == 0, updated.stderr
    assert updated.stderr == f"credscope: {BASELINE}: 2 credential(s), 1 added, 1 dropped\n"
    baseline = load_baseline(repo.path / BASELINE)
    assert sorted(baseline.entries) == sorted([fp_app, fingerprint_of(new)])
    assert (baseline.entries[fp_app].accepted, baseline.entries[fp_app].reason) == (True, "revoked 2026-05-01")
    assert baseline.entries[fingerprint_of(new)].accepted is False
    assert fp_ci not in baseline.entries


def test_audit_flags(known: tuple[Repo, dict[str, str]]) -> None:
    repo, values = known
    fp_app = fingerprint_of(values["app"])
    no_reason = run_cli("baseline", "audit", "--accept", fp_app[:12], cwd=repo.path)
    assert no_reason.exit_code == 2
    assert no_reason.stderr == "credscope: --accept needs --reason TEXT: say why the credential is acceptable\n"
    unknown = run_cli("baseline", "audit", "--accept", "ffffffffffff", "--reason", "x", cwd=repo.path)
    assert unknown.exit_code == 2
    assert unknown.stderr == f"credscope: {BASELINE}: ffffffffffff: no baseline entry matches\n"
    run_cli("baseline", "audit", "--accept", fp_app[:12], "--reason", "test fixture", cwd=repo.path)
    listing = run_cli("baseline", "audit", cwd=repo.path)
    assert listing.exit_code == 0
    fp_ci = fingerprint_of(values["ci"])
    assert listing.stdout.splitlines() == sorted(
        [
            f"{fp_app[:16]}  github personal-access-token  app.py  [accepted: test fixture]",
            f"{fp_ci[:16]}  github personal-access-token  ci/deploy.env  [not reviewed]",
        ]
    )
    back = run_cli("baseline", "audit", "--unaccept", fp_app[:12], cwd=repo.path)
    assert back.exit_code == 0
    assert load_baseline(repo.path / BASELINE).entries[fp_app].accepted is False


def test_audit_interactive_on_a_terminal(known: tuple[Repo, dict[str, str]]) -> None:
    repo, values = known
    order = sorted([fingerprint_of(values["app"]), fingerprint_of(values["ci"])])
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "credscope", "baseline", "audit"],
        cwd=repo.path,
        stdin=terminal,
        stdout=terminal,
        stderr=subprocess.PIPE,
        env={**os.environ, "NO_COLOR": "1", "TERM": "dumb"},
    )
    os.close(terminal)
    transcript = b""

    def read_until(marker: bytes) -> None:
        nonlocal transcript
        deadline = time.monotonic() + 60
        while marker not in transcript.split(b"\n")[-1] and time.monotonic() < deadline:
            transcript += os.read(controller, 4096)

    # Accept the first entry with a reason, skip the second.
    read_until(b"accept?")
    os.write(controller, b"y\n")
    read_until(b"reason")
    os.write(controller, b"kept for the parser tests\n")
    read_until(b"accept?")
    os.write(controller, b"n\n")
    _, stderr = process.communicate(timeout=60)
    os.close(controller)
    assert process.returncode == 0, stderr
    assert b"2 entr(ies) to review" in transcript
    baseline = load_baseline(repo.path / BASELINE)
    assert (baseline.entries[order[0]].accepted, baseline.entries[order[0]].reason) == (
        True,
        "kept for the parser tests",
    )
    assert baseline.entries[order[1]].accepted is False


def test_create_refuses_to_overwrite(known: tuple[Repo, dict[str, str]]) -> None:
    repo, _ = known
    again = run_cli("baseline", "create", cwd=repo.path)
    assert again.exit_code == 2
    assert again.stderr == f"credscope: {BASELINE}: already exists; use `credscope baseline update` (or --force)\n"
    forced = run_cli("baseline", "create", "--force", cwd=repo.path)
    assert forced.exit_code == 0


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ("{not json", "", "invalid JSON: Expecting property name enclosed in double quotes at line 1"),
        ('{"version": 2, "credentials": []}', "version", "1 was expected"),
        ('{"version": 1, "credentials": [{"fingerprint": "abc"}]}', "credentials.0", "'provider' is a required"),
    ],
)
def test_broken_baseline(repo: Repo, text: str, key: str, problem: str) -> None:
    path = repo.write("known.json", text)
    with pytest.raises(ConfigError) as raised:
        load_baseline(path)
    assert raised.value.key == key
    result = run_cli("scan", ".", "--baseline", "known.json", cwd=repo.path)
    assert result.exit_code == 2
    where = f"known.json: {key}: " if key else "known.json: "
    assert result.stderr.startswith(f"credscope: {where}{problem}")


def test_import_detect_secrets_baseline(repo: Repo) -> None:
    github, key_id, secret = token("{{github:ghp}}"), token("{{aws:akia}}"), token("{{aws-secret}}")
    repo.write("app.py", f'GITHUB_TOKEN = "{github}"\n')
    repo.write("deploy.sh", f"export AWS_ACCESS_KEY_ID={key_id}\nexport AWS_SECRET_ACCESS_KEY={secret}\n")
    repo.commit("init")
    # The real detect-secrets writes the baseline; auditing marks the GitHub token "not a secret".
    scanned = subprocess.run(
        [sys.executable, "-m", "detect_secrets", "scan", "app.py", "deploy.sh"],
        cwd=repo.path,
        capture_output=True,
        text=True,
        check=True,
    )
    document = json.loads(scanned.stdout)
    sha1 = {name: hashlib.sha1(value.encode()).hexdigest() for name, value in [("gh", github), ("akid", key_id)]}
    for item in document["results"]["app.py"]:
        if item["hashed_secret"] == sha1["gh"]:
            item["is_secret"] = False
    repo.write(".secrets.baseline", json.dumps(document, indent=2))
    hashes = {item["hashed_secret"] for items in document["results"].values() for item in items}
    assert {sha1["gh"], sha1["akid"]} <= hashes
    expected_unmatched = [
        f"  not matched: {name}:{item['line_number']} ({item['type']})"
        for name, items in sorted(document["results"].items())
        for item in items
        if item["hashed_secret"] not in (sha1["gh"], sha1["akid"], hashlib.sha1(secret.encode()).hexdigest())
    ]

    imported = run_cli("baseline", "import", ".secrets.baseline", cwd=repo.path)
    assert imported.exit_code == 0, imported.stderr
    assert imported.stderr.splitlines() == [
        f"credscope: {BASELINE}: imported 2 detect-secrets entr(ies) as 2 credential(s); "
        f"{len(expected_unmatched)} matched nothing credscope finds",
        *expected_unmatched,
    ]
    baseline = load_baseline(repo.path / BASELINE)
    gh, aws = fingerprint_of(github), fingerprint_of(secret)
    assert sorted(baseline.entries) == sorted([gh, aws])
    assert (baseline.entries[gh].accepted, baseline.entries[gh].reason, baseline.entries[gh].origin) == (
        True,
        "audited in detect-secrets as not a secret",
        "detect-secrets",
    )
    assert (baseline.entries[aws].provider, baseline.entries[aws].paths, baseline.entries[aws].accepted) == (
        "aws",
        ("deploy.sh",),
        False,
    )
    text = (repo.path / BASELINE).read_text()
    assert github not in text and secret not in text and key_id not in text
    # The imported baseline makes the scan pass.
    code, findings, _ = _scan(repo)
    assert (code, findings) == (0, [])
