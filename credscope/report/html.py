"""The audit report as one self-contained HTML file: inline CSS, no script, no font, nothing fetched.

A Content-Security-Policy forbids loading anything, so the file behaves the same offline, in a mail
attachment or on a printer. Every scanned value is escaped (controls and bidi overrides shown as escapes,
markup as entities); the secret is shown only with --show-secrets. The configuration and every suppression
in effect are shown under the verdict.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape as html_escape

from credscope import __version__
from credscope.model import Credential, InEffect, ScanResult
from credscope.report.blast import destroyers, render_svg
from credscope.report.common import RenderOptions, parts_dict
from credscope.report.digest import Summary, by_severity, fix_hint, summarize
from credscope.report.escape import printable
from credscope.report.in_effect import headline, sentence

_DESTRUCTIVE = {True: "yes", False: "no", None: "unknown"}

_CSS = """
:root { --fg:#1b1f24; --muted:#57606a; --line:#d0d7de; --bg:#ffffff; --panel:#f6f8fa;
  --critical:#a40e26; --high:#d1242f; --medium:#bc4c00; --low:#6e7781; --info:#8c959f; --ok:#1a7f37; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 70rem; padding: 1.5rem; color: var(--fg); background: var(--bg);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; } h2 { font-size: 1.25rem; border-bottom: 1px solid var(--line);
  padding-bottom: .25rem; margin-top: 2rem; } h3 { font-size: 1.05rem; margin: 0 0 .5rem; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
  font-size: .9em; overflow-wrap: anywhere; }
