"""`credscope baseline create|update|audit|import`: the credentials a repository already knows about.

The file is written atomically and holds fingerprints, never secrets (see credscope/baseline.py).
"""

# No `from __future__ import annotations`: typer evaluates command annotations at start (see cli.py).

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from credscope.baseline import DEFAULT_BASELINE, Baseline, default_baseline, from_credentials
from credscope.model import Credential
from credscope.report.escape import inert_line

app = typer.Typer(
    help="Baselines: report only credentials that are new since the baseline.",
    no_args_is_help=True,
    rich_markup_mode=None,  # plain help, as the root (cli.py)
)

_PathArg = Annotated[Path, typer.Argument(help="Directory or file to scan (default: .)")]
_BaselineOpt = Annotated[
    Optional[Path], typer.Option("--baseline", help=f"Baseline file (default: config, else PATH/{DEFAULT_BASELINE}).")
]
_ConfigOpt = Annotated[Optional[Path], typer.Option("--config", help="Configuration file.")]


@app.command()
def create(
    path: _PathArg = Path("."),
    baseline: _BaselineOpt = None,
    config_file: _ConfigOpt = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an existing baseline (accepted marks are lost).")
    ] = False,
) -> None:
    """Scan PATH and write every credential found to a new baseline."""
    target, credentials = _scan(path, baseline, config_file)
    found = from_credentials(credentials)
    if target.exists() and not force:
        from credscope.errors import UsageError  # noqa: PLC0415

        raise UsageError(f"{target}: already exists; use `credscope baseline update` (or --force)")
    _write(target, found)
    _say(f"credscope: wrote {len(found.entries)} credential(s) to {target}", err=True)


@app.command()
def update(path: _PathArg = Path("."), baseline: _BaselineOpt = None, config_file: _ConfigOpt = None) -> None:
    """Re-scan PATH: add new credentials, drop those gone, keep what was accepted and why."""
    from credscope.baseline import load_baseline  # noqa: PLC0415

    target, credentials = _scan(path, baseline, config_file)
    found = from_credentials(credentials)
    old = load_baseline(target) if target.exists() else Baseline()
    new = old.merged(found.entries.values())
    added = len(set(new.entries) - set(old.entries))
    dropped = len(set(old.entries) - set(new.entries))
    _write(target, new)
    _say(f"credscope: {target}: {len(new.entries)} credential(s), {added} added, {dropped} dropped", err=True)


@app.command()
def audit(
    baseline: Annotated[
        Optional[Path], typer.Option("--baseline", help=f"Baseline file (default: {DEFAULT_BASELINE}).")
    ] = None,
    accept: Annotated[
        Optional[list[str]], typer.Option("--accept", help="Fingerprint (or prefix) to mark accepted (repeatable).")
    ] = None,
    reason: Annotated[Optional[str], typer.Option(help="Why the --accept credentials are acceptable.")] = None,
    unaccept: Annotated[
        Optional[list[str]], typer.Option("--unaccept", help="Fingerprint (or prefix) to mark not accepted.")
    ] = None,
) -> None:
    """Mark entries accepted with a reason: with --accept/--reason, or interactively on a terminal."""
    from credscope.baseline import load_baseline  # noqa: PLC0415
    from credscope.errors import UsageError  # noqa: PLC0415

    baseline = baseline or default_baseline(Path("."))
    known = load_baseline(baseline)
    if accept or unaccept:
        if accept and not (reason and reason.strip()):
            raise UsageError("--accept needs --reason TEXT: say why the credential is acceptable")
        try:
            for prefix in accept or ():
                known = known.accept(known.resolve(prefix), " ".join((reason or "").split()))
            for prefix in unaccept or ():
                known = known.unaccept(known.resolve(prefix))
        except KeyError as error:
            raise UsageError(f"{baseline}: {error.args[0]}") from None
        _write(baseline, known)
        _say(f"credscope: {baseline}: {_accepted(known)} of {len(known.entries)} accepted", err=True)
        return
    if sys.stdin.isatty():
        known = _interactive(known)
        _write(baseline, known)
        _say(f"credscope: {baseline}: {_accepted(known)} of {len(known.entries)} accepted", err=True)
        return
    for fingerprint, entry in sorted(known.entries.items()):
        status = f"accepted: {entry.reason}" if entry.accepted else "not reviewed"
        _say(f"{fingerprint[:16]}  {entry.provider} {entry.kind}  {', '.join(entry.paths)}  [{status}]")


