"""Policy: which credentials fail the run, from their scope, and why."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from credscope.model import Access, Credential, PolicyVerdict


class FailOn(str, Enum):
    ADMIN = "admin"
    WRITE = "write"
    ANY = "any"
    NONE = "none"


@dataclass(frozen=True)
class Policy:
    fail_on: FailOn = FailOn.ANY
    # What a credential whose access cannot be known counts as; conservative by default.
    unknown_as: Access = Access.ADMIN

    def judge(self, credentials: Sequence[Credential]) -> PolicyVerdict:
        reasons: dict[str, str] = {}
        for credential in credentials:
            reason = self._reason(credential)
            if reason:
                reasons[credential.fingerprint] = reason
        return PolicyVerdict(
            passed=not reasons, threshold=self.fail_on.value, failing=tuple(reasons), reasons=reasons
        )

    def _reason(self, credential: Credential) -> str | None:
        access = credential.scope.access
        effective = self.unknown_as if access is Access.UNKNOWN else access
        shown = f"unknown (counted as {effective.value})" if access is Access.UNKNOWN else access.value
        match self.fail_on:
            case FailOn.NONE:
                return None
            case FailOn.ANY:
                return f"--fail-on any: access {shown}"
            case FailOn.ADMIN:
                return f"--fail-on admin: access {shown}" if effective is Access.ADMIN else None
            case FailOn.WRITE:
                if effective in (Access.ADMIN, Access.WRITE):
                    return f"--fail-on write: access {shown}"
                return None
