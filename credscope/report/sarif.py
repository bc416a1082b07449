"""SARIF 2.1.0 for GitHub code scanning: one result per place a credential was found, never the secret.

GitHub reads `security-severity` from the rule, so a rule carries the highest severity any of its
credentials reached in this run; each result carries its own level and severity too. Paths are
relative to `%SRCROOT%` (the first scanned root). `partialFingerprints` is derived from the
credential's fingerprint and path, not the line, so moving a credential inside a file keeps its
alert. `--show-secrets` is deliberately ignored: SARIF files are uploaded to other services.

Every suppression in effect (an exclusion, a disabled provider, an ignore entry, a baseline, a
relaxed threshold, an inline ignore, files not read) is a result of rule `credscope-suppression`, anchored at
the file in the repository that asks for it: GitHub shows results as alerts and as annotations on a pull
request's changed lines, but not the run's notifications or properties, which carry the same list for tools.
Message texts are escaped (report/escape.py): GitHub shows them as they are.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any
from urllib.parse import quote

from credscope import __version__
from credscope.model import Credential, InEffect, Location, Reach, ScanResult, Severity, Suppression, SuppressionKind
from credscope.report.common import RenderOptions, json_text
from credscope.report.digest import by_severity, fix_hint
from credscope.report.escape import printable
from credscope.report.in_effect import headline, in_effect_dict, sentence

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "credscopeLocation/v1"

# GitHub: over 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low.
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.1",
}
_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
# Places outside the repository: no %SRCROOT% base, GitHub shows them without a file link.
_OUTSIDE = frozenset({Reach.HOME, Reach.ENV})
SUPPRESSION_RULE = "credscope-suppression"
# Narrowings someone chose (in the repository or the command line) warn; files the scan could not read are notes.
_CHOSEN = frozenset(set(SuppressionKind) - {SuppressionKind.EXCLUDED_DIRECTORY, SuppressionKind.SKIPPED})
_NOT_FILES = ("command line", "built-in", "default file")


def render(result: ScanResult, options: RenderOptions) -> str:
    del options  # never shows secrets, see the module docstring
    return json_text(sarif_log(result))


def sarif_log(result: ScanResult) -> dict[str, Any]:
    credentials = by_severity(result.credentials)
    rules = _rules(credentials)
    if result.in_effect.suppressions:
        rules.append(_SUPPRESSION_RULE)
    index = {rule["id"]: number for number, rule in enumerate(rules)}
    results = [
        _result(result, credential, location, index[credential.rule])
        for credential in credentials
        for location in credential.locations
    ]
    results += _suppression_results(result.in_effect, index.get(SUPPRESSION_RULE, -1))
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "credscope",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": rules,
            }
        },
        "columnKind": "unicodeCodePoints",
        "results": results,
        "invocations": [
            {
                "executionSuccessful": True,
                "toolExecutionNotifications": [
                    {"level": "note", "message": {"text": printable(note)}} for note in result.notes
                ],
                "toolConfigurationNotifications": [
                    {"level": _level(item), "message": {"text": printable(sentence(item))}}
                    for item in result.in_effect.suppressions
                ],
            }
        ],
        "properties": {
            "policy": {
                "passed": result.verdict.passed,
                "fail_on": result.verdict.threshold,
                "suppressions": printable(headline(result.in_effect)),
            },
            "configuration": in_effect_dict(result.in_effect),
        },
    }
    if result.roots:
        run["originalUriBaseIds"] = {SRCROOT: {"uri": _root_uri(result.roots[0])}}
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def _rules(credentials: list[Credential]) -> list[dict[str, Any]]:
    worst: dict[str, Credential] = {}
    for credential in credentials:
        seen = worst.get(credential.rule)
        if seen is None or credential.severity.rank > seen.severity.rank:
            worst[credential.rule] = credential
    rules = []
    for rule_id in sorted(worst):
        credential = worst[rule_id]
        what = f"{credential.provider} {credential.kind}"
        rules.append(
            {
                "id": rule_id,
                "name": "".join(part.capitalize() for part in rule_id.replace("_", "-").split("-")),
                "shortDescription": {"text": f"Reachable credential: {what}"},
                "fullDescription": {
                    "text": f"A {what} that an agent or a person working in this repository can pick up and use."
                },
                "help": {
                    "text": f"Revoke or narrow the {what}; keep it out of the repository and the workspace. "
                    "Run `credscope explain FINGERPRINT` for everything credscope knows about one result.",
                },
                "defaultConfiguration": {"level": _LEVEL[credential.severity]},
                "properties": {
                    "tags": ["security", "secret", "credential", credential.provider],
                    "security-severity": SECURITY_SEVERITY[credential.severity],
                    "precision": "high",
                    "problem.severity": "error" if _LEVEL[credential.severity] == "error" else "warning",
                },
            }
        )
    return rules


def _result(result: ScanResult, credential: Credential, location: Location, rule_index: int) -> dict[str, Any]:
    scope = credential.scope
    destructive = {True: "yes", False: "no", None: "unknown"}[scope.destructive]
    text = (
        f"{credential.severity.value.upper()}: {credential.provider} {credential.kind} {credential.preview} "
        f"(fingerprint {credential.fingerprint[:12]}), access {scope.access.value}, destructive {destructive}"
    )
    if scope.destructive_actions:
        text += f" ({', '.join(scope.destructive_actions[:5])})"
    elif scope.potential_actions:
        text += f", may be able to destroy ({', '.join(scope.potential_actions[:5])})"
    text += f"; confidence {credential.confidence.value}"
    text += f"; reachable as {location.reach.value}. Fix: {fix_hint(credential)}."
    reason = result.verdict.reasons.get(credential.fingerprint)
    return {
        "ruleId": credential.rule,
        "ruleIndex": rule_index,
        "level": _LEVEL[credential.severity],
        "message": {"text": printable(text)},
        "locations": [_location(location)],
        "partialFingerprints": {FINGERPRINT_KEY: _partial_fingerprint(credential, location)},
        "properties": {
            "severity": credential.severity.value,
            "security-severity": SECURITY_SEVERITY[credential.severity],
            "provider": credential.provider,
            "kind": credential.kind,
            "fingerprint": credential.fingerprint,
            "preview": credential.preview,
            "access": scope.access.value,
            "destructive": scope.destructive,
            "destructive_actions": list(scope.destructive_actions),
            "potential_actions": list(scope.potential_actions),
            "confidence": credential.confidence.value,
            "confidence_reason": credential.confidence_reason,
            "reach": location.reach.value,
            "commit": location.commit,
            "policy_failed": reason is not None,
        },
    }


_SUPPRESSION_RULE: dict[str, Any] = {
    "id": SUPPRESSION_RULE,
    "name": "SuppressionInEffect",
    "shortDescription": {"text": "A suppression narrows what credscope scans, reports or fails on"},
    "fullDescription": {
        "text": "The configuration, the command line or a comment in the repository leaves files out of the scan, "
        "hides credentials from the report or relaxes the policy. A change that adds one next to a credential can "
        "pass the gate unseen: review it like the credential itself."
    },
    "help": {
        "text": "Check that the suppression is meant. To gate a pull request with the base branch's configuration "
        "(so a pull request cannot relax its own gate), see docs/github-actions.md."
    },
    "defaultConfiguration": {"level": "warning"},
    "properties": {"tags": ["credscope-configuration", "suppression"], "precision": "very-high"},
}


def _level(item: Suppression) -> str:
    return "warning" if item.kind in _CHOSEN else "note"


def _suppression_results(in_effect: InEffect, rule_index: int) -> list[dict[str, Any]]:
    """One result per suppression that a file in the repository can show; the rest are notifications only."""
    results = []
    for item in in_effect.suppressions:
        anchor = _anchor(item)
        if anchor is None:
            continue
        path, line = anchor
        seed = f"{item.kind.value}\0{item.subject}\0{item.source}"
        results.append(
            {
                "ruleId": SUPPRESSION_RULE,
                "ruleIndex": rule_index,
                "level": _level(item),
                "message": {"text": printable(f"Suppression in effect: {sentence(item)}.")},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": _uri(path), "uriBaseId": SRCROOT},
                            "region": {"startLine": line},
                        }
                    }
                ],
                "partialFingerprints": {
                    FINGERPRINT_KEY: hashlib.sha256(seed.encode("utf-8", "surrogateescape")).hexdigest()
                },
                "properties": {
                    "kind": item.kind.value,
                    "subject": item.subject,
                    "source": item.source,
                    "count": item.count,
                },
            }
        )
    return results


def _anchor(item: Suppression) -> tuple[str, int] | None:
    """The file in the repository (and line) that asks for a suppression or that it concerns; None when none does."""
    candidates = [(item.source, item.line or 1)]
    if item.kind is SuppressionKind.BASELINE:  # the baseline file itself is what a change would edit
        candidates.insert(0, (item.subject, 1))
    candidates += [(path, 1) for path in item.paths[:1]]
    for path, line in candidates:
        if path and path not in _NOT_FILES and not path.startswith(("/", "~", "$")) and not path.endswith("/"):
            return path, line
    return None


def _uri(path: str) -> str:
    return quote(path.encode("utf-8", "surrogateescape"), safe="/")


def _location(location: Location) -> dict[str, Any]:
    # The path's own bytes: a file name that is not UTF-8 (surrogate-escaped) is percent-encoded as it is.
    artifact: dict[str, Any] = {"uri": quote(location.path.encode("utf-8", "surrogateescape"), safe="/")}
    if location.reach not in _OUTSIDE:
        artifact["uriBaseId"] = SRCROOT
    return {
        "physicalLocation": {
            "artifactLocation": artifact,
            "region": {"startLine": max(1, location.line), "startColumn": max(1, location.column)},
        }
    }


def _partial_fingerprint(credential: Credential, location: Location) -> str:
    seed = f"{credential.fingerprint}\0{location.reach.value}\0{location.path}"
    return hashlib.sha256(seed.encode("utf-8", "surrogateescape")).hexdigest()


def _root_uri(root: str) -> str:
    path = Path(root).resolve()
    if path.is_file():
        path = path.parent
    uri = path.as_uri()
    return uri if uri.endswith("/") else uri + "/"