.meta { color: var(--muted); margin: 0; }
.verdict { display: inline-block; margin: .75rem 0 0; padding: .3rem .7rem; border-radius: 4px; font-weight: 600; }
.verdict.pass { background: #dafbe1; color: var(--ok); } .verdict.fail { background: #ffebe9; color: var(--critical); }
.cards { display: flex; flex-wrap: wrap; gap: .75rem; margin: 1rem 0; }
.card { flex: 1 1 8rem; border: 1px solid var(--line); border-radius: 6px; padding: .6rem .8rem;
  background: var(--panel); }
.card .n { font-size: 1.6rem; font-weight: 700; display: block; } .card .l { color: var(--muted); font-size: .85rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--panel); font-weight: 600; } td.num, th.num { text-align: right; }
.badge { display: inline-block; min-width: 4.8rem; text-align: center; padding: .1rem .45rem; border-radius: 3px;
  color: #fff; font-size: .8rem; font-weight: 700; text-transform: uppercase; letter-spacing: .03em; }
.sev-critical { --sev: var(--critical); } .sev-high { --sev: var(--high); } .sev-medium { --sev: var(--medium); }
.sev-low { --sev: var(--low); } .sev-info { --sev: var(--info); }
.badge { background: var(--sev); }
.credential { border: 1px solid var(--line); border-left: 6px solid var(--sev); border-radius: 6px;
  padding: .8rem 1rem; margin: 1rem 0; break-inside: avoid; page-break-inside: avoid; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: .25rem 0 .5rem; }
dt { color: var(--muted); } dd { margin: 0; }
.fix { background: var(--panel); border-radius: 4px; padding: .4rem .6rem; margin: .5rem 0; }
.evidence { margin: .25rem 0 .5rem; padding-left: 1.25rem; }
.fails { color: var(--critical); font-weight: 600; }
#blast-radius { display: block; margin: .5rem 0 1rem; break-inside: avoid; page-break-inside: avoid; }
#suppressions { border: 1px solid var(--medium); border-left: 6px solid var(--medium); border-radius: 6px;
  background: #fff8c5; padding: .6rem 1rem; margin: 1rem 0; }
#suppressions h2 { border: 0; margin: 0 0 .25rem; } #suppressions ul { margin: .25rem 0; padding-left: 1.25rem; }
footer { color: var(--muted); font-size: .85rem; margin-top: 2rem; border-top: 1px solid var(--line);
  padding-top: .5rem; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  h2 { break-after: avoid; page-break-after: avoid; }
  .credential, tr { break-inside: avoid; page-break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""


def render(result: ScanResult, options: RenderOptions) -> str:
    summary = summarize(result)
    credentials = by_severity(result.credentials)
    roots = ", ".join(escape(root) for root in result.roots) or "(nothing)"
    passed = result.verdict.passed
    verdict = f"policy --fail-on {escape(result.verdict.threshold)}: " + (
        "passed" if passed else f"FAILED, {len(result.verdict.failing)} credential(s) over the threshold"
    )
    narrowed = headline(result.in_effect)
    if narrowed:
        verdict += f' — <a href="#suppressions">{escape(narrowed)}</a>'
    body = [
        "<header>",
        "<h1>credscope audit report</h1>",
        f'<p class="meta">Scanned <span class="mono">{roots}</span> with credscope {escape(__version__)}</p>',
        f'<p class="verdict {"pass" if passed else "fail"}" id="verdict">{verdict}</p>',
        "</header>",
        _in_effect(result.in_effect),
        _summary(summary),
        _blast_radius(credentials),
        '<section id="credentials">',
        f"<h2>Credentials ({len(credentials)})</h2>",
        *(_credential(n, c, result, options) for n, c in enumerate(credentials, start=1)),
        "" if credentials else '<p id="none">No credentials found.</p>',
        "</section>",
        _footer(result),
    ]
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
        '<meta name="referrer" content="no-referrer">\n'
        "<title>credscope audit report</title>\n"
        f"<style>{_CSS}</style>\n</head>\n<body>\n" + "\n".join(part for part in body if part) + "\n</body>\n</html>\n"
    )


def escape(text: str) -> str:
    """Outside text as HTML text: controls, bidi overrides and separators shown as escapes, markup as entities."""
    return html_escape(printable(text))


def _blast_radius(credentials: Sequence[Credential]) -> str:
    """The picture of what the destructive credentials reach, when there are any."""
    svg = render_svg(credentials, escape)
    if not svg:
        return ""
    count = len(destroyers(credentials))
    return (
        f'<section id="blast-radius-section"><h2>Blast radius ({count} credential(s) that can or may destroy)</h2>'
        '<p class="meta">Where an agent can pick each one up → the credential → what it can destroy (dashed: '
        f"what its kind can be granted, its scope not established).</p>\n{svg}</section>"
    )


def _in_effect(in_effect: InEffect) -> str:
    """The configuration files and, when anything narrowed the run, every suppression: right under the verdict."""
    parts = []
    if in_effect.config_files:
        files = ", ".join(f"<code>{escape(name)}</code>" for name in in_effect.config_files)
        parts.append(f'<p class="meta" id="configuration">Configuration: {files}</p>')
    if in_effect.suppressions:
        items = "".join(
            f'<li class="suppression" data-kind="{item.kind.value}">{escape(sentence(item))}</li>'
            for item in in_effect.suppressions
        )
        parts.append(
            f'<section id="suppressions"><h2>Suppressions in effect ({len(in_effect.suppressions)})</h2>'
            f"<ul>{items}</ul></section>"
        )
    return "\n".join(parts)


def _summary(summary: Summary) -> str:
    cards = [
        ("credentials", summary.credentials),
        ("destructive", summary.destructive),
        *((severity.value, count) for severity, count in summary.by_severity),
    ]
    rows = [
        "<tr>"
        f'<td><span class="badge sev-{line.worst.value}">{line.worst.value}</span></td>'
        f"<td>{escape(line.provider)}</td>"
        f'<td class="num">{line.credentials}</td><td class="num">{line.destructive}</td>'
        f"<td>{escape(', '.join(f'{count} {s.value}' for s, count in line.by_severity if count))}</td>"
        "</tr>"
        for line in summary.by_provider
    ]
    reach = ", ".join(f"{escape(r.value)}: {count}" for r, count in summary.by_reach) or "nowhere"
    return "\n".join(
        [
            '<section id="summary">',
            "<h2>Summary</h2>",
            f"<p>{summary.credentials} credential(s) in {summary.places} place(s); "
            f"<strong>{summary.destructive}</strong> can destroy something.</p>",
            '<div class="cards">',
            *(
                f'<div class="card" id="count-{label}">'
                f'<span class="n">{count}</span><span class="l">{label}</span></div>'
                for label, count in cards
            ),
            "</div>",
            '<table id="by-provider"><thead><tr><th>worst</th><th>provider</th><th class="num">credentials</th>'
            '<th class="num">destructive</th><th>by severity</th></tr></thead>',
            "<tbody>" + "".join(rows) + "</tbody></table>" if rows else "</table>",
            f'<p id="by-reach">Reachable from: {reach}</p>',
            "</section>",
        ]
    )


def _credential(number: int, credential: Credential, result: ScanResult, options: RenderOptions) -> str:
    scope = credential.scope
    severity = credential.severity.value
    secret = credential.secret if options.show_secrets else credential.preview
    facts = [
        ("secret", f'<code class="preview">{escape(secret)}</code>'),
        ("fingerprint", f'<code class="fingerprint">{credential.fingerprint}</code>'),
        ("rule", f"<code>{escape(credential.rule)}</code>"),
        ("access", f"<strong>{scope.access.value}</strong> ({scope.scope_source.value})"),
        ("destructive", f"<strong>{_DESTRUCTIVE[scope.destructive]}</strong>"),
    ]
    if scope.destructive_actions:
        facts.append(("can", ", ".join(f"<code>{escape(a)}</code>" for a in scope.destructive_actions)))
    elif scope.potential_actions:
        facts.append(("may be able to", ", ".join(f"<code>{escape(a)}</code>" for a in scope.potential_actions)))
    why_sure = escape(credential.confidence_reason)
    facts.append(("confidence", f"<strong>{credential.confidence.value}</strong> {why_sure}"))
    facts += [(escape(key), escape(value)) for key, value in scope.identity.items()]
    parts = parts_dict(credential, options)
    facts += [(escape(part), f"<code>{escape(value)}</code>") for part, value in parts.items()]
    reason = result.verdict.reasons.get(credential.fingerprint)
    if reason:
        facts.append(("policy", f'<span class="fails">fails: {escape(reason)}</span>'))
    locations = "".join(
        "<tr>"
        f"<td><code>{escape(loc.path)}:{loc.line}:{loc.column}</code></td>"
        f"<td>{loc.reach.value}{escape(' @ ' + loc.commit[:12]) if loc.commit else ''}</td>"
        f"<td>{escape(loc.context.get('name', ''))}</td>"
        f"<td>{escape(', '.join(loc.excluded_by))}</td>"
        "</tr>"
        for loc in credential.locations
    )
    evidence = "".join(f"<li>{escape(line)}</li>" for line in scope.evidence)
    return "\n".join(
        [
            f'<article class="credential sev-{severity}" id="credential-{credential.fingerprint[:12]}" '
            f'data-fingerprint="{credential.fingerprint}" data-severity="{severity}">',
            f'<h3><span class="badge sev-{severity}">{severity}</span> {number}. '
            f"{escape(credential.provider)} {escape(credential.kind)}</h3>",
            "<dl>" + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts) + "</dl>",
            f'<p class="fix"><strong>Fix:</strong> {escape(fix_hint(credential))}</p>',
            f'<ul class="evidence">{evidence}</ul>' if evidence else "",
            '<table class="locations"><thead><tr><th>where</th><th>reach</th><th>assigned to</th>'
            f"<th>agent exclusions</th></tr></thead><tbody>{locations}</tbody></table>",
            "</article>",
        ]
    )


def _footer(result: ScanResult) -> str:
    stats = result.stats
    skipped = ", ".join(f"{escape(r)} {n}" for r, n in stats.skipped_by_reason().items())
    notes = "".join(f"<li>{escape(note)}</li>" for note in result.notes)
    return (
        '<footer id="scan">'
        f"<p>{stats.files_scanned} file(s), {stats.bytes_scanned} bytes scanned in {stats.duration_seconds:.2f}s; "
        f"{len(stats.skipped)} skipped{f' ({skipped})' if skipped else ''}.</p>"
        + (f"<ul>{notes}</ul>" if notes else "")
        + "</footer>"
    )
