"""AWS: who the key is (sts:GetCallerIdentity), then what its own policies allow — attached, inline and group
policies read from IAM, and iam:SimulatePrincipalPolicy where the key may call it. Keys of known canary-token
accounts are never sent anywhere."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from credscope.detect.decoding import aws_account_from_key_id
from credscope.model import Access, Credential, Scope
from credscope.probes.aws_policy import PolicyDocument, analyse
from credscope.probes.base import NotProbed, ProbeFailure, limited, queried, revoked, undetermined
from credscope.probes.client import ProviderSession
from credscope.probes.transport_aws import AwsError, AwsSession

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
    aws = session.aws(key_id, credential.secret, credential.parts.get("session_token"))
    try:
        caller = aws.call("sts", "GetCallerIdentity")
    except AwsError as error:
        if error.code in _INVALID:
            raise revoked(f"GetCallerIdentity: {error.code} — {_INVALID[error.code]}") from None
        raise ProbeFailure(f"GetCallerIdentity: {error.code} (HTTP {error.status})") from None
    arn = str(caller.get("Arn", ""))
    identity = {"arn": arn, "account": str(caller.get("Account", ""))}
    evidence = [f"GetCallerIdentity: {arn}"]
    kind, name, principal_arn = _principal(arn)
    if kind == "root":
        evidence.append("the key belongs to the account root user: every action on every resource, unrevocable by IAM")
        return queried(Access.ADMIN, ["aws:* (root user)"], evidence, identity)
    policies, unread = _policies(aws, kind, name)
    simulated = _simulate(aws, principal_arn) if principal_arn else None
    if unread is not None and simulated is None:
        evidence.append(unread)
        evidence.append("iam:SimulatePrincipalPolicy is not available either, so what the key may do is unknown")
        return undetermined(evidence, identity)
    actions: list[str] = []
    access = Access.READ
    if unread is None:
        analysis = analyse(policies)
        access = analysis.access
        actions.extend(analysis.destructive_actions)
        evidence.extend(analysis.evidence)
    else:
        evidence.append(unread)
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
    return queried(access, limited(actions), limited(evidence), identity)


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


def _policies(aws: AwsSession, kind: str, name: str) -> tuple[list[PolicyDocument], str | None]:
    """The caller's own policy documents, or the reason they cannot be read."""
    reader: Callable[[AwsSession, str], list[PolicyDocument]]
    if kind == "user":
        reader = _user_policies
    elif kind == "role":
        reader = _role_policies
    else:
        return [], "the caller is neither an IAM user nor a role; its policies cannot be listed"
    try:
        return reader(aws, name), None
    except AwsError as error:
        if error.code in _DENIED:
            return [], f"the key may not read its own IAM policies ({error.code})"
        return [], f"its IAM policies could not be read ({error.code})"


def _user_policies(aws: AwsSession, user: str) -> list[PolicyDocument]:
    found = _managed(aws, aws.call("iam", "ListAttachedUserPolicies", UserName=user), f"of user {user}")
    for policy in aws.call("iam", "ListUserPolicies", UserName=user).get("PolicyNames", []):
        document = aws.call("iam", "GetUserPolicy", UserName=user, PolicyName=policy).get("PolicyDocument")
        found.append(PolicyDocument(f"inline policy {policy} of user {user}", "", document))
    for group in aws.call("iam", "ListGroupsForUser", UserName=user).get("Groups", []):
        group_name = str(group.get("GroupName"))
        attached = aws.call("iam", "ListAttachedGroupPolicies", GroupName=group_name)
        found.extend(_managed(aws, attached, f"of group {group_name}"))
        for policy in aws.call("iam", "ListGroupPolicies", GroupName=group_name).get("PolicyNames", []):
            document = aws.call("iam", "GetGroupPolicy", GroupName=group_name, PolicyName=policy).get("PolicyDocument")
            found.append(PolicyDocument(f"inline policy {policy} of group {group_name}", "", document))
    return found


def _role_policies(aws: AwsSession, role: str) -> list[PolicyDocument]:
    found = _managed(aws, aws.call("iam", "ListAttachedRolePolicies", RoleName=role), f"of role {role}")
    for policy in aws.call("iam", "ListRolePolicies", RoleName=role).get("PolicyNames", []):
        document = aws.call("iam", "GetRolePolicy", RoleName=role, PolicyName=policy).get("PolicyDocument")
        found.append(PolicyDocument(f"inline policy {policy} of role {role}", "", document))
    return found


def _managed(aws: AwsSession, listing: dict[str, Any], whose: str) -> list[PolicyDocument]:
    found = []
    for attached in listing.get("AttachedPolicies", []):
        arn = str(attached.get("PolicyArn"))
        version = aws.call("iam", "GetPolicy", PolicyArn=arn).get("Policy", {}).get("DefaultVersionId", "v1")
        document = aws.call("iam", "GetPolicyVersion", PolicyArn=arn, VersionId=version)
        label = f"managed policy {attached.get('PolicyName')}"
        found.append(PolicyDocument(label, arn, document.get("PolicyVersion", {}).get("Document")))
    return found


def _simulate(aws: AwsSession, principal_arn: str) -> tuple[list[str], str] | None:
    """Actions the simulator allows, with a note; None when the key (or the endpoint) cannot simulate."""
    try:
        answer = aws.call("iam", "SimulatePrincipalPolicy", PolicySourceArn=principal_arn, ActionNames=list(SIMULATED))
    except (AwsError, ProbeFailure):
        return None
    allowed = [
        str(result.get("EvalActionName"))
        for result in answer.get("EvaluationResults", [])
        if result.get("EvalDecision") == "allowed"
    ]
    shown = ", ".join(allowed) if allowed else "none of them"
    return allowed, f"iam:SimulatePrincipalPolicy over {len(SIMULATED)} destructive actions allows: {shown}"
