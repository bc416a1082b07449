"""The report a person reads first: credentials grouped by severity, each with where it was found."""

from __future__ import annotations

from credscope.model import Credential, ScanResult, Severity
from credscope.report.common import RenderOptions, parts_dict


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
    lines.append(_summary(result))
    return "\n".join(lines) + "\n"


def _credential(credential: Credential, result: ScanResult, options: RenderOptions) -> list[str]:
    scope = credential.scope
    secret = credential.secret if options.show_secrets else credential.preview
    destructive = {True: "yes", False: "no", None: "unknown"}[scope.destructive]
    out = [
        f"  {credential.provider} {credential.kind}  {secret}  [{credential.fingerprint[:12]}]",
        f"    access: {scope.access.value} ({scope.scope_source.value})  destructive: {destructive}",
    ]
    if scope.destructive_actions:
        out.append(f"    can: {', '.join(scope.destructive_actions)}")
    for key, value in scope.identity.items():
        out.append(f"    {key}: {value}")
    for line in scope.evidence:
        out.append(f"    - {line}")
    for part, value in parts_dict(credential, options).items():
        out.append(f"    {part}: {value}")
    for location in credential.locations:
        where = f"{location.path}:{location.line}:{location.column}"
        extra = f" @ {location.commit[:12]}" if location.commit else ""
        assigned = location.context.get("name")
        named = f"  ({assigned})" if assigned else ""
        out.append(f"    at {where} [{location.reach.value}{extra}]{named}")
    reason = result.verdict.reasons.get(credential.fingerprint)
    if reason:
        out.append(f"    FAILS POLICY: {reason}")
    return out


def _summary(result: ScanResult) -> str:
    stats = result.stats
    skipped = ", ".join(f"{reason} {count}" for reason, count in stats.skipped_by_reason().items())
    verdict = "passed" if result.verdict.passed else f"FAILED ({len(result.verdict.failing)} over the threshold)"
    return (
        f"{len(result.credentials)} credential(s) in {sum(len(c.locations) for c in result.credentials)} place(s); "
        f"policy --fail-on {result.verdict.threshold}: {verdict}\n"
        f"scanned {stats.files_scanned} file(s), {stats.bytes_scanned} bytes in {stats.duration_seconds:.2f}s; "
        f"skipped {len(stats.skipped)}" + (f" ({skipped})" if skipped else "")
    )
