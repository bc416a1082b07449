"""The command line: parses options, calls the API, writes the report, turns the outcome into an exit code."""

# No `from __future__ import annotations` in the modules that define commands: typer reads every command's
# annotations at each start, and evaluating them from strings (twice each) cost ~10 ms of every run.
# Names imported only for type checking are quoted where they annotate.

import errno
import gc
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from credscope import __version__
from credscope.errors import CredscopeError, UsageError

if TYPE_CHECKING:
    from credscope.api import ScanOptions
    from credscope.config import Config
    from credscope.model import ScanResult
    from credscope.probes.settings import ProbeSettings
    from credscope.report.common import RenderOptions

try:  # typer >= 0.26 vendors click
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover - older typer on plain click
    from click.exceptions import ClickException  # type: ignore[import-not-found,no-redef,assignment,unused-ignore]

app = typer.Typer(
    name="credscope",
    help="Find the credentials an agent can reach in a workspace, and what each one can destroy.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    add_completion=False,
    # click's plain help: it wraps descriptions and never cuts an option name (rich's tables did at 80 columns),
    # writes no colour, and needs no rich import.
    rich_markup_mode=None,
)

EXIT_OK, EXIT_POLICY, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class Format(str, Enum):
    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"
    MARKDOWN = "markdown"
    HTML = "html"


# Options that `scan` and `audit` share, declared once.
FormatOption = Annotated[Format, typer.Option("--format", "-f", help="Report format.")]
OutputOption = Annotated[
    Optional[Path], typer.Option("--output", "-o", metavar="FILE", help="Write the report to FILE.")
]
ShowSecretsOption = Annotated[
    bool,
    typer.Option(
        "--show-secrets/--redact",
        show_default=False,
        help="--show-secrets prints full secret values; --redact (the default) shows a short preview only.",
    ),
]
FailOnOption = Annotated[
    Optional[str],
    typer.Option(
        metavar="LEVEL",
        help="Fail when a credential reaches: admin, write, any, none, or a severity (critical, high, medium, low) "
        "and above (default: config, else admin).",
    ),
]
UnknownAsOption = Annotated[
    Optional[str],
    typer.Option(
        metavar="ACCESS",
        help="What a credential of unknown access counts as: admin, write, read (default: admin).",
    ),
]
QuietOption = Annotated[
    bool,
    typer.Option(
        "--quiet", "-q", help="No progress line, and no report when the run passes (a file given with -o is written)."
    ),
]
VerboseOption = Annotated[
    bool,
    typer.Option(
        "--verbose", "-v", help="Also say on stderr which configuration was read, and every file not read and why."
    ),
]
NoColorOption = Annotated[
    bool,
    typer.Option("--no-color", help="Never colour the output. credscope writes no colour at all; NO_COLOR alike."),
]
JobsOption = Annotated[
    Optional[int],
    typer.Option(min=1, metavar="N", help="Worker processes for detection (default: $CREDSCOPE_JOBS, else CPUs)."),
]
VerifyOption = Annotated[
    bool, typer.Option("--verify", help="Ask each credential's provider, read-only, what it can do (goes online).")
]
ProbeLogOption = Annotated[
    Optional[Path],
    typer.Option(metavar="FILE", help="With --verify: record every request (never the secret) in FILE."),
]
AllowPrivateHostsOption = Annotated[
    bool,
    typer.Option(
        "--allow-private-hosts",
        help="With --verify: also probe databases on loopback, private or link-local addresses.",
    ),
]
ProbeTimeoutOption = Annotated[
    Optional[float],
    typer.Option(metavar="SECONDS", help="With --verify: seconds to wait for each request (default 10)."),
]
MaxFileSizeOption = Annotated[
    Optional[int],
    typer.Option(
        min=1, metavar="BYTES", help="Read larger files in windows, line by line, not whole (default 20 MiB)."
    ),
]
ExcludeOption = Annotated[
    Optional[list[str]],
    typer.Option(metavar="PATTERN", help="Leave out paths matching a gitignore-style pattern (repeatable)."),
]
BaselineOption = Annotated[
    Optional[Path], typer.Option(metavar="FILE", help="Report only credentials not in this baseline file.")
]
MinConfidenceOption = Annotated[
    Optional[str],
    typer.Option(
        help="The least sure findings that can fail the run: certain, likely, possible (default: config, else "
        "likely). Less sure ones are still reported."
    ),
]
ConfigOption = Annotated[
    Optional[Path], typer.Option("--config", help="Configuration file (default: nearest .credscope.yaml).")
]


