"""The versioned JSON report; its schema ships as credscope/schemas/report.schema.json."""

from __future__ import annotations

from typing import Any

from credscope import __version__
from credscope.model import ScanResult, Severity
from credscope.report.common import (
    REPORT_SCHEMA_VERSION,
    RenderOptions,
    json_text,
    location_dict,
    parts_dict,
    policy_dict,
    scope_dict,
)
from credscope.report.in_effect import in_effect_dict


def render(result: ScanResult, options: RenderOptions) -> str:
    return json_text(report_dict(result, options))


def report_dict(result: ScanResult, options: RenderOptions) -> dict[str, Any]:
    findings = []
    for credential in result.credentials:
        for location in credential.locations:
            finding: dict[str, Any] = {
                **location_dict(location),
                "provider": credential.provider,
                "kind": credential.kind,
                "rule": credential.rule,
                "fingerprint": credential.fingerprint,
                "preview": credential.preview,
                "parts": parts_dict(credential, options),
                **scope_dict(credential),
                "policy": policy_dict(result, credential),
            }
            if options.show_secrets:
                finding["secret"] = credential.secret
            findings.append(finding)
    by_severity = {s.value: 0 for s in Severity}
    for credential in result.credentials:
        by_severity[credential.severity.value] += 1
    stats = result.stats
    return {
        "schema_version": REPORT_SCHEMA_VERSION,
        "tool": {"name": "credscope", "version": __version__},
        "roots": list(result.roots),
        "verdict": {
            "passed": result.verdict.passed,
            "fail_on": result.verdict.threshold,
            "failing": list(result.verdict.failing),
        },
        "summary": {
            "credentials": len(result.credentials),
            "findings": len(findings),
            "destructive": sum(1 for c in result.credentials if c.scope.destructive),
            "by_severity": by_severity,
        },
        "findings": findings,
        "stats": {
            "files_scanned": stats.files_scanned,
            "bytes_scanned": stats.bytes_scanned,
            "files_skipped": len(stats.skipped),
            "skipped_by_reason": stats.skipped_by_reason(),
            "skipped": [{"path": s.path, "reason": s.reason, "detail": s.detail} for s in stats.skipped],
            "duration_seconds": stats.duration_seconds,
        },
        "notes": list(result.notes),
        "configuration": in_effect_dict(result.in_effect),
    }
