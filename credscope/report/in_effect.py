"""How every format words the configuration in effect and its suppressions: one sentence per suppression,
one headline for the verdict, one structure for JSON and SARIF. Fields are outside text: callers escape."""

from __future__ import annotations

from typing import Any

from credscope.in_effect import BUILT_IN
from credscope.model import InEffect, Suppression, SuppressionKind


def sentence(item: Suppression) -> str:
    """What the suppression did, then who asked for it: `exclude deploy: 3 file(s) not scanned [.credscope.yaml:2]`."""
    return f"{_what(item)}{_from(item)}"


def _what(item: Suppression) -> str:
    count, paths = item.count or 0, ", ".join(item.paths)
    match item.kind:
        case SuppressionKind.SETTING:
            return f"{item.subject} {item.detail}"
        case SuppressionKind.EXCLUDE if item.subject.startswith("!"):  # a negation: what it scanned again
            return f"exclude {item.subject}: {count} file(s) scanned again" + (f": {paths}" if paths else "")
        case SuppressionKind.EXCLUDE:
            return f"exclude {item.subject}: {count} file(s) not scanned" + (f": {paths}" if paths else "")
        case SuppressionKind.EXCLUDED_DIRECTORY:
            return f"built-in exclusions ({item.subject}): {count} director(ies) not scanned: {paths}"
        case SuppressionKind.DISABLED_PROVIDER:
            return f"provider {item.subject} disabled: its rules did not run"
        case SuppressionKind.IGNORE:
            return f"ignore {item.subject} ({item.detail}): {count} credential(s) not reported"
        case SuppressionKind.BASELINE:
            return f"baseline {item.subject} ({item.detail}): {count} credential(s) not reported"
        case SuppressionKind.INLINE_IGNORE:
            return f"inline ignore comments: {count} finding(s) not reported in {paths}"
        case SuppressionKind.SKIPPED:
            return f"{count} file(s) not read ({item.subject}): {paths}"
    raise AssertionError(f"no wording for {item.kind}")  # pragma: no cover - every kind is matched above


def _from(item: Suppression) -> str:
    if item.source in ("", BUILT_IN):
        return ""
    return f" [{item.source}:{item.line}]" if item.line else f" [{item.source}]"


def headline(in_effect: InEffect) -> str:
    """`3 suppression(s) in effect from .credscope.yaml`, or "" when nothing narrowed the run."""
    if not in_effect.suppressions:
        return ""
    files = in_effect.sources
    return f"{len(in_effect.suppressions)} suppression(s) in effect" + (f" from {', '.join(files)}" if files else "")


def in_effect_dict(in_effect: InEffect) -> dict[str, Any]:
    """The JSON report's `configuration` (and the SARIF run's `properties.configuration`)."""
    return {
        "files": list(in_effect.config_files),
        "suppressions": [
            {
                "kind": item.kind.value,
                "subject": item.subject,
                "source": item.source,
                "detail": item.detail,
                "count": item.count,
                "paths": list(item.paths),
                "line": item.line,
                "message": sentence(item),
            }
            for item in in_effect.suppressions
        ],
    }
