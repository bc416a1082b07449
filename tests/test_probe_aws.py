"""AWS --verify against moto's server with IAM authentication on: admin, read-only, deleted key, canary."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from servers.aws import AwsKey, MotoServer

from credscope.catalogue import Catalogue, builtin_provider_dir, load_provider
from credscope.model import Access, Credential, Location, Reach, ScopeSource, Severity, fingerprint_of
from credscope.probes.registry import ProbeRegistry
from credscope.probes.runner import verify
from credscope.probes.settings import ProbeSettings
from credscope.scope.core import severity_of
from credscope.testing.generate import expand

pytest.importorskip("boto3")
pytestmark = pytest.mark.slow


def _catalogue() -> Catalogue:
    return Catalogue({"aws": load_provider(builtin_provider_dir() / "aws.yaml")})


def _credential(key: AwsKey) -> Credential:
    location = Location(path=".env", line=2, column=23, reach=Reach.IGNORED, context={"name": "AWS_SECRET_ACCESS_KEY"})
    return Credential(
        fingerprint=fingerprint_of(key.secret),
        provider="aws",
        kind="access-key",
        rule="aws-secret-access-key",
        secret=key.secret,
        locations=(location,),
        parts={"access_key_id": key.key_id},
    )


def _verified(moto: MotoServer, key: AwsKey, log: Path | None = None) -> tuple[Credential, tuple[str, ...]]:
    settings = ProbeSettings(
        timeout=20,
        endpoints={"aws": moto.endpoint},
        endpoint_origins={"aws": "CREDSCOPE_AWS_ENDPOINT"},
        probe_log=log,
    )
    [credential], notes = verify([_credential(key)], _catalogue(), settings, ProbeRegistry())
    return credential, notes


def test_admin_user_is_admin_with_the_policy_named(moto_server: MotoServer, tmp_path: Path) -> None:
    log = tmp_path / "probe.jsonl"
    credential, notes = _verified(moto_server, moto_server.admin, log)
    scope = credential.scope
    assert scope.scope_source is ScopeSource.QUERIED
    assert scope.access is Access.ADMIN
    assert scope.destructive is True
    assert scope.identity["arn"] == "arn:aws:iam::123456789012:user/admin"
    assert scope.identity["account"] == "123456789012"
    assert "aws:* (AdministratorAccess)" in scope.destructive_actions
    assert "managed policy AdministratorAccess allows * on *: every action" in scope.evidence, scope.evidence
    # moto has no SimulatePrincipalPolicy: said, not hidden.
    assert "iam:SimulatePrincipalPolicy was not available; the verdict rests on the policy documents" in scope.evidence
    assert credential.severity is Severity.CRITICAL
    assert notes == (
        f"Amazon Web Services: live checks went to {moto_server.endpoint} (endpoint override from"
        " CREDSCOPE_AWS_ENDPOINT), not the provider's own hosts",
    )
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert entries[0] == {
        "provider": "aws",
        "method": "RPC",
        "host": moto_server.endpoint.removeprefix("http://"),
        "target": "sts:GetCallerIdentity",
        "status": "200",
    }
    assert {"iam:ListAttachedUserPolicies", "iam:GetPolicyVersion"} <= {e["target"] for e in entries}
    assert moto_server.admin.secret not in log.read_text()


def test_read_only_user_is_read(moto_server: MotoServer) -> None:
    credential, _ = _verified(moto_server, moto_server.reader)
    scope = credential.scope
    assert scope.access is Access.READ
    assert scope.destructive is False
    assert scope.destructive_actions == ()
    assert scope.identity["arn"] == "arn:aws:iam::123456789012:user/auditor"
    assert (
        "managed policy ReadOnlyAccess (arn:aws:iam::aws:policy/ReadOnlyAccess) is AWS's own read-only policy"
        in scope.evidence
    )
    assert credential.severity is severity_of(scope, credential.reaches)  # recomputed from the queried scope


def test_deleted_key_is_none(moto_server: MotoServer) -> None:
    credential, _ = _verified(moto_server, moto_server.deleted)
    scope = credential.scope
    assert scope.access is Access.NONE
    assert scope.destructive is False
    assert scope.scope_source is ScopeSource.QUERIED
    assert scope.evidence == (
        "live check: GetCallerIdentity: InvalidClientTokenId — the access key id does not exist (deleted or never"
        " valid)",
    )


def test_canary_account_is_never_called(moto_server: MotoServer, tmp_path: Path) -> None:
    log = tmp_path / "probe.jsonl"
    canary = AwsKey(expand("{{aws:akia:052310077262}}").text, expand("{{aws-secret}}").text)
    credential, _ = _verified(moto_server, canary, log)
    assert credential.scope.access is Access.UNKNOWN
    assert credential.scope.scope_source is ScopeSource.INFERRED
    assert credential.scope.evidence[-1] == (
        "not checked live: account 052310077262 is a known canary-token account: calling AWS would set the canary off"
    )
    assert log.read_text() == ""


def test_key_id_alone_is_not_sent(moto_server: MotoServer) -> None:
    key_id = moto_server.admin.key_id
    location = Location(path="notes.txt", line=1, column=1, reach=Reach.TRACKED)
    alone = Credential(fingerprint_of(key_id), "aws", "access-key-id", "aws-access-key-id", key_id, (location,))
    settings = ProbeSettings(timeout=5, endpoints={"aws": moto_server.endpoint})
    [credential], _ = verify([alone], _catalogue(), settings, ProbeRegistry())
    assert credential.scope.evidence[-1].startswith("not checked live: the secret access key for this key id")


def test_temporary_keys_of_an_assumed_role_read_the_role_policies(moto_server: MotoServer) -> None:
    role = moto_server.role
    credential = replace(
        _credential(role), parts={"access_key_id": role.key_id, "session_token": moto_server.role_session_token}
    )
    settings = ProbeSettings(timeout=20, endpoints={"aws": moto_server.endpoint})
    [verified], _ = verify([credential], _catalogue(), settings, ProbeRegistry())
    scope = verified.scope
    assert scope.identity["arn"] == "arn:aws:sts::123456789012:assumed-role/deployer/ci"
    assert scope.access is Access.ADMIN
    assert "aws:* (AdministratorAccess)" in scope.destructive_actions
    assert "managed policy AdministratorAccess allows * on *: every action" in scope.evidence
