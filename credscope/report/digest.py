"""What the audit reports, SARIF and the pre-commit hook share: the blast-radius summary and fix hints."""

from __future__ import annotations

from dataclasses import dataclass

from credscope.model import Credential, Reach, ScanResult, Severity

SEVERITY_ORDER = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO)


@dataclass(frozen=True)
class ProviderLine:
    provider: str
    credentials: int
    destructive: int
    worst: Severity
    by_severity: tuple[tuple[Severity, int], ...]


@dataclass(frozen=True)
class Summary:
    credentials: int
    places: int
    destructive: int
    by_severity: tuple[tuple[Severity, int], ...]  # every severity, most severe first
    by_provider: tuple[ProviderLine, ...]  # worst provider first
    by_reach: tuple[tuple[Reach, int], ...]  # credentials reachable from each place, only those present


def summarize(result: ScanResult) -> Summary:
    credentials = result.credentials
    providers: dict[str, list[Credential]] = {}
    for credential in credentials:
        providers.setdefault(credential.provider, []).append(credential)
    lines = [
        ProviderLine(
            provider=provider,
            credentials=len(found),
            destructive=sum(1 for c in found if c.scope.destructive),
            worst=max((c.severity for c in found), key=lambda s: s.rank),
            by_severity=_count_severities(found),
        )
        for provider, found in providers.items()
    ]
    lines.sort(key=lambda line: (-line.worst.rank, -line.credentials, line.provider))
    by_reach = [(reach, sum(1 for c in credentials if reach in c.reaches)) for reach in Reach]
    return Summary(
        credentials=len(credentials),
        places=sum(len(c.locations) for c in credentials),
        destructive=sum(1 for c in credentials if c.scope.destructive),
        by_severity=_count_severities(credentials),
        by_provider=tuple(lines),
        by_reach=tuple((reach, count) for reach, count in by_reach if count),
    )


def _count_severities(credentials: list[Credential] | tuple[Credential, ...]) -> tuple[tuple[Severity, int], ...]:
    return tuple((s, sum(1 for c in credentials if c.severity is s)) for s in SEVERITY_ORDER)


def by_severity(credentials: tuple[Credential, ...]) -> list[Credential]:
    """Most severe first; ties by destructive, then by where they were first found (stable across runs)."""
    return sorted(
        credentials, key=lambda c: (-c.severity.rank, not c.scope.destructive, c.locations[0].sort_key(), c.fingerprint)
    )


def fix_hint(credential: Credential) -> str:
    """What to do, in one line a person can act on: revoke it (where, when the catalogue says), what narrower
    credential to create instead (and where), and how to keep the new one out of an agent's reach, chosen by
    where this one can be picked up from."""
    reaches = set(credential.reaches)
    where = credential.locations[0].path
    what = f"{credential.provider} {credential.kind}"
    advice = credential.advice
    revoke = f"revoke this {what}" + (f" ({advice.revoke})" if advice.revoke else "")
    narrower = f"; instead, create {advice.narrower}" if advice.narrower else ""
    if Reach.HISTORY in reaches:
        return f"{revoke}: it stays in git history even after {where} is fixed{narrower}; {_INJECT}"
    if Reach.TRACKED in reaches:
        return (
            f"{revoke}, remove it from {where} and read it from the environment or a secret manager{narrower} "
            "(or mark the line `credscope: ignore` if it is not a real credential)"
        )
    if reaches & {Reach.UNTRACKED, Reach.IGNORED, Reach.FILE}:
        return (
            f"move this {what} out of the workspace (any agent here can read {where}), or {revoke}{narrower}; "
            f"{_INJECT}, or at least list the file in {_EXCLUSION_FILES}"
        )
    if Reach.HOME in reaches:
        return f"{revoke} or replace it with a short-lived one: every agent on this machine can read {where}{narrower}"
    if Reach.ENV in reaches:
        return f"unset {where} in the environment agents run in{narrower}"
    return f"{revoke} if it is not needed{narrower}"


_INJECT = "give the new one to the process that needs it at run time (a secret manager, CI secrets), not in a file"
_EXCLUSION_FILES = (
    "the agent-exclusion files (.cursorignore, .aiexclude, .geminiignore, .aiderignore, Claude Code Read deny "
    "rules), which agents honour but a shell does not"
)
