"""AWS --verify against moto's server with IAM authentication on: admin, read-only, deleted key, canary; keys of
the GovCloud and China partitions; a policy the key may not read; and the simulator asked about the resources the
policies name (moto has none: tests/servers/aws.py's `iam_simulator` answers it in front of moto)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from servers.aws import BUCKET_OBJECTS, AwsKey, IamSimulator, MotoServer

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


def _credential(key: AwsKey, region: str | None = None) -> Credential:
    location = Location(path=".env", line=2, column=23, reach=Reach.IGNORED, context={"name": "AWS_SECRET_ACCESS_KEY"})
    parts = {"access_key_id": key.key_id, **({"region": region} if region else {})}
    return Credential(
        fingerprint=fingerprint_of(key.secret),
        provider="aws",
        kind="access-key",
        rule="aws-secret-access-key",
        secret=key.secret,
        locations=(location,),
        parts=parts,
    )


def _verified(
    moto: MotoServer, key: AwsKey, log: Path | None = None, region: str | None = None, endpoint: str | None = None
) -> tuple[Credential, tuple[str, ...]]:
    settings = ProbeSettings(
        timeout=20,
        endpoints={"aws": endpoint or moto.endpoint},
        endpoint_origins={"aws": "CREDSCOPE_AWS_ENDPOINT"},
        probe_log=log,
    )
    [credential], notes = verify([_credential(key, region)], _catalogue(), settings, ProbeRegistry())
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


def test_deleted_key_with_its_region_beside_it_is_none(moto_server: MotoServer) -> None:
    credential, _ = _verified(moto_server, moto_server.deleted, region="eu-west-1")
    scope = credential.scope
    assert scope.access is Access.NONE
    assert scope.destructive is False
    assert scope.scope_source is ScopeSource.QUERIED
    assert scope.evidence == (
        "live check: GetCallerIdentity: InvalidClientTokenId in the aws partition (the region beside it: eu-west-1)"
        " — the access key id does not exist (deleted or never valid)",
    )


def test_key_rejected_everywhere_without_a_partition_hint_is_unknown_not_revoked(moto_server: MotoServer) -> None:
    credential, _ = _verified(moto_server, moto_server.deleted)
    scope = credential.scope
    assert scope.access is Access.UNKNOWN
    assert scope.evidence[0] == (
        "live check failed: GetCallerIdentity rejected or unanswered in every partition tried (aws:"
        " InvalidClientTokenId, aws-us-gov: InvalidClientTokenId, aws-cn: InvalidClientTokenId), and nothing beside"
        " the key names its partition: revoked, or a key of a partition credscope cannot reach — not called revoked"
    )


@pytest.mark.parametrize(("who", "region", "arn"), [
    ("gov", "us-gov-west-1", "arn:aws-us-gov:iam::123456789012:user/gov-admin"),
    ("china", "cn-north-1", "arn:aws-cn:iam::123456789012:user/cn-ops"),
])  # fmt: skip
def test_govcloud_and_china_keys_are_asked_in_their_partition(
    moto_server: MotoServer, who: str, region: str, arn: str
) -> None:
    credential, _ = _verified(moto_server, getattr(moto_server, who), region=region)
    scope = credential.scope
    assert scope.scope_source is ScopeSource.QUERIED
    assert scope.access is Access.ADMIN
    assert scope.destructive is True
    assert scope.identity["arn"] == arn
    assert scope.identity["partition"] == arn.split(":")[1]
    assert scope.evidence[0] == f"asked in the {arn.split(':')[1]} partition (the region beside it: {region})"
    assert f"aws:* (everything of user {arn.rsplit('/', 1)[-1]})" in scope.destructive_actions


def test_govcloud_key_without_a_hint_is_found_in_its_partition(moto_server: MotoServer) -> None:
    credential, _ = _verified(moto_server, moto_server.gov)
    scope = credential.scope
    assert scope.access is Access.ADMIN
    assert scope.evidence[0] == "rejected in aws: InvalidClientTokenId; valid in the aws-us-gov partition"


def test_one_unreadable_policy_keeps_the_others(moto_server: MotoServer) -> None:
    """`partial` may read its inline policy but not the managed policy of its group: what was read still counts."""
    credential, _ = _verified(moto_server, moto_server.partial)
    scope = credential.scope
    assert scope.access is Access.WRITE
    assert scope.destructive is True
    assert scope.destructive_actions == ("aws:s3:DeleteObject (self-read of user partial)",)
    assert f"inline policy self-read of user partial allows s3:DeleteObject on {BUCKET_OBJECTS}" in scope.evidence
    assert (
        "the key may not read managed policy ops-wide of group ops (iam:GetPolicy: AccessDenied)" in scope.evidence
    ), scope.evidence


def test_simulator_is_asked_about_the_resources_the_policies_name(
    moto_server: MotoServer, iam_simulator: IamSimulator
) -> None:
    iam_simulator.simulations.clear()
    credential, _ = _verified(moto_server, moto_server.scoped, endpoint=iam_simulator.url)
    scope = credential.scope
    [asked] = iam_simulator.simulations
    assert [asked[k][0] for k in sorted(asked) if k.startswith("ResourceArns.member.")] == ["*", BUCKET_OBJECTS]
    assert (
        "iam:SimulatePrincipalPolicy over 12 destructive actions on * and 1 resources the policies name allows:"
        f" s3:DeleteObject on {BUCKET_OBJECTS}"
    ) in scope.evidence, scope.evidence
    assert f"aws:s3:DeleteObject on {BUCKET_OBJECTS} (simulated)" in scope.destructive_actions
    assert (scope.access, scope.destructive) == (Access.WRITE, True)


def test_a_key_that_may_only_simulate_is_not_read_only(moto_server: MotoServer, iam_simulator: IamSimulator) -> None:
    """`blind` may delete objects in one bucket; asked about "*" alone the simulator says denied: not proof."""
    credential, _ = _verified(moto_server, moto_server.blind, endpoint=iam_simulator.url)
    scope = credential.scope
    assert scope.access is Access.UNKNOWN
    assert scope.destructive is None
    assert scope.evidence[-1] == (
        "what the unread policies allow is unknown: the key may be able to change or delete more"
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