# Each format's module in credscope/report/; every one has `render(result, options) -> str`.
_REPORTERS = {
    Format.TEXT: "text",
    Format.JSON: "json_report",
    Format.SARIF: "sarif",
    Format.MARKDOWN: "markdown",
    Format.HTML: "html",
}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"credscope {installed_version()}")
        raise typer.Exit(EXIT_OK)


def installed_version() -> str:
    """The installed distribution's version (hatch writes it from credscope/__init__.py when building)."""
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415 - only for --version

    try:
        return version("credscope")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return f"{__version__} (not installed)"


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", "-V", callback=_version, is_eager=True, help="Show the version and exit."),
    ] = False,
) -> None:
    """credscope: which credentials can an agent here pick up, and which can destroy something?"""


@app.command()
def scan(
    paths: Annotated[Optional[list[Path]], typer.Argument(help="Files or directories to scan (default: .)")] = None,
    output_format: FormatOption = Format.TEXT,
    output: OutputOption = None,
    show_secrets: ShowSecretsOption = False,
    verify: VerifyOption = False,
    probe_log: ProbeLogOption = None,
    allow_private_hosts: AllowPrivateHostsOption = False,
    probe_timeout: ProbeTimeoutOption = None,
    fail_on: FailOnOption = None,
    unknown_as: UnknownAsOption = None,
    min_confidence: MinConfidenceOption = None,
    max_file_size: MaxFileSizeOption = None,
    exclude: ExcludeOption = None,
    config_file: ConfigOption = None,
    baseline: BaselineOption = None,
    history: Annotated[bool, typer.Option("--history", help="Also scan every blob in the git history.")] = False,
    since: Annotated[
        Optional[str],
        typer.Option(
            metavar="REV",
            help="History only from REV on: what HEAD adds to REV, or to REV..HEAD (a pull request's commits). "
            "Implies --history.",
        ),
    ] = None,
    home: Annotated[
        Optional[Path],
        typer.Option(metavar="DIR", help="Also scan the credential stores of a home directory (--home alone: yours)."),
    ] = None,
    env: Annotated[bool, typer.Option("--env", help="Also scan this process's environment variables.")] = False,
    jobs: JobsOption = None,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
    no_color: NoColorOption = False,
) -> None:
    """Scan files and directories for credentials (offline unless --verify)."""
    from credscope.commands.options import config_for, parse_fail_on, scan_options  # noqa: PLC0415

    threshold = parse_fail_on(fail_on)
    roots = paths or [Path(".")]
    check_talk(quiet, verbose)
    config = config_for(roots, config_file)
    options = scan_options(
        config,
        fail_on=threshold,
        exclude=tuple(exclude or ()),
        max_file_size=max_file_size,
        baseline=baseline,
        show_progress=not quiet,
    )
    if unknown_as is not None:
        options = with_unknown_as(options, unknown_as)
    if min_confidence is not None:
        options = with_min_confidence(options, min_confidence)
    live = live_settings(config, verify, probe_log, allow_private_hosts, probe_timeout)
    if since is not None:
        check_since(roots, since)
    history = history or since is not None
    options = replace(options, history=history, since=since, home=home, env=env, jobs=jobs, verify=live)
    run_and_report(roots, options, Report(output_format, output, show_secrets, quiet, verbose))


def check_since(roots: Sequence[Path], since: str) -> None:
    """A --since that a root's repository cannot walk is said before any work (exit 2)."""
    from credscope.sources.history import check_range  # noqa: PLC0415 - only with --since

    for root in dict.fromkeys(root.resolve() for root in roots):
        check_range(root, since)


@dataclass(frozen=True)
class Report:
    """What to do with a scan's result: the format, where it goes, and how much else is said."""

    output_format: Format
    output: Optional[Path]
    show_secrets: bool = False
    quiet: bool = False  # no report when the run passes (a file named with -o is still written)
    verbose: bool = False  # the configuration read and every file not read, on stderr


def check_talk(quiet: bool, verbose: bool) -> None:
    if quiet and verbose:
        raise UsageError("--quiet and --verbose contradict each other")


def live_settings(
    config: "Config", verify: bool, probe_log: Path | None, allow_private_hosts: bool, probe_timeout: float | None
) -> "ProbeSettings | None":
    """The probe settings for --verify, announced on stderr before anything is sent; None keeps the run offline."""
    if not verify:
        if probe_log is not None or allow_private_hosts or probe_timeout is not None:
            raise typer.BadParameter("needs --verify", param_hint="--probe-log/--allow-private-hosts/--probe-timeout")
        return None
    from credscope.commands.options import with_config_endpoints  # noqa: PLC0415
    from credscope.probes.settings import from_command_line  # noqa: PLC0415

    live = from_command_line(os.environ, probe_timeout, allow_private_hosts, probe_log)
    live = with_config_endpoints(live, config)  # providers.<id>.endpoint in the user's configuration
    for line in live.announcements():  # said before anything is sent, not only in the report afterwards
        sys.stderr.write(f"credscope: {line}\n")
    return live


