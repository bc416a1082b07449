"""`credscope audit`: the one-off audit of everything an agent here can reach — the tree, its git
history, the home directory's credential stores and the environment — in one deduplicated report.
"""

# No `from __future__ import annotations`: typer evaluates command annotations at start (see cli.py).

from dataclasses import replace
from pathlib import Path
from typing import Annotated, Optional

import typer

from credscope.cli import (
    EXIT_OK,
    EXIT_POLICY,
    ConfigOption,
    FailOnOption,
    Format,
    FormatOption,
    OutputOption,
    ShowSecretsOption,
    UnknownAsOption,
    check_output,
    emit,
    renderer,
    with_unknown_as,
)


def audit(
    path: Annotated[Optional[Path], typer.Argument(help="The workspace to audit (default: .)")] = None,
    home: Annotated[
        Optional[Path], typer.Option(help="Home directory whose credential stores are read (default: yours).")
    ] = None,
    history: Annotated[bool, typer.Option(help="Read the git history of the workspace.")] = True,
    env: Annotated[bool, typer.Option(help="Read this process's environment variables.")] = True,
    output_format: FormatOption = Format.TEXT,
    output: OutputOption = None,
    show_secrets: ShowSecretsOption = False,
    fail_on: FailOnOption = None,
    unknown_as: UnknownAsOption = None,
    config_file: ConfigOption = None,
) -> None:
    """Audit a workspace: tree + git history + home credential stores + environment, one report."""
    from credscope.api import scan as run_scan  # noqa: PLC0415
    from credscope.commands.options import config_for, parse_fail_on, scan_options  # noqa: PLC0415
    from credscope.report.common import RenderOptions  # noqa: PLC0415
    from credscope.sources.home import default_home  # noqa: PLC0415

    roots = [path or Path(".")]
    options = scan_options(config_for(roots, config_file), fail_on=parse_fail_on(fail_on))
    if unknown_as is not None:
        options = with_unknown_as(options, unknown_as)
    options = replace(options, history=history, home=home or default_home(), env=env)
    check_output(output)
    result = run_scan(roots, options)
    emit(renderer(output_format)(result, RenderOptions(show_secrets=show_secrets)), output)
    raise typer.Exit(EXIT_OK if result.verdict.passed else EXIT_POLICY)
