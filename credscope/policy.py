"""Policy: which credentials fail the run, from their scope, and why.

`--fail-on admin` (the default) fails on any credential that can administer or destroy beyond one resource;
`write` also on bounded write access; `any` on every credential; `none` never. A credential whose access is
unknown counts as `unknown_as` (admin by default: what cannot be known may be the worst). A credential that
only reaches test mode, localhost or a throw-away value fails only `--fail-on any`. A severity instead
(`critical`, `high`, `medium`, `low`) fails on every credential at or above it, as gitleaks and SARIF users
gate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from credscope.model import Access, Credential, PolicyVerdict, Severity


class FailOn(str, Enum):
    ADMIN = "admin"
    WRITE = "write"
    ANY = "any"
    NONE = "none"
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


FAIL_ON_CHOICES = ", ".join(choice.value for choice in FailOn)


_FAILING_ACCESS = {
    FailOn.ADMIN: frozenset({Access.ADMIN}),
    FailOn.WRITE: frozenset({Access.ADMIN, Access.WRITE}),
}
UNKNOWN_AS_CHOICES = (Access.ADMIN, Access.WRITE, Access.READ)


@dataclass(frozen=True)
class Policy:
    fail_on: FailOn = FailOn.ADMIN
    # What a credential whose access cannot be known counts as; conservative by default.
    unknown_as: Access = Access.ADMIN

    def __post_init__(self) -> None:
        if self.unknown_as not in UNKNOWN_AS_CHOICES:
            raise ValueError(f"unknown_as must be admin, write or read, not {self.unknown_as.value}")

    def judge(self, credentials: Sequence[Credential]) -> PolicyVerdict:
        reasons: dict[str, str] = {}
        for credential in credentials:
            reason = self.reason(credential)
            if reason:
                reasons[credential.fingerprint] = reason
        return PolicyVerdict(passed=not reasons, threshold=self.fail_on.value, failing=tuple(reasons), reasons=reasons)

    def reason(self, credential: Credential) -> str | None:
        """Why this credential fails the policy, in words a person can check; None when it passes."""
        scope = credential.scope
        access = scope.access
        effective = self.unknown_as if access is Access.UNKNOWN else access
        shown = f"unknown, counted as {effective.value} (--unknown-as)" if access is Access.UNKNOWN else access.value
        destroys = f"; can destroy: {', '.join(scope.destructive_actions)}" if scope.destructive_actions else ""
        match self.fail_on:
            case FailOn.NONE:
                return None
            case FailOn.CRITICAL | FailOn.HIGH | FailOn.MEDIUM | FailOn.LOW:
                if credential.severity.rank < Severity(self.fail_on.value).rank:
                    return None
                severity = credential.severity.value
                return f"--fail-on {self.fail_on.value}: severity {severity} (access {shown}){destroys}"
            case FailOn.ANY:
                return f"--fail-on any: a {credential.provider} {credential.kind} was found (access {shown})"
            case FailOn.ADMIN | FailOn.WRITE:
                if effective not in _FAILING_ACCESS[self.fail_on] or scope.production is False:
                    return None
                return f"--fail-on {self.fail_on.value}: access {shown}{destroys}"