@app.command("import")
def import_(
    detect_secrets_baseline: Annotated[Path, typer.Argument(help="A detect-secrets .secrets.baseline file.")],
    path: Annotated[
        Optional[Path], typer.Argument(help="What it covers (default: the directory holding the file).")
    ] = None,
    baseline: _BaselineOpt = None,
    config_file: _ConfigOpt = None,
) -> None:
    """Convert a detect-secrets baseline: re-scan, match its SHA-1 hashes, write a credscope baseline."""
    from credscope.baseline import import_detect_secrets, load_baseline  # noqa: PLC0415

    root = path or detect_secrets_baseline.parent
    target, credentials = _scan(root, baseline, config_file)
    outcome = import_detect_secrets(detect_secrets_baseline, credentials)
    old = load_baseline(target) if target.exists() else Baseline()
    merged = old.merged(outcome.baseline.entries.values(), keep_missing=True)
    for fingerprint, entry in outcome.baseline.entries.items():
        if entry.accepted and not merged.entries[fingerprint].accepted:
            merged = merged.accept(fingerprint, entry.reason or "")
    _write(target, merged)
    _say(
        f"credscope: {target}: imported {outcome.matched} detect-secrets entr(ies) as "
        f"{len(outcome.baseline.entries)} credential(s); {len(outcome.unmatched)} matched nothing credscope finds",
        err=True,
    )
    for where in outcome.unmatched:
        _say(f"  not matched: {where}", err=True)


def _scan(path: Path, baseline: Path | None, config_file: Path | None) -> tuple[Path, tuple[Credential, ...]]:
    """Scan `path` with the configuration but no suppressions; where the baseline goes, and what was found."""
    from credscope.api import scan  # noqa: PLC0415
    from credscope.cli import check_output  # noqa: PLC0415 - cli imports this module
    from credscope.commands.options import config_for, scan_options  # noqa: PLC0415

    config = config_for([path], config_file)
    directory = path if path.is_dir() else path.parent
    # --baseline is the user's; the configuration's was kept inside the repository as it loaded.
    target = baseline or config.baseline or default_baseline(directory)
    check_output(target, "baseline")  # before the scan, not after it
    result = scan([path], scan_options(config, use_suppressions=False))
    return target, result.credentials


def _say(line: str, err: bool = False) -> None:
    """One line of output: paths, kinds and reasons come from a baseline file the repository brings."""
    typer.echo(inert_line(line), err=err)


def _write(target: Path, baseline: Baseline) -> None:
    from credscope.cli import write_atomically  # noqa: PLC0415 - cli imports this module

    write_atomically(target, baseline.render(), what="baseline")


def _accepted(baseline: Baseline) -> int:
    return sum(1 for entry in baseline.entries.values() if entry.accepted)


def _interactive(known: Baseline) -> Baseline:
    pending = [fp for fp, entry in sorted(known.entries.items()) if not entry.accepted]
    _say(f"{len(pending)} entr(ies) to review; answer y (accept), n (skip) or q (stop).")
    for fingerprint in pending:
        entry = known.entries[fingerprint]
        _say("")
        _say(f"{entry.provider} {entry.kind}  [{fingerprint[:16]}]  rule {entry.rule}")
        _say(f"  seen in: {', '.join(entry.paths) or '(unknown)'}")
        answer = typer.prompt("accept?", default="n", show_default=True).strip().lower()
        if answer.startswith("q"):
            break
        if answer.startswith("y"):
            why = ""
            while not why:
                why = " ".join(typer.prompt("reason").split())
            known = known.accept(fingerprint, why)
    return known
