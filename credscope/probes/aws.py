"""AWS: who the key is (sts:GetCallerIdentity), then what its own policies allow — attached, inline and group
policies read from IAM, and iam:SimulatePrincipalPolicy where the key may call it. Keys of known canary-token
accounts are never sent anywhere.

A key is valid in one partition (commercial, GovCloud, China): it is asked in the one its context names (a region
beside it, its profile's region, an endpoint), else in each in turn; a key every partition rejects without such a
hint is unknown, never revoked. A policy the key may not read is named as unread, and the others still count. The
simulator is asked about the resources the policies name: an Allow on one bucket is denied for "*".
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from credscope.detect.decoding import aws_account_from_key_id
from credscope.model import Access, Credential, Scope
from credscope.probes.aws_policy import PolicyDocument, analyse
from credscope.probes.base import NotProbed, ProbeFailure, limited, queried, revoked, undetermined
from credscope.probes.client import ProviderSession
from credscope.probes.transport_aws import PARTITIONS, AwsError, AwsSession

# Thinkst canarytokens and look-alike canary accounts (TruffleHog's canary.go): GetCallerIdentity would alert.
CANARY_ACCOUNTS = frozenset(
    (
        "052310077262",
        "171436882533",
        "534261010715",
        "595918472158",
        "717712589309",
        "819147034852",
        "992382622183",
        "730335385048",
        "266735846894",
        "893192397702",
        "044858866125",
        "251535659677",
        "344043088457",
        "351906852752",
        "390477818340",
        "426127672474",
        "427150556519",
        "439872796651",
        "445142720921",
        "465867158099",
        "637958123769",
        "693412236332",
        "732624840810",
        "735421457923",
        "959235150393",
        "982842642351",
    )
)
_INVALID = {
    "InvalidClientTokenId": "the access key id does not exist (deleted or never valid)",
    "SignatureDoesNotMatch": "the secret does not match the access key id",
    "ExpiredToken": "the temporary credentials have expired",
    "ExpiredTokenException": "the temporary credentials have expired",
    "InvalidAccessKeyId": "the access key id does not exist",
    "UnrecognizedClientException": "the access key id is not recognised",
    "AuthFailure": "AWS could not authenticate the key",
}
_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}
# Sampled with SimulatePrincipalPolicy: privilege escalation and the deletes that destroy the most.
SIMULATED = (
    "iam:CreateAccessKey",
    "iam:AttachUserPolicy",
    "iam:PutUserPolicy",
    "iam:PassRole",
    "s3:DeleteBucket",
    "s3:DeleteObject",
    "ec2:TerminateInstances",
    "rds:DeleteDBInstance",
    "dynamodb:DeleteTable",
    "lambda:DeleteFunction",
    "kms:ScheduleKeyDeletion",
    "cloudformation:DeleteStack",
)


def probe(credential: Credential, session: ProviderSession) -> Scope:
    key_id = credential.parts.get("access_key_id")
    if credential.kind == "access-key-id" or not key_id:
        raise NotProbed("the secret access key for this key id was not found, so there is nothing to ask AWS with")
    account = aws_account_from_key_id(key_id)
    if account in CANARY_ACCOUNTS:
        raise NotProbed(f"account {account} is a known canary-token account: calling AWS would set the canary off")
    aws, caller, said = _caller(session, credential, key_id)
    arn = str(caller.get("Arn", ""))
    identity = {"arn": arn, "account": str(caller.get("Account", "")), "partition": aws.partition}
    evidence = [*said, f"GetCallerIdentity: {arn}"]
    kind, name, principal_arn = _principal(arn)
    if kind == "root":
        evidence.append("the key belongs to the account root user: every action on every resource, unrevocable by IAM")
        return queried(Access.ADMIN, ["aws:* (root user)"], evidence, identity)
    policies, unread = _policies(aws, kind, name)
    simulated = _simulate(aws, principal_arn, policies) if principal_arn else None
    if not policies and unread and simulated is None:
        evidence.extend(unread)
        evidence.append("iam:SimulatePrincipalPolicy is not available either, so what the key may do is unknown")
        return undetermined(evidence, identity)
    actions: list[str] = []
    access = Access.READ
    destructive: bool | None = None
    if policies or not unread:
        analysis = analyse(policies)
        access = analysis.access
        actions.extend(analysis.destructive_actions)
        evidence.extend(analysis.evidence)
    evidence.extend(unread)
    if simulated is None:
        evidence.append("iam:SimulatePrincipalPolicy was not available; the verdict rests on the policy documents")
    else:
        allowed, note = simulated
        evidence.append(note)
        actions.extend(f"aws:{a} (simulated)" for a in allowed)
        if any(a.startswith("iam:") for a in allowed):
            access = Access.ADMIN
        elif allowed and access is Access.READ:
            access = Access.WRITE
    if unread and not actions:
        # An unread policy may allow what nothing read shows: not "read-only", but unknown beyond what was seen.
        evidence.append("what the unread policies allow is unknown: the key may be able to change or delete more")
        unknown = undetermined(limited(evidence), identity)
        return unknown if access is Access.READ else replace(unknown, access=access)
    if actions:
        destructive = True
    elif not unread:
        destructive = False
    return queried(access, limited(actions), limited(evidence), identity, destructive)


def _caller(
    session: ProviderSession, credential: Credential, key_id: str
) -> tuple[AwsSession, dict[str, Any], list[str]]:
    """GetCallerIdentity in the key's partition: the one its context names, else each in turn."""
    hinted, why = partition_hint(credential)
    order = [hinted] if hinted else list(PARTITIONS)
    rejected: list[str] = []
    unreachable: list[str] = []
    code = ""
    for partition in order:
        aws = session.aws(key_id, credential.secret, credential.parts.get("session_token"), partition)
        try:
            caller = aws.call("sts", "GetCallerIdentity")
        except AwsError as error:
            if error.code not in _INVALID:
                raise ProbeFailure(f"GetCallerIdentity ({partition}): {error.code} (HTTP {error.status})") from None
            rejected.append(f"{partition}: {error.code}")
            code = error.code
            continue
        except ProbeFailure as failure:
            unreachable.append(f"{partition}: {failure.reason}")
            continue
        said = [f"asked in the {partition} partition ({why})"] if hinted and partition != "aws" else []
        if not hinted and partition != "aws":
            said = [f"rejected in {', '.join(rejected)}; valid in the {partition} partition"]
        return aws, caller, said
    if hinted and rejected:
        raise revoked(f"GetCallerIdentity: {code} in the {hinted} partition ({why}) — {_INVALID[code]}")
    if unreachable and not rejected:
        raise ProbeFailure("GetCallerIdentity: " + "; ".join(unreachable))
    tried = ", ".join([*rejected, *unreachable])
    raise ProbeFailure(
        f"GetCallerIdentity rejected or unanswered in every partition tried ({tried}), and nothing beside the key"
        " names its partition: revoked, or a key of a partition credscope cannot reach — not called revoked"
    )


