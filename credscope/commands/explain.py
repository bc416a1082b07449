"""`credscope explain FINGERPRINT [PATH]`: everything credscope knows about one credential, secret redacted.

Claims, evidence, identities and paths come from the scanned files or a provider's answer: every line is
escaped as a whole before it is printed (report/escape.py).
"""

# No `from __future__ import annotations`: typer evaluates command annotations at start (see cli.py).

from pathlib import Path
from typing import Annotated, Optional

import typer

from credscope.catalogue import Catalogue
from credscope.cli import JobsOption
from credscope.config import Config
from credscope.errors import UsageError
from credscope.model import Credential, ScanResult
from credscope.report.escape import inert_lines

_MIN_PREFIX = 6


def explain(
    fingerprint: Annotated[str, typer.Argument(help="The credential's fingerprint or a prefix (6+ hex digits).")],
    path: Annotated[Path, typer.Argument(help="Where to look for it (default: .)")] = Path("."),
    config_file: Annotated[Optional[Path], typer.Option("--config", help="Configuration file.")] = None,
    baseline: Annotated[Optional[Path], typer.Option(help="Baseline file to report the status in.")] = None,
    history: Annotated[bool, typer.Option("--history", help="Also look in every blob of the git history.")] = False,
    home: Annotated[
        Optional[Path],
        typer.Option(metavar="DIR", help="Also look in a home directory's credential stores (--home alone: yours)."),
    ] = None,
    env: Annotated[bool, typer.Option("--env", help="Also look in this process's environment variables.")] = False,
    jobs: JobsOption = None,
) -> None:
    """Re-scan PATH and show one credential fully: scope, evidence, capabilities, every location, policy."""
    from dataclasses import replace  # noqa: PLC0415

    from credscope.api import scan  # noqa: PLC0415
    from credscope.catalogue import load_catalogue  # noqa: PLC0415
    from credscope.commands.options import config_for, scan_options  # noqa: PLC0415

    prefix = fingerprint.strip().lower()
    if len(prefix) < _MIN_PREFIX or any(c not in "0123456789abcdef" for c in prefix):
        raise UsageError(f"{fingerprint!r}: give at least {_MIN_PREFIX} hex digits of a fingerprint")
    config = config_for([path], config_file)
    # Nothing is suppressed here: explaining a baselined credential is the point of asking.
    options = scan_options(config, use_suppressions=False)
    options = replace(options, history=history, home=home, env=env, jobs=jobs)
    catalogue = load_catalogue(options.provider_dirs)
    result = scan([path], options, catalogue=catalogue)
    matches = [c for c in result.credentials if c.fingerprint.startswith(prefix)]
    if not matches:
        raise UsageError(f"no credential with fingerprint {prefix}… under {path} ({_where_else(history, home, env)})")
    if len(matches) > 1:
        listed = ", ".join(f"{c.fingerprint[:16]} ({c.provider} {c.kind})" for c in matches)
        raise UsageError(f"{prefix} matches {len(matches)} credentials: {listed}; give more digits")
    lines = describe(matches[0], result, catalogue)
    lines += _baseline_status(matches[0].fingerprint, baseline or config.baseline, config)
    typer.echo(inert_lines(lines))


def _where_else(history: bool, home: Path | None, env: bool) -> str:
    """Where the search looked, and the options that look further."""
    looked = ["the files", *(["the history"] if history else []), *(["the home"] if home else [])]
    looked += ["the environment"] if env else []
    further = [name for name, used in (("--history", history), ("--home", home), ("--env", env)) if not used]
    said = f"looked in {', '.join(looked)}"
    if not further:
        return said
    return (
        f"{said}; {', '.join(further[:-1])} and {further[-1]} look further"
        if len(further) > 1
        else (f"{said}; {further[0]} looks further")
    )


