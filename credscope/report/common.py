"""Shared presentation rules: the secret is shown only when asked, everything else is plain data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from credscope.model import Credential, Location, ScanResult, redact
from credscope.report.escape import json_inert, printable

# `printable` lives in report/escape.py; callers have long imported it from here.
__all__ = [
    "REPORT_SCHEMA_VERSION",
    "RenderOptions",
    "json_text",
    "location_dict",
    "parts_dict",
    "policy_dict",
    "printable",
    "scope_dict",
]

# 1.1: `configuration` (the files in effect and every suppression).
REPORT_SCHEMA_VERSION = "1.2"


@dataclass(frozen=True)
class RenderOptions:
    show_secrets: bool = False


def json_text(document: Any) -> str:
    """The document as JSON, UTF-8 as it is; escaped (`\\udcff`) when a file name holds bytes that are not UTF-8,
    so the report stays valid UTF-8 and `os.fsencode` of the parsed path gives the file's real name back."""
    text = json.dumps(document, indent=2, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(document, indent=2)
    # Bidi and C1 controls stay escapes too: `cat report.json` must not drive the terminal.
    return json_inert(text) + "\n"


def location_dict(location: Location) -> dict[str, Any]:
    return {
        "path": location.path,
        "line": location.line,
        "column": location.column,
        "reach": location.reach.value,
        "commit": location.commit,
        "author_date": location.author_date,
        "context": dict(location.context),
        "excluded_by": list(location.excluded_by),
    }


def scope_dict(credential: Credential) -> dict[str, Any]:
    scope = credential.scope
    return {
        "access": scope.access.value,
        "destructive": scope.destructive,
        "destructive_actions": list(scope.destructive_actions),
        "scope_source": scope.scope_source.value,
        "evidence": list(scope.evidence),
        "identity": dict(scope.identity),
        "production": scope.production,
        "potential_actions": list(scope.potential_actions),
        "severity": credential.severity.value,
        "confidence": credential.confidence.value,
        "confidence_reason": credential.confidence_reason,
    }


def parts_dict(credential: Credential, options: RenderOptions) -> dict[str, str]:
    return {name: value if options.show_secrets else redact(value) for name, value in credential.parts.items()}


def policy_dict(result: ScanResult, credential: Credential) -> dict[str, Any]:
    reason = result.verdict.reasons.get(credential.fingerprint)
    return {"failed": reason is not None, "reason": reason}