def run_and_report(roots: "Sequence[Path]", options: "ScanOptions", report: Report) -> None:
    """Scan, write the report as asked, and exit with the policy's verdict."""
    from credscope.api import scan as run_scan  # noqa: PLC0415
    from credscope.report.common import RenderOptions  # noqa: PLC0415

    check_output(report.output)
    result = run_scan(roots, options)
    if report.verbose:
        tell(result)
    if not (report.quiet and result.verdict.passed and report.output is None):
        emit(renderer(report.output_format)(result, RenderOptions(show_secrets=report.show_secrets)), report.output)
    raise typer.Exit(EXIT_OK if result.verdict.passed else EXIT_POLICY)


def tell(result: "ScanResult") -> None:
    """--verbose: the configuration read and every file not read, one escaped line each, on stderr."""
    from credscope.report.escape import inert_line  # noqa: PLC0415

    lines = [f"configuration: {', '.join(result.in_effect.config_files) or 'none'}"]
    for skipped in result.stats.skipped:
        why = f"{skipped.reason}: {skipped.detail}" if skipped.detail else skipped.reason
        lines.append(f"not read: {skipped.path} ({why})")
    sys.stderr.write("".join(f"credscope: {inert_line(line)}\n" for line in lines))


def with_unknown_as(options: "ScanOptions", unknown_as: str) -> "ScanOptions":
    """The options with --unknown-as applied to the policy: the command line wins over the configuration."""
    from credscope.in_effect import unknown_as_detail, with_setting  # noqa: PLC0415
    from credscope.model import Access  # noqa: PLC0415

    if unknown_as not in ("admin", "write", "read"):
        raise typer.BadParameter(f"{unknown_as!r} is not one of admin, write, read", param_hint="--unknown-as")
    in_effect = with_setting(options.in_effect, "--unknown-as", "unknown_as", unknown_as_detail(unknown_as))
    return replace(options, policy=replace(options.policy, unknown_as=Access(unknown_as)), in_effect=in_effect)


def with_min_confidence(options: "ScanOptions", min_confidence: str) -> "ScanOptions":
    """The options with --min-confidence applied to the policy: the command line wins over the configuration."""
    from credscope.in_effect import min_confidence_detail, with_setting  # noqa: PLC0415
    from credscope.model import Confidence  # noqa: PLC0415
    from credscope.policy import MIN_CONFIDENCE_CHOICES  # noqa: PLC0415

    try:
        wanted = Confidence(min_confidence)
    except ValueError:
        raise typer.BadParameter(
            f"{min_confidence!r} is not one of {MIN_CONFIDENCE_CHOICES}", param_hint="--min-confidence"
        ) from None
    detail = min_confidence_detail(wanted)
    in_effect = with_setting(options.in_effect, "--min-confidence", "min_confidence", detail)
    return replace(options, policy=replace(options.policy, min_confidence=wanted), in_effect=in_effect)


def renderer(output_format: Format) -> "Callable[[ScanResult, RenderOptions], str]":
    """The reporter for a format, imported only when used."""
    module = importlib.import_module(f"credscope.report.{_REPORTERS[output_format]}")
    render: Callable[[ScanResult, RenderOptions], str] = module.render
    return render


def emit(text: str, output: Path | None) -> None:
    """Write to stdout, or atomically to a file: an interrupted write leaves the old file intact."""
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    write_atomically(output, text)


_PATH_ERRORS = frozenset(
    {errno.ENOENT, errno.ENOTDIR, errno.EISDIR, errno.EACCES, errno.EPERM, errno.EROFS, errno.ENAMETOOLONG, errno.ELOOP}
)


def check_output(path: Path | None, what: str = "report") -> None:
    """Refuse an output file that cannot be written before any work is done: the user's to fix (exit 2)."""
    if path is None:
        return
    problem = _unwritable(path)
    if problem is not None:
        raise UsageError(f"{path}: cannot write {what}: {problem}")


