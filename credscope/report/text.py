"""The report a person reads first: credentials grouped by severity, worst first, each with what it can do,
why credscope thinks so, and every place it was found; then the configuration and every suppression in effect,
the policy verdict and what failed it.

Each element of the line list is one line: it is escaped as a whole (report/escape.py), so whatever a file
name, a claim or a probe answer holds, it can neither forge a line nor reach the terminal as a control.
"""

from __future__ import annotations

from credscope.model import Credential, Location, ScanResult, Severity
from credscope.report.common import RenderOptions, parts_dict
from credscope.report.escape import inert_lines
from credscope.report.in_effect import headline, sentence

_DESTRUCTIVE = {True: "yes", False: "no", None: "unknown"}
_PRODUCTION = {True: "production", False: "not production (test mode, local or throw-away)", None: ""}


def render(result: ScanResult, options: RenderOptions) -> str:
    lines: list[str] = []
    for severity in Severity:
        group = [c for c in result.credentials if c.severity is severity]
        if not group:
            continue
        lines.append(f"{severity.value.upper()} ({len(group)})")
        for credential in group:
            lines.extend(_credential(credential, result, options))
            lines.append("")
    # Run-level remarks (files judged line by line, credentials a baseline hid); the summary stays last.
    lines.extend(f"note: {note}" for note in result.notes)
    lines.extend(_in_effect(result))
    lines.extend(_verdict(result))
    lines.extend(_summary(result))
    return inert_lines(lines) + "\n"


def _credential(credential: Credential, result: ScanResult, options: RenderOptions) -> list[str]:
    scope = credential.scope
    secret = credential.secret if options.show_secrets else credential.preview
    out = [
        f"  {credential.provider} {credential.kind}  {secret}  [{credential.fingerprint[:12]}]",
        f"    access: {scope.access.value}  destructive: {_DESTRUCTIVE[scope.destructive]}"
        f"  ({scope.scope_source.value})",
        f"    confidence: {credential.confidence.value} ({credential.confidence_reason})"
        if credential.confidence_reason
        else f"    confidence: {credential.confidence.value}",
    ]
    if scope.destructive_actions:
        out.append(f"    can destroy: {', '.join(scope.destructive_actions)}")
    elif scope.potential_actions:
        out.append(f"    may be able to destroy (scope not established): {', '.join(scope.potential_actions)}")
    if _PRODUCTION[scope.production]:
        out.append(f"    target: {_PRODUCTION[scope.production]}")
    if scope.identity:
        out.append("    identity: " + ", ".join(f"{key}={value}" for key, value in scope.identity.items()))
    if scope.evidence:
        out.append("    evidence:")
        out.extend(f"      - {line}" for line in scope.evidence)
    for part, value in parts_dict(credential, options).items():
        out.append(f"    {part}: {value}")
    out.append(f"    found in {len(credential.locations)} place(s):")
    out.extend(f"      {_where(location)}" for location in credential.locations)
    reason = result.verdict.reasons.get(credential.fingerprint)
    if reason:
        out.append(f"    FAILS POLICY: {reason}")
    return out


def _where(location: Location) -> str:
    commit = f" @ {location.commit[:12]}" if location.commit else ""
    assigned = location.context.get("name")
    named = f"  ({assigned})" if assigned else ""
    excluded = f"  [excluded for agents by {', '.join(location.excluded_by)}]" if location.excluded_by else ""
    return f"{location.path}:{location.line}:{location.column} [{location.reach.value}{commit}]{named}{excluded}"


def _in_effect(result: ScanResult) -> list[str]:
    """The configuration files, then every suppression: shown whenever one narrowed the run."""
    in_effect = result.in_effect
    lines = [f"configuration: {', '.join(in_effect.config_files)}"] if in_effect.config_files else []
    if in_effect.suppressions:
        lines.append(f"suppressions in effect ({len(in_effect.suppressions)}):")
        lines.extend(f"  - {sentence(item)}" for item in in_effect.suppressions)
    return lines


def _verdict(result: ScanResult) -> list[str]:
    verdict = result.verdict
    narrowed = headline(result.in_effect)
    also = f" — {narrowed}, listed above" if narrowed else ""
    if verdict.passed:
        return [f"policy --fail-on {verdict.threshold}: passed{also}"]
    by_fingerprint = {c.fingerprint: c for c in result.credentials}
    lines = [f"policy --fail-on {verdict.threshold}: FAILED by {len(verdict.failing)} credential(s){also}"]
    for fingerprint in verdict.failing:
        credential = by_fingerprint.get(fingerprint)
        if credential is None:
            continue
        first = credential.locations[0]
        lines.append(
            f"  - {credential.provider} {credential.kind} [{fingerprint[:12]}] "
            f"at {first.path}:{first.line}: "
            f"{verdict.reasons[fingerprint]}"
        )
    return lines


def _summary(result: ScanResult) -> list[str]:
    stats = result.stats
    skipped = ", ".join(f"{reason} {count}" for reason, count in stats.skipped_by_reason().items())
    places = sum(len(c.locations) for c in result.credentials)
    return [
        f"{len(result.credentials)} credential(s) in {places} place(s)",
        f"scanned {stats.files_scanned} file(s), {stats.bytes_scanned} bytes in {stats.duration_seconds:.2f}s; "
        f"skipped {len(stats.skipped)}" + (f" ({skipped})" if skipped else ""),
    ]