def describe(credential: Credential, result: ScanResult, catalogue: Catalogue) -> list[str]:
    from credscope.report.digest import fix_hint  # noqa: PLC0415

    scope = credential.scope
    provider = catalogue.providers.get(credential.provider)
    destructive = {True: "yes", False: "no", None: "unknown"}[scope.destructive]
    out = [
        f"{credential.provider} {credential.kind}  {credential.preview}",
        f"  fingerprint:  {credential.fingerprint}",
        f"  severity:     {credential.severity.value}",
        f"  access:       {scope.access.value} ({scope.scope_source.value})",
        f"  destructive:  {destructive}",
    ]
    if scope.production is not None:
        out.append(f"  production:   {'yes' if scope.production else 'no'}")
    for action in scope.destructive_actions:
        out.append(f"  can:          {action}")
    for action in () if scope.destructive_actions else scope.potential_actions:
        out.append(f"  may be able:  {action}  (scope not established)")
    out.append(f"  confidence:   {credential.confidence.value} ({credential.confidence_reason})")
    out.append(f"  rule:         {credential.rule}")
    try:
        description = catalogue.rule(credential.rule).description
    except KeyError:
        description = ""
    if description:
        out.append(f"                {description}")
    for key, value in scope.identity.items():
        out.append(f"  {key + ':':<13} {value}")
    for part, value in credential.parts.items():
        out.append(f"  {part + ':':<13} {_redacted(value)}")
    if scope.evidence:
        out.append("  evidence:")
        out.extend(f"    - {line}" for line in scope.evidence)
    if provider is not None:
        out.append(f"  provider:     {provider.name} ({provider.source})")
        if provider.docs:
            out.append(f"  docs:         {provider.docs}")
        out.append(f"  live probe:   {'yes, with --verify' if provider.probe else 'no'}")
        kind = provider.kinds.get(credential.kind)
        if kind is not None and kind.capabilities:
            out.append(f"  {credential.kind} ({kind.breadth}) can, according to the catalogue:")
            for capability_id in kind.capabilities:
                capability = provider.capabilities[capability_id]
                mark = "destructive" if capability.destructive else capability.level.value
                doc = f"  {capability.doc}" if capability.doc else ""
                out.append(f"    - {capability.id} [{mark}]{doc}")
    out.append(f"  found in {len(credential.locations)} place(s):")
    for location in credential.locations:
        commit = f" @ {location.commit}" if location.commit else ""
        out.append(f"    {location.path}:{location.line}:{location.column} [{location.reach.value}{commit}]")
        for key, value in location.context.items():
            out.append(f"      {key}: {value}")
        if location.excluded_by:
            out.append(f"      excluded for agents by: {', '.join(location.excluded_by)}")
    reason = result.verdict.reasons.get(credential.fingerprint)
    out.append(f"  policy:       {'FAILS: ' + reason if reason else 'passes --fail-on ' + result.verdict.threshold}")
    out.append(f"  fix:          {fix_hint(credential)}")
    return out


def _redacted(value: str) -> str:
    from credscope.model import redact  # noqa: PLC0415

    return redact(value)


def _baseline_status(fingerprint: str, baseline_path: Path | None, config: Config) -> list[str]:
    from credscope.baseline import DEFAULT_BASELINE, load_baseline  # noqa: PLC0415

    out = [
        f"  ignored:      by {config.source}: {ignored.reason}"
        for ignored in config.ignore
        if fingerprint.startswith(ignored.fingerprint)
    ]
    path = baseline_path or Path(DEFAULT_BASELINE)
    if baseline_path is None and not path.is_file():
        return out
    known = load_baseline(path)
    entry = known.entries.get(fingerprint)
    if entry is None:
        out.append(f"  baseline:     not in {path} (a new credential)")
    elif entry.accepted:
        out.append(f"  baseline:     in {path}, accepted: {entry.reason}")
    else:
        out.append(f"  baseline:     in {path}, not yet reviewed (credscope baseline audit)")
    return out
