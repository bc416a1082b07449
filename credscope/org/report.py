"""Reports across an organisation: a summary on top (repositories ranked by their worst credential, counts by
severity and provider, what is new and gone since the last run, what could not be scanned), then the
per-scan reporters of `credscope/report/` on the whole organisation — one credential found in three
repositories is one credential with their locations, shown as `<repository>/<path>` — and SARIF per repository.

Everything here comes from the store's redacted findings: no secret exists on this side to show.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from html import escape
from typing import Any

from credscope import __version__
from credscope.model import ScanResult, Severity, Stats
from credscope.org.store import RepoRecord
from credscope.org.wire import Finding, Status, merge_findings
from credscope.policy import Policy
from credscope.report.common import RenderOptions, json_text, printable
from credscope.report.digest import Summary, summarize

ORG_REPORT_VERSION = "org-1.0"
_OPTIONS = RenderOptions(show_secrets=False)


@dataclass(frozen=True)
class RepoLine:
    record: RepoRecord
    result: ScanResult  # this repository alone, for the per-scan reporters (SARIF, JSON)

    @property
    def worst(self) -> Severity | None:
        return max((f.severity for f in self.record.findings), key=lambda s: s.rank, default=None)


@dataclass(frozen=True)
class OrgReport:
    run_id: int
    lines: tuple[RepoLine, ...]  # ranked: worst credential first
    combined: ScanResult
    summary: Summary
    errors: tuple[RepoRecord, ...]
    allow_errors: bool
    notes: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return self.combined.verdict.passed and (self.allow_errors or not self.errors)

    def new(self) -> list[tuple[str, Finding]]:
        return [
            (line.record.repo.name, f)
            for line in self.lines
            for f in line.record.findings
            if f.fingerprint in line.record.new
        ]

    def gone(self) -> list[tuple[str, Finding]]:
        return [(line.record.repo.name, finding) for line in self.lines for finding in line.record.gone]


def build(
    run_id: int, records: list[RepoRecord], policy: Policy, allow_errors: bool, notes: tuple[str, ...] = ()
) -> OrgReport:
    lines = [RepoLine(record, _repo_result(record, policy)) for record in records if record.status is not Status.ERROR]
    lines.sort(
        key=lambda line: (-(line.worst.rank if line.worst else -1), -len(line.record.findings), line.record.repo.name)
    )
    everywhere = merge_findings([_prefixed(line.record.repo.name, f) for line in lines for f in line.record.findings])
    credentials = tuple(f.as_credential() for f in everywhere)
    stats = Stats(
        files_scanned=sum(line.record.part.files for line in lines),
        bytes_scanned=sum(line.record.part.bytes for line in lines),
        duration_seconds=round(sum(record.seconds for record in records), 3),
    )
    combined = ScanResult(
        roots=(f"{len(records)} repositories",),
        credentials=credentials,
        stats=stats,
        verdict=policy.judge(credentials),
        notes=notes,
    )
    errors = tuple(sorted((r for r in records if r.status is Status.ERROR), key=lambda r: r.repo.name))
    return OrgReport(run_id, tuple(lines), combined, summarize(combined), errors, allow_errors, notes)


def render(report: OrgReport, output_format: str) -> str:
    match output_format:
        case "json":
            return json_text(_json(report))
        case "markdown":
            from credscope.report.markdown import render as markdown  # noqa: PLC0415

            demoted = re.sub(r"(?m)^#", "##", markdown(report.combined, _OPTIONS))
            return _markdown_summary(report) + "\n" + demoted
        case "html":
            from credscope.report.html import render as html  # noqa: PLC0415

            page = html(report.combined, _OPTIONS)
            page = page.replace(
                "<title>credscope audit report</title>", "<title>credscope organisation report</title>", 1
            )
            page = page.replace("<h1>credscope audit report</h1>", "<h1>credscope organisation report</h1>", 1)
            return page.replace("<body>\n", "<body>\n" + _html_summary(report) + "\n", 1)
        case _:
            from credscope.report.text import render as text  # noqa: PLC0415

            return _text_summary(report) + "\n" + text(report.combined, _OPTIONS) + _verdict_line(report) + "\n"


def sarif_files(report: OrgReport) -> dict[str, str]:
    """One SARIF log per scanned repository, by file name (the repository's name made safe for one)."""
    from credscope.report.sarif import render as sarif  # noqa: PLC0415

    files: dict[str, str] = {}
    for line in sorted(report.lines, key=lambda line: line.record.repo.name):
        stem = re.sub(r"[^A-Za-z0-9._-]+", "_", line.record.repo.name).strip("._") or "repository"
        name = f"{stem}.sarif"
        number = 2
        while name in files:
            name, number = f"{stem}-{number}.sarif", number + 1
        files[name] = sarif(line.result, _OPTIONS)
    return files


# -- building ---------------------------------------------------------------------------------------------------


def _repo_result(record: RepoRecord, policy: Policy) -> ScanResult:
    credentials = tuple(finding.as_credential() for finding in record.findings)
    stats = Stats(
        files_scanned=record.part.files, bytes_scanned=record.part.bytes, duration_seconds=round(record.seconds, 3)
    )
    return ScanResult(
        roots=(), credentials=credentials, stats=stats, verdict=policy.judge(credentials), notes=record.part.notes
    )


def _prefixed(name: str, finding: Finding) -> Finding:
    return replace(finding, locations=tuple(replace(where, path=f"{name}/{where.path}") for where in finding.locations))


# -- the summary in each format ---------------------------------------------------------------------------------


def _counts(report: OrgReport) -> dict[str, int]:
    records = [line.record for line in report.lines]
    return {
        "repositories": len(records) + len(report.errors),
        "scanned": sum(1 for r in records if r.status is Status.SCANNED),
        "unchanged": sum(1 for r in records if r.status is Status.UNCHANGED),
        "errors": len(report.errors),
        "credentials": len(report.combined.credentials),
        "new": len(report.new()),
        "gone": len(report.gone()),
    }


def _verdict_line(report: OrgReport) -> str:
    verdict = report.combined.verdict
    reasons = []
    if not verdict.passed:
        reasons.append(f"{len(verdict.failing)} credential(s) over the threshold")
    if report.errors:
        ignored = " (allowed with --allow-errors)" if report.allow_errors else ""
        reasons.append(f"{len(report.errors)} repositor(y/ies) could not be scanned{ignored}")
    state = "passed" if report.passed else "FAILED"
    return f"organisation policy --fail-on {verdict.threshold}: {state}" + (
        f": {'; '.join(reasons)}" if reasons else ""
    )


def _json(report: OrgReport) -> dict[str, Any]:
    from credscope.report.json_report import report_dict  # noqa: PLC0415

    counts = _counts(report)
    repositories = []
    for line in report.lines:
        record = line.record
        repositories.append(
            {
                **_record_dict(record),
                "worst_severity": line.worst.value if line.worst else None,
                "credentials": len(record.findings),
                "new": sorted(record.new),
                "gone": [_gone_dict(finding) for finding in record.gone],
                "report": report_dict(line.result, _OPTIONS),
            }
        )
    return {
        "schema_version": ORG_REPORT_VERSION,
        "tool": {"name": "credscope", "version": __version__},
        "run": report.run_id,
        "verdict": {
            "passed": report.passed,
            "fail_on": report.combined.verdict.threshold,
            "failing": list(report.combined.verdict.failing),
            "errors_allowed": report.allow_errors,
        },
        "summary": {
            **counts,
            "by_severity": {severity.value: count for severity, count in report.summary.by_severity},
            "by_provider": {
                line.provider: {
                    "credentials": line.credentials,
                    "destructive": line.destructive,
                    "worst": line.worst.value,
                }
                for line in report.summary.by_provider
            },
        },
        "repositories": repositories,
        "errors": [_record_dict(record) for record in report.errors],
        "notes": list(report.notes),
    }


def _record_dict(record: RepoRecord) -> dict[str, Any]:
    return {
        "name": record.repo.name,
        "url": re.sub(r"(://)[^/@]*@", r"\1", record.repo.url),
        "status": record.status.value,
        "error": record.error or None,
        "head_commit": record.head_commit or None,
        "tree_scanned": record.tree_scanned,
        "history": record.history.value,
        "commits_scanned": record.part.commits,
        "files_scanned": record.part.files,
        "bytes_scanned": record.part.bytes,
    }


def _gone_dict(finding: Finding) -> dict[str, str]:
    return {
        "fingerprint": finding.fingerprint,
        "provider": finding.provider,
        "kind": finding.kind,
        "severity": finding.severity.value,
        "preview": finding.preview,
    }


def _first(finding: Finding) -> str:
    if not finding.locations:
        return ""
    where = finding.locations[0]
    commit = f" @ {where.commit[:12]}" if where.commit else ""
    return f"{where.path}:{where.line} ({where.reach.value}{commit})"


def _text_summary(report: OrgReport) -> str:
    counts = _counts(report)
    out = [
        f"credscope org — run {report.run_id}: {counts['repositories']} repositories ({counts['scanned']} scanned, "
        f"{counts['unchanged']} unchanged, {counts['errors']} error(s)); {counts['credentials']} credential(s), "
        f"{counts['new']} new and {counts['gone']} gone since the last run",
        "",
        "repositories by worst credential:",
    ]
    ranked = [line for line in report.lines if line.record.findings]
    for line in ranked:
        record = line.record
        destructive = sum(1 for f in record.findings if f.destructive)
        out.append(
            f"  {(line.worst or Severity.INFO).value.upper():<9} {printable(record.repo.name)}  "
            f"{len(record.findings)} credential(s), {destructive} destructive, {len(record.new)} new, "
            f"{len(record.gone)} gone"
        )
    if not ranked:
        out.append("  none holds a credential")
    out.append("by severity: " + ", ".join(f"{s.value} {n}" for s, n in report.summary.by_severity))
    if report.summary.by_provider:
        out.append(
            "by provider: "
            + ", ".join(f"{p.provider} {p.credentials} (worst {p.worst.value})" for p in report.summary.by_provider)
        )
    for title, items in (("new since the last run", report.new()), ("gone since the last run", report.gone())):
        if items:
            out.append(f"{title}:")
            out.extend(
                f"  {f.severity.value.upper():<9} {printable(name)}  {f.provider} {f.kind}  {printable(f.preview)}  "
                f"[{f.fingerprint[:12]}]" + (f"  at {printable(_first(f))}" if f.locations else "")
                for name, f in items
            )
    if report.errors:
        out.append("not scanned:")
        out.extend(f"  {printable(r.repo.name)}: {printable(r.error)}" for r in report.errors)
    out.extend(f"note: {printable(note)}" for note in report.notes)
    return "\n".join(out) + "\n"  # the verdict line comes last, after the combined report


def _md(text: str) -> str:
    escaped = printable(text).replace("\\", "\\\\")
    for char in "`*_[]<>|#!":
        escaped = escaped.replace(char, "\\" + char)
    return " ".join(escaped.split())


def _markdown_summary(report: OrgReport) -> str:
    counts = _counts(report)
    out = [
        "# credscope organisation report",
        "",
        f"Run {report.run_id} · credscope {__version__} · {_md(_verdict_line(report))}",
        "",
        f"**{counts['repositories']}** repositories ({counts['scanned']} scanned, {counts['unchanged']} unchanged, "
        f"{counts['errors']} not scanned); **{counts['credentials']}** credential(s), **{counts['new']}** new and "
        f"{counts['gone']} gone since the last run.",
        "",
        "| worst | repository | credentials | destructive | new | gone |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for line in report.lines:
        record = line.record
        if record.findings:
            destructive = sum(1 for f in record.findings if f.destructive)
            out.append(
                f"| {(line.worst or Severity.INFO).value} | {_md(record.repo.name)} | {len(record.findings)} "
                f"| {destructive} | {len(record.new)} | {len(record.gone)} |"
            )
    out.append("")
    for title, items in (("New since the last run", report.new()), ("Gone since the last run", report.gone())):
        if items:
            out += [f"## {title}", ""]
            out += [
                f"- {f.severity.value} · {_md(name)} · {_md(f.provider)} {_md(f.kind)} · `{f.fingerprint[:12]}`"
                + (f" · {_md(_first(f))}" if f.locations else "")
                for name, f in items
            ]
            out.append("")
    if report.errors:
        out += ["## Not scanned", "", *(f"- {_md(r.repo.name)}: {_md(r.error)}" for r in report.errors), ""]
    return "\n".join(out)


def _html_summary(report: OrgReport) -> str:
    counts = _counts(report)
    rows = "".join(
        f'<tr><td><span class="badge sev-{(line.worst or Severity.INFO).value}">{(line.worst or Severity.INFO).value}'
        f"</span></td><td>{escape(line.record.repo.name)}</td>"
        f'<td class="num">{len(line.record.findings)}</td>'
        f'<td class="num">{sum(1 for f in line.record.findings if f.destructive)}</td>'
        f'<td class="num">{len(line.record.new)}</td><td class="num">{len(line.record.gone)}</td></tr>'
        for line in report.lines
        if line.record.findings
    )
    changes = ""
    for title, ident, items in (("New since the last run", "new", report.new()), ("Gone", "gone", report.gone())):
        if items:
            entries = "".join(
                f"<li>{escape(f.severity.value)} · {escape(name)} · {escape(f.provider)} {escape(f.kind)} · "
                f"<code>{f.fingerprint[:12]}</code> {escape(_first(f))}</li>"
                for name, f in items
            )
            changes += f'<h3>{title}</h3><ul id="org-{ident}">{entries}</ul>'
    errors = "".join(f"<li>{escape(r.repo.name)}: {escape(r.error)}</li>" for r in report.errors)
    state = "pass" if report.passed else "fail"
    return "\n".join(
        [
            '<section id="organisation">',
            f'<p class="verdict {state}" id="org-verdict">{escape(_verdict_line(report))}</p>',
            f"<p>Run {report.run_id}: {counts['repositories']} repositories ({counts['scanned']} scanned, "
            f"{counts['unchanged']} unchanged, {counts['errors']} not scanned); {counts['credentials']} "
            f"credential(s), {counts['new']} new and {counts['gone']} gone since the last run.</p>",
            '<table id="org-repositories"><thead><tr><th>worst</th><th>repository</th><th class="num">credentials'
            '</th><th class="num">destructive</th><th class="num">new</th><th class="num">gone</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>",
            changes,
            f'<h3>Not scanned</h3><ul id="org-errors">{errors}</ul>' if errors else "",
            "</section>",
        ]
    )
