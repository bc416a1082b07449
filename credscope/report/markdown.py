"""The audit report as Markdown: blast-radius summary, the configuration and suppressions in effect, then each
credential by severity with every location. Scanned text is escaped twice: controls shown as escapes
(report/escape.py), Markdown syntax neutralised; and every line is checked once more, as it may land in a CI log."""

from __future__ import annotations

from credscope import __version__
from credscope.model import Credential, ScanResult
from credscope.report.common import RenderOptions, parts_dict
from credscope.report.digest import by_severity, fix_hint, summarize
from credscope.report.escape import inert_lines, printable
from credscope.report.in_effect import headline, sentence

_DESTRUCTIVE = {True: "yes", False: "no", None: "unknown"}


def render(result: ScanResult, options: RenderOptions) -> str:
    summary = summarize(result)
    verdict = "passed" if result.verdict.passed else f"**failed** ({len(result.verdict.failing)} over the threshold)"
    narrowed = headline(result.in_effect)
    if narrowed:
        verdict += f" — **{_inline(narrowed)}**, see [Suppressions in effect](#suppressions-in-effect)"
    out = [
        "# credscope audit report",
        "",
        f"Scanned: {', '.join(f'`{_code(r)}`' for r in result.roots) or '(nothing)'} · credscope {__version__} · "
        f"policy `--fail-on {result.verdict.threshold}`: {verdict}",
        "",
        *_in_effect(result),
        "## Summary",
        "",
        f"**{summary.credentials}** credential(s) in {summary.places} place(s); "
        f"**{summary.destructive}** can destroy something.",
        "",
        "| severity | credentials |",
        "|---|---:|",
        *(f"| {severity.value} | {count} |" for severity, count in summary.by_severity),
        "",
    ]
    if summary.by_provider:
        out += [
            "| provider | credentials | destructive | worst |",
            "|---|---:|---:|---|",
            *(
                f"| {_cell(line.provider)} | {line.credentials} | {line.destructive} | {line.worst.value} |"
                for line in summary.by_provider
            ),
            "",
            "Reachable from: " + ", ".join(f"{reach.value} {count}" for reach, count in summary.by_reach) + ".",
            "",
        ]
    out += ["## Credentials", ""]
    if not result.credentials:
        out += ["No credentials found.", ""]
    for number, credential in enumerate(by_severity(result.credentials), start=1):
        out += _credential(number, credential, result, options)
    stats = result.stats
    out += [
        "## Scan",
        "",
        f"{stats.files_scanned} file(s), {stats.bytes_scanned} bytes in {stats.duration_seconds:.2f}s; "
        f"{len(stats.skipped)} skipped"
        + (
            " (" + ", ".join(f"{reason} {count}" for reason, count in stats.skipped_by_reason().items()) + ")"
            if stats.skipped
            else ""
        )
        + ".",
        "",
        *(f"- {_inline(note)}" for note in result.notes),
    ]
    return inert_lines(out).rstrip("\n") + "\n"


def _in_effect(result: ScanResult) -> list[str]:
    in_effect = result.in_effect
    out = (
        [f"Configuration: {', '.join(f'`{_code(name)}`' for name in in_effect.config_files)}", ""]
        if in_effect.config_files
        else []
    )
    if in_effect.suppressions:
        out += ["## Suppressions in effect", ""]
        out += [f"- {_inline(sentence(item))}" for item in in_effect.suppressions]
        out.append("")
    return out


def _credential(number: int, credential: Credential, result: ScanResult, options: RenderOptions) -> list[str]:
    scope = credential.scope
    secret = credential.secret if options.show_secrets else credential.preview
    out = [
        f"### {number}. {credential.severity.value.upper()} — {_inline(credential.provider)} "
        f"{_inline(credential.kind)}",
        "",
        f"- secret: `{_code(secret)}` · fingerprint `{credential.fingerprint}`",
        f"- rule: `{_code(credential.rule)}`",
        f"- access: **{scope.access.value}** ({scope.scope_source.value}) · destructive: "
        f"**{_DESTRUCTIVE[scope.destructive]}**",
    ]
    if scope.destructive_actions:
        out.append("- can: " + ", ".join(f"`{_code(a)}`" for a in scope.destructive_actions))
    elif scope.potential_actions:
        out.append("- may be able to: " + ", ".join(f"`{_code(a)}`" for a in scope.potential_actions))
    out.append(f"- confidence: **{credential.confidence.value}** {_inline(credential.confidence_reason)}")
    for key, value in scope.identity.items():
        out.append(f"- {_inline(key)}: {_inline(value)}")
    for part, value in parts_dict(credential, options).items():
        out.append(f"- {_inline(part)}: `{_code(value)}`")
    reason = result.verdict.reasons.get(credential.fingerprint)
    if reason:
        out.append(f"- **fails policy**: {_inline(reason)}")
    out.append(f"- fix: {_inline(fix_hint(credential))}")
    if scope.evidence:
        out += ["", "Evidence:", "", *(f"- {_inline(line)}" for line in scope.evidence)]
    out += ["", "| where | reach | assigned to |", "|---|---|---|"]
    for location in credential.locations:
        commit = f" @ {location.commit[:12]}" if location.commit else ""
        out.append(
            f"| `{_code(location.path)}:{location.line}:{location.column}` | {location.reach.value}{commit} "
            f"| {_cell(location.context.get('name', ''))} |"
        )
    out.append("")
    return out


def _inline(text: str) -> str:
    """Scanned text must not become Markdown structure (links, emphasis, HTML) nor drive a terminal."""
    escaped = printable(text).replace("\\", "\\\\")
    for char in "`*_[]<>|#!":
        escaped = escaped.replace(char, "\\" + char)
    return " ".join(escaped.split())


def _cell(text: str) -> str:
    return _inline(text) if text else ""


def _code(text: str) -> str:
    # Inside a code span only a backtick can end it; swap it for a look-alike rather than break the table.
    return " ".join(printable(text).replace("`", "ˋ").replace("|", "¦").split())