_PARTITION_OF_REGION = (("us-gov-", "aws-us-gov"), ("cn-", "aws-cn"))
_PARTITION_OF_ENDPOINT = ((".amazonaws.com.cn", "aws-cn"), ("us-gov", "aws-us-gov"))


def partition_hint(credential: Credential) -> tuple[str | None, str]:
    """The partition the key's context names, and how: a region beside it, its profile's region, an endpoint."""
    hints: list[tuple[str, str]] = []
    if credential.parts.get("region"):
        hints.append((credential.parts["region"], "the region beside it"))
    for location in credential.locations:
        for key in ("region", "sso_region"):
            if location.context.get(key):
                hints.append((location.context[key], f"{key} of its profile"))
    for region, why in hints:
        for prefix, partition in _PARTITION_OF_REGION:
            if region.startswith(prefix):
                return partition, f"{why}: {region}"
        return "aws", f"{why}: {region}"
    for location in credential.locations:
        for value in location.context.values():
            for suffix, partition in _PARTITION_OF_ENDPOINT:
                if suffix in value and "amazonaws" in value:
                    return partition, f"the endpoint beside it: {value[:80]}"
    return None, ""


def _principal(arn: str) -> tuple[str, str, str]:
    """(kind, name, arn to simulate): kind is root, user, role or other."""
    head, _, resource = arn.partition(":assumed-role/") if ":assumed-role/" in arn else ("", "", "")
    if resource:
        role = resource.split("/", 1)[0]
        account = head.rsplit(":", 1)[-1]
        partition = arn.split(":")[1] if arn.count(":") > 1 else "aws"
        return "role", role, f"arn:{partition}:iam::{account}:role/{role}"
    if arn.endswith(":root"):
        return "root", "", ""
    if ":user/" in arn:
        return "user", arn.rsplit("/", 1)[-1], arn
    return "other", "", ""


