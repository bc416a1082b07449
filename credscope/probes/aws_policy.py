"""What IAM policy documents allow, in credscope's terms: admin, write or read, and which actions destroy.

Destructive: `*`, a service wildcard (`s3:*`), a privilege-escalation action (after cloudsplaining's list), or a
delete/terminate-style action. AWS's own read-only managed policies are taken at their word: they contain a few
verbs (StartQuery, Receive*) that look like writes but change nothing that matters here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from credscope.model import Access

# cloudsplaining's PRIVILEGE_ESCALATION_METHODS, reduced to the single actions that enable each path.
PRIVILEGE_ESCALATION = frozenset(
    a.lower()
    for a in (
        "iam:CreateAccessKey",
        "iam:CreateLoginProfile",
        "iam:UpdateLoginProfile",
        "iam:CreatePolicyVersion",
        "iam:SetDefaultPolicyVersion",
        "iam:AttachUserPolicy",
        "iam:AttachGroupPolicy",
        "iam:AttachRolePolicy",
        "iam:PutUserPolicy",
        "iam:PutGroupPolicy",
        "iam:PutRolePolicy",
        "iam:AddUserToGroup",
        "iam:UpdateAssumeRolePolicy",
        "iam:PassRole",
        "lambda:UpdateFunctionCode",
        "glue:UpdateDevEndpoint",
        "sts:AssumeRole",
    )
)
_DESTRUCTIVE_VERBS = ("Delete", "Terminate", "Remove", "Destroy", "Purge", "Drop", "Deregister", "Detach", "Cancel")
_READ_VERBS = (
    "Get", "List", "Describe", "Head", "View", "Lookup", "Search", "Scan", "Query", "BatchGet", "Select", "Read",
    "Check", "Validate", "Verify", "Preview", "Estimate", "Simulate", "Discover", "Retrieve", "Detect", "Count",
    "Download", "Compare", "Evaluate", "Filter", "Resolve", "Is", "Test", "Generate",
)  # fmt: skip
_READ_ONLY_MANAGED = re.compile(
    r"^arn:aws[a-z-]*:iam::aws:policy/(?:.*/)?(?:\w*ReadOnly\w*|ViewOnlyAccess|SecurityAudit)$"
)


@dataclass(frozen=True)
class PolicyDocument:
    label: str  # "managed policy AdministratorAccess", "inline policy deploy of group ops"
    arn: str  # managed policies only
    document: Any


@dataclass(frozen=True)
class Analysis:
    access: Access
    destructive_actions: tuple[str, ...]
    evidence: tuple[str, ...]


def parse_document(raw: Any) -> Any:
    """IAM returns documents URL-encoded JSON; botocore usually decodes them already."""
    if isinstance(raw, str):
        try:
            return json.loads(unquote(raw))
        except ValueError:
            return {}
    return raw


def analyse(policies: Sequence[PolicyDocument]) -> Analysis:
    access = Access.READ
    actions: list[str] = []
    evidence: list[str] = []
    order = (Access.READ, Access.WRITE, Access.ADMIN)
    for policy in policies:
        if _READ_ONLY_MANAGED.match(policy.arn):
            evidence.append(f"{policy.label} ({policy.arn}) is AWS's own read-only policy")
            continue
        level, found, said = _one(policy)
        access = max(access, level, key=order.index)
        actions.extend(found)
        evidence.extend(said)
    if not policies:
        evidence.append("no policy is attached to the caller: it can authenticate but is allowed nothing more")
    return Analysis(access, tuple(dict.fromkeys(actions)), tuple(evidence))


def _one(policy: PolicyDocument) -> tuple[Access, list[str], list[str]]:
    access = Access.READ
    actions: list[str] = []
    evidence: list[str] = []
    statements = _as_list(parse_document(policy.document).get("Statement") if _is_dict(policy.document) else None)
    writes: list[str] = []
    for statement in statements:
        if not isinstance(statement, dict):
            continue
        if statement.get("Effect") == "Deny":
            evidence.append(f"{policy.label} has explicit Deny statements; they are not subtracted here")
            continue
        if statement.get("Effect") != "Allow":
            continue
        resources = ", ".join(str(r) for r in _as_list(statement.get("Resource"))) or "*"
        if "NotAction" in statement:
            excluded = ", ".join(str(a) for a in _as_list(statement["NotAction"]))
            access = Access.ADMIN
            actions.append(f"aws:* except {excluded} ({_name(policy)})")
            evidence.append(f"{policy.label} allows every action except {excluded} on {resources}")
            continue
        for action in (str(a) for a in _as_list(statement.get("Action"))):
            level, destructive, why = classify(action)
            if level is Access.ADMIN:
                access = Access.ADMIN
            elif level is Access.WRITE and access is Access.READ:
                access = Access.WRITE
            if destructive:
                actions.append(f"aws:{action} ({_name(policy)})")
                evidence.append(f"{policy.label} allows {action} on {resources}{why}")
            elif level is Access.WRITE:
                writes.append(action)
    if writes:
        evidence.append(f"{policy.label} allows changes: {', '.join(dict.fromkeys(writes))}")
    if access is Access.READ and statements:
        evidence.append(f"{policy.label} allows only reads")
    return access, actions, evidence


def classify(action: str) -> tuple[Access, bool, str]:
    """(access, destructive, why) for one Action entry, wildcards included."""
    if action in ("*", "*:*"):
        return Access.ADMIN, True, ": every action"
    service, _, verb = action.partition(":")
    if verb == "*":
        if service.lower() == "iam":
            return Access.ADMIN, True, ": all of IAM, so it can grant itself anything"
        return Access.WRITE, True, f": every {service} action, deletes included"
    if any(_matches(action, known) for known in PRIVILEGE_ESCALATION):
        return Access.ADMIN, True, " (privilege escalation)"
    if any(_may_start_with(verb, destructive) for destructive in _DESTRUCTIVE_VERBS):
        return Access.WRITE, True, ""
    if any(verb.startswith(read) for read in _READ_VERBS):
        return Access.READ, False, ""
    return Access.WRITE, False, ""


def _matches(pattern: str, action: str) -> bool:
    regex = "^" + re.escape(pattern.lower()).replace(r"\*", ".*").replace(r"\?", ".") + "$"
    return re.match(regex, action) is not None


def _may_start_with(verb_pattern: str, verb: str) -> bool:
    """Whether an action matching `verb_pattern` (wildcards allowed) can begin with `verb`."""
    literal = re.split(r"[*?]", verb_pattern, maxsplit=1)[0]
    if literal != verb_pattern:  # has a wildcard
        return verb.startswith(literal) or literal.startswith(verb) or literal == ""
    return verb_pattern.startswith(verb)


def _name(policy: PolicyDocument) -> str:
    return policy.label.split(" ", 2)[-1] if policy.label else "policy"


def _is_dict(value: Any) -> bool:
    return isinstance(parse_document(value), dict)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def names(policies: Iterable[PolicyDocument]) -> tuple[str, ...]:
    return tuple(p.label for p in policies)