def _unwritable(path: Path) -> str | None:
    """Why `path` cannot be written as a file, or None when it looks writable."""
    directory = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        return "it is a directory"
    if not directory.is_dir():
        return f"{directory} is not a directory"
    if not os.access(directory, os.W_OK | os.X_OK):
        return "Permission denied"
    return None


def write_atomically(path: Path, text: str, what: str = "report") -> None:
    """Write `text` to `path` through a temporary file beside it; a file that cannot be written is a UsageError."""
    import tempfile  # noqa: PLC0415 - only when writing to a file (-o): not on every start

    directory = path.parent if str(path.parent) else Path(".")
    try:
        if path.exists() and not path.is_file():
            # /dev/null, /dev/stdout, a FIFO: written to, never replaced by a file renamed over it (as root, a
            # rename over /dev/null would turn the machine's /dev/null into a regular file).
            with path.open("w", encoding="utf-8", errors="surrogateescape") as handle:
                handle.write(text)
            return
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape") as handle:
                handle.write(text)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as error:
        problem = _unwritable(path) or error.strerror or str(error)
        # A path that cannot be a file here is the user's to fix (2); a full disk or an I/O error is not (3).
        failure = UsageError if error.errno in _PATH_ERRORS else CredscopeError
        raise failure(f"{path}: cannot write {what}: {problem}") from None


def with_home_default(argv: list[str]) -> list[str]:
    """`--home` given without a directory means the user's own home (typer has no optional option values)."""
    completed = list(argv)
    for index, word in enumerate(argv):
        if word == "--":
            break
        if word == "--home" and (index + 1 == len(argv) or argv[index + 1].startswith("-")):
            completed.insert(index + 1, str(Path.home()))
            break
    return completed


def main() -> None:
    """Console entry point: one place where errors become exit codes, never a traceback with locals."""
    # A file name that is not UTF-8 reaches every report surrogate-escaped: write back the bytes it was,
    # whatever the locale's strictness (a strict UTF-8 stdout raised on it in every command).
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="surrogateescape")
    try:
        code = app(args=with_home_default(sys.argv[1:]), standalone_mode=False)
    except typer.Exit as done:
        code = done.exit_code
    except ClickException as error:
        _show_escaped(error)
        code = error.exit_code
    except (typer.Abort, KeyboardInterrupt):
        sys.stderr.write("credscope: interrupted\n")
        code = EXIT_INTERRUPTED
    except CredscopeError as error:
        # Messages quote paths, configuration keys and values from the scanned repository: one escaped line.
        from credscope.report.escape import inert_line  # noqa: PLC0415

        sys.stderr.write(f"credscope: {inert_line(str(error))}\n")
        code = error.exit_code
    except Exception as error:  # noqa: BLE001 - the last line of defence
        # The message may quote scanned content; only the type is safe to show.
        sys.stderr.write(f"credscope: internal error ({type(error).__name__}); please report it\n")
        code = EXIT_INTERNAL
    else:
        code = code if isinstance(code, int) else EXIT_OK
        if code == EXIT_INTERRUPTED:  # typer turned a KeyboardInterrupt into this exit code, silently
            sys.stderr.write("credscope: interrupted\n")
    # The process ends here, and the interpreter's final garbage collections would walk every object of the
    # run (modules, catalogue, results) to free memory the OS takes back anyway: ~20 ms of a one-file scan.
    # Frozen objects are left out of them; atexit handlers and the flushing of stdout and stderr still run.
    gc.freeze()
    sys.exit(code)


def _show_escaped(error: ClickException) -> None:
    """click's usage error, each line escaped: it may quote a file name that pre-commit passed from the repository."""
    import io  # noqa: PLC0415

    from credscope.report.escape import inert_line  # noqa: PLC0415

    shown = io.StringIO()
    error.show(file=shown)
    message = error.format_message()  # the part that can quote outside text stays one line, whatever it holds
    text = shown.getvalue().replace(message, inert_line(message)) if message else shown.getvalue()
    sys.stderr.write("".join(inert_line(line) + "\n" for line in text.rstrip("\n").split("\n")))


# Commands in their own modules, registered last: they import the helpers above.
from credscope.commands.audit import audit  # noqa: E402

app.command()(audit)
from credscope.commands import baseline as _baseline  # noqa: E402
from credscope.commands import explain as _explain  # noqa: E402
from credscope.commands import hook as _hook  # noqa: E402
from credscope.commands import providers as _providers  # noqa: E402

app.add_typer(_baseline.app, name="baseline")
app.add_typer(_providers.app, name="providers")
app.command()(_explain.explain)
app.command()(_hook.hook)
from credscope.commands.org import org as _org  # noqa: E402

app.command()(_org)
