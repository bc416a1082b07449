"""Policy: which credentials fail the run, from their scope, and why.

`--fail-on admin` (the default) fails on any credential that can administer or destroy beyond one resource;
`write` also on bounded write access; `any` on every credential; `none` never. A credential whose access is
unknown counts as `unknown_as` (admin by default: what cannot be known may be the worst). A credential that
only reaches test mode, localhost or a throw-away value fails only `--fail-on any`. A severity instead
(`critical`, `high`, `medium`, `low`) fails on every credential at or above it, as gitleaks and SARIF users
gate.

Only findings at least as sure as `min_confidence` (likely by default: every provider format, and generic
values with strong context) count; a value that is only possibly a credential stays in the report. An
unknown scope counts as `unknown_as` only for findings at least likely; a possible one counts as write at most.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from credscope.model import Access, Confidence, Credential, PolicyVerdict, Severity


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
MIN_CONFIDENCE_CHOICES = ", ".join(choice.value for choice in Confidence)


@dataclass(frozen=True)
class Policy:
    fail_on: FailOn = FailOn.ADMIN
    # What a credential whose access cannot be known counts as; conservative by default.
    unknown_as: Access = Access.ADMIN
    # The least sure finding that counts; less sure ones are reported and never fail the run.
    min_confidence: Confidence = Confidence.LIKELY

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
        if credential.confidence.rank < self.min_confidence.rank:
            return None
        scope = credential.scope
        effective, shown = self._counted_access(credential)
        destroys = _destroys(scope.destructive_actions, scope.potential_actions)
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

    def _counted_access(self, credential: Credential) -> tuple[Access, str]:
        """The access a credential counts as, and how to say it: an unknown scope is `unknown_as` when the
        finding is at least likely, write at most when it is only possibly a credential."""
        access = credential.scope.access
        if access is not Access.UNKNOWN:
            return access, access.value
        if credential.confidence.rank >= Confidence.LIKELY.rank or self.unknown_as is not Access.ADMIN:
            return self.unknown_as, f"unknown, counted as {self.unknown_as.value} (--unknown-as)"
        return Access.WRITE, "unknown, counted as write (only possibly a credential)"


def _destroys(actions: Sequence[str], potential: Sequence[str]) -> str:
    if actions:
        return f"; can destroy: {', '.join(actions)}"
    if potential:
        shown = ", ".join(potential[:3]) + (f" and {len(potential) - 3} more" if len(potential) > 3 else "")
        return f"; may be able to destroy: {shown}"
    return ""