class _Reader:
    """Reads the caller's own policies, one call at a time: a call it may not make leaves that part unread (and
    named), never the whole — a denied GetPolicy does not discard the policies already read."""

    def __init__(self, aws: AwsSession) -> None:
        self.aws = aws
        self.found: list[PolicyDocument] = []
        self.unread: list[str] = []

    def call(self, what: str, operation: str, **params: Any) -> dict[str, Any] | None:
        try:
            return self.aws.call("iam", operation, **params)
        except AwsError as error:
            if error.code in _DENIED:
                self.unread.append(f"the key may not read {what} (iam:{operation}: {error.code})")
            else:
                self.unread.append(f"{what} could not be read (iam:{operation}: {error.code})")
            return None

    def inline(self, owner: str, names_op: str, get_op: str, **who: str) -> None:
        listing = self.call(f"the inline policies of {owner}", names_op, **who)
        for policy in (listing or {}).get("PolicyNames", []):
            got = self.call(f"inline policy {policy} of {owner}", get_op, PolicyName=policy, **who)
            if got is not None:
                self.found.append(PolicyDocument(f"inline policy {policy} of {owner}", "", got.get("PolicyDocument")))

    def managed(self, owner: str, list_op: str, **who: str) -> None:
        listing = self.call(f"the managed policies attached to {owner}", list_op, **who)
        for attached in (listing or {}).get("AttachedPolicies", []):
            arn = str(attached.get("PolicyArn"))
            label = f"managed policy {attached.get('PolicyName')}"
            policy = self.call(f"{label} of {owner}", "GetPolicy", PolicyArn=arn)
            if policy is None:
                continue
            version = policy.get("Policy", {}).get("DefaultVersionId", "v1")
            document = self.call(f"{label} of {owner}", "GetPolicyVersion", PolicyArn=arn, VersionId=version)
            if document is not None:
                self.found.append(PolicyDocument(label, arn, document.get("PolicyVersion", {}).get("Document")))


def _policies(aws: AwsSession, kind: str, name: str) -> tuple[list[PolicyDocument], list[str]]:
    """The caller's own policy documents that could be read, and what could not be (one sentence each)."""
    reader = _Reader(aws)
    if kind == "user":
        reader.managed(f"user {name}", "ListAttachedUserPolicies", UserName=name)
        reader.inline(f"user {name}", "ListUserPolicies", "GetUserPolicy", UserName=name)
        groups = reader.call(f"the groups of user {name}", "ListGroupsForUser", UserName=name)
        for group in (groups or {}).get("Groups", []):
            group_name = str(group.get("GroupName"))
            reader.managed(f"group {group_name}", "ListAttachedGroupPolicies", GroupName=group_name)
            reader.inline(f"group {group_name}", "ListGroupPolicies", "GetGroupPolicy", GroupName=group_name)
    elif kind == "role":
        reader.managed(f"role {name}", "ListAttachedRolePolicies", RoleName=name)
        reader.inline(f"role {name}", "ListRolePolicies", "GetRolePolicy", RoleName=name)
    else:
        reader.unread.append("the caller is neither an IAM user nor a role; its policies cannot be listed")
    return reader.found, reader.unread


_MOST_RESOURCES = 20


def _simulate(aws: AwsSession, principal_arn: str, policies: list[PolicyDocument]) -> tuple[list[str], str] | None:
    """Actions the simulator allows, with a note; None when the key (or the endpoint) cannot simulate.

    Without ResourceArns the simulator asks about "*", and an Allow on one bucket answers "denied": the resources the
    policies that were read name are asked about too.
    """
    resources = resources_named(policies)
    params: dict[str, Any] = {"PolicySourceArn": principal_arn, "ActionNames": list(SIMULATED)}
    if resources:
        params["ResourceArns"] = ["*", *resources]
    try:
        answer = aws.call("iam", "SimulatePrincipalPolicy", **params)
    except (AwsError, ProbeFailure):
        return None
    allowed: list[str] = []
    for result in answer.get("EvaluationResults", []):
        action = str(result.get("EvalActionName"))
        where = [
            str(r.get("EvalResourceName"))
            for r in result.get("ResourceSpecificResults") or []
            if r.get("EvalResourceDecision") == "allowed"
        ]
        if result.get("EvalDecision") == "allowed" and not where:
            where = [str(result.get("EvalResourceName") or "*")]
        allowed.extend(f"{action} on {resource}" for resource in dict.fromkeys(where))
    shown = ", ".join(allowed) if allowed else "none of them"
    asked = f" on * and {len(resources)} resources the policies name" if resources else " on *"
    return allowed, f"iam:SimulatePrincipalPolicy over {len(SIMULATED)} destructive actions{asked} allows: {shown}"


def resources_named(policies: list[PolicyDocument]) -> list[str]:
    """The specific resources (not "*") that Allow statements of the read policies name."""
    from credscope.probes.aws_policy import parse_document  # noqa: PLC0415

    found: list[str] = []
    for policy in policies:
        document = parse_document(policy.document)
        statements = document.get("Statement") if isinstance(document, dict) else None
        for statement in statements if isinstance(statements, list) else [statements]:
            if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
                continue
            named = statement.get("Resource")
            for resource in named if isinstance(named, list) else [named]:
                if isinstance(resource, str) and resource != "*" and resource.startswith("arn:"):
                    found.append(resource)
    return list(dict.fromkeys(found))[:_MOST_RESOURCES]
