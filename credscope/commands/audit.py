"""`credscope audit`: the one-off audit of everything an agent here can reach — the tree, its git
history, the home directory's credential stores and the environment — in one deduplicated report.
"""

# No `from __future__ import annotations`: typer evaluates command annotations at start (see cli.py).

from dataclasses import replace
from pathlib import Path
from typing import Annotated, Optional

import typer

from credscope.cli import (
    AllowPrivateHostsOption,
    BaselineOption,
    ConfigOption,
    ExcludeOption,
    FailOnOption,
    Format,
    FormatOption,
    JobsOption,
    MaxFileSizeOption,
    MinConfidenceOption,
    NoColorOption,
    OutputOption,
    ProbeLogOption,
    ProbeTimeoutOption,
    QuietOption,
    Report,
    ShowSecretsOption,
    UnknownAsOption,
    VerboseOption,
    VerifyOption,
    check_talk,
    live_settings,
    run_and_report,
    with_min_confidence,
    with_unknown_as,
)


def audit(
    path: Annotated[Optional[Path], typer.Argument(help="The workspace to audit (default: .)")] = None,
    home: Annotated[
        Optional[Path],
        typer.Option(metavar="DIR", help="Home directory whose credential stores are read (default: yours)."),
    ] = None,
    history: Annotated[bool, typer.Option(help="Read the git history of the workspace.")] = True,
    env: Annotated[bool, typer.Option(help="Read this process's environment variables.")] = True,
    output_format: FormatOption = Format.TEXT,
    output: OutputOption = None,
    show_secrets: ShowSecretsOption = False,
    fail_on: FailOnOption = None,
    unknown_as: UnknownAsOption = None,
    min_confidence: MinConfidenceOption = None,
    config_file: ConfigOption = None,
    exclude: ExcludeOption = None,
    baseline: BaselineOption = None,
    max_file_size: MaxFileSizeOption = None,
    verify: VerifyOption = False,
    probe_log: ProbeLogOption = None,
    allow_private_hosts: AllowPrivateHostsOption = False,
    probe_timeout: ProbeTimeoutOption = None,
    jobs: JobsOption = None,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
    no_color: NoColorOption = False,
) -> None:
    """Audit a workspace: tree + git history + home credential stores + environment, one report."""
    from credscope.commands.options import config_for, parse_fail_on, scan_options  # noqa: PLC0415
    from credscope.sources.home import default_home  # noqa: PLC0415

    roots = [path or Path(".")]
    check_talk(quiet, verbose)
    config = config_for(roots, config_file)
    options = scan_options(
        config,
        fail_on=parse_fail_on(fail_on),
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
    home = home or default_home()
    options = replace(options, history=history, home=home, env=env, jobs=jobs, verify=live)
    run_and_report(roots, options, Report(output_format, output, show_secrets, quiet, verbose))
