"""`credscope org`: every repository of an organisation — from a list, a directory of clones or mirrors, a
GitHub organisation or a GitLab group — scanned on Dask (an embedded local cluster, or `--scheduler`), kept in
a store (SQLite, or PostgreSQL with `--store`), and reported with what is new and gone since the last run.
"""

# No `from __future__ import annotations`: typer evaluates command annotations at start (see cli.py).
# Dask, the store and the organisation package are imported when the command runs, never at start.

import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from credscope.cli import (
    EXIT_OK,
    EXIT_POLICY,
    BaselineOption,
    ConfigOption,
    ExcludeOption,
    FailOnOption,
    Format,
    FormatOption,
    MaxFileSizeOption,
    OutputOption,
    UnknownAsOption,
    check_output,
    emit,
    with_unknown_as,
)

if TYPE_CHECKING:  # quoted in the annotations below: typer never imports these at start
    from credscope.config import Config
    from credscope.org.enumerate import Enumeration
    from credscope.org.task import Job


def org(
    sources: Annotated[
        Optional[list[Path]],
        typer.Argument(help="Files listing repositories (a URL or path per line) or directories of clones/mirrors."),
    ] = None,
    github_org: Annotated[
        Optional[list[str]], typer.Option("--github-org", help="A GitHub organisation (token: GITHUB_TOKEN).")
    ] = None,
    gitlab_group: Annotated[
        Optional[list[str]], typer.Option("--gitlab-group", help="A GitLab group, subgroups included (GITLAB_TOKEN).")
    ] = None,
    github_api: Annotated[
        Optional[str], typer.Option(help="GitHub API base URL (default: CREDSCOPE_GITHUB_API, else api.github.com).")
    ] = None,
    gitlab_api: Annotated[
        Optional[str], typer.Option(help="GitLab base URL (default: CREDSCOPE_GITLAB_API, else gitlab.com).")
    ] = None,
    include_forks: Annotated[
        bool, typer.Option("--include-forks", help="Also scan forks listed by GitHub/GitLab.")
    ] = False,
    include_archived: Annotated[
        bool, typer.Option("--include-archived", help="Also scan archived repositories.")
    ] = False,
    scheduler: Annotated[
        Optional[str], typer.Option(help="Run on the Dask cluster at tcp://HOST:PORT (default: embedded).")
    ] = None,
    workers: Annotated[
        Optional[int], typer.Option(help="Worker processes of the embedded cluster (default: one per CPU).")
    ] = None,
    store: Annotated[
        Optional[str], typer.Option(help="SQLite file or postgresql:// URL (default: org.sqlite3 in the cache).")
    ] = None,
    mirrors: Annotated[
        Optional[Path], typer.Option(help="Mirror cache directory on the workers (default: their credscope cache).")
    ] = None,
    history: Annotated[bool, typer.Option(help="Scan every commit's history, not only the default branch.")] = True,
    full: Annotated[bool, typer.Option("--full", help="Rescan everything, whatever the last run saw.")] = False,
    split_commits: Annotated[
        int, typer.Option(help="Scan a history of more new commits than this in slices, as separate tasks.")
    ] = 5000,
    allow_errors: Annotated[
        bool, typer.Option("--allow-errors", help="Do not fail because a repository could not be scanned.")
    ] = False,
    output_format: FormatOption = Format.TEXT,
    output: OutputOption = None,
    fail_on: FailOnOption = None,
    unknown_as: UnknownAsOption = None,
    config_file: ConfigOption = None,
    exclude: ExcludeOption = None,
    max_file_size: MaxFileSizeOption = None,
    baseline: BaselineOption = None,
    verify: Annotated[
        bool, typer.Option("--verify", help="Ask each credential's provider, read-only, what it can do.")
    ] = False,
    probe_timeout: Annotated[Optional[float], typer.Option(help="With --verify: seconds per request.")] = None,
    probe_rate: Annotated[
        Optional[float], typer.Option(help="With --verify: request starts per second per provider, whole cluster.")
    ] = None,
    probe_concurrency: Annotated[
        Optional[int], typer.Option(help="With --verify: requests in flight per provider, whole cluster.")
    ] = None,
    allow_private_hosts: Annotated[
        bool, typer.Option("--allow-private-hosts", help="With --verify: also probe databases on private addresses.")
    ] = False,
) -> None:
    """Scan every repository of an organisation on Dask; report what is new and gone since the last run."""
    from credscope.cache import cache_dir  # noqa: PLC0415
    from credscope.commands.options import config_for, parse_fail_on, scan_options  # noqa: PLC0415
    from credscope.errors import UsageError  # noqa: PLC0415
    from credscope.org.task import Job  # noqa: PLC0415

    if not (sources or github_org or gitlab_group):
        raise UsageError("credscope org needs repositories: a list file, a directory, --github-org or --gitlab-group")
    if output_format is Format.SARIF and (output is None or (output.exists() and not output.is_dir())):
        raise UsageError("--format sarif writes one file per repository: --output must name a directory")
    if output_format is not Format.SARIF:
        check_output(output)
    if scheduler is not None and workers is not None:
        raise UsageError("--workers sizes the embedded cluster; with --scheduler the cluster is already there")
    if split_commits < 1:
        raise UsageError("--split-commits must be at least 1")
    probing = (probe_timeout, probe_rate, probe_concurrency)
    if not verify and (allow_private_hosts or any(value is not None for value in probing)):
        raise UsageError("--probe-timeout/--probe-rate/--probe-concurrency/--allow-private-hosts need --verify")
    config = config_for([Path(".")], config_file)
    options = scan_options(
        config,
        fail_on=parse_fail_on(fail_on),
        exclude=tuple(exclude or ()),
        max_file_size=max_file_size,
        baseline=baseline,
        show_progress=False,
    )
    if unknown_as is not None:
        options = with_unknown_as(options, unknown_as)
    found = _enumerate(
        sources or [], github_org or [], gitlab_group or [], github_api, gitlab_api, include_forks, include_archived
    )
    job = Job(
        tree=options.tree,
        policy=options.policy,
        provider_dirs=options.provider_dirs,
        suppress=options.suppress,
        disabled_providers=options.disabled_providers,
        history=history,
        full=full,
        mirrors=str(mirrors.resolve()) if mirrors is not None else None,
        split_commits=split_commits,
    )
    if verify:
        job = _with_probes(job, config, probe_timeout, probe_rate, probe_concurrency, allow_private_hosts)
    passed = _run(job, found, store, cache_dir(), scheduler, workers, allow_errors, output_format, output)
    raise typer.Exit(EXIT_OK if passed else EXIT_POLICY)


def _enumerate(
    sources: list[Path],
    github_orgs: list[str],
    gitlab_groups: list[str],
    github_api: Optional[str],
    gitlab_api: Optional[str],
    include_forks: bool,
    include_archived: bool,
) -> "Enumeration":
    from credscope.org.enumerate import from_sources  # noqa: PLC0415
    from credscope.org.forges import forge, github_org, gitlab_group  # noqa: PLC0415

    found = from_sources(sources)
    if github_orgs:
        api = forge("github", github_api, os.environ)
        for name in github_orgs:
            found.extend(github_org(name, api, include_forks, include_archived))
    if gitlab_groups:
        api = forge("gitlab", gitlab_api, os.environ)
        for name in gitlab_groups:
            found.extend(gitlab_group(name, api, include_forks, include_archived))
    if not found.repos and not found.refused:
        found.notes.append("no repositories found to scan")
    return found


def _with_probes(
    job: "Job",
    config: "Config",
    timeout: Optional[float],
    rate: Optional[float],
    concurrency: Optional[int],
    allow_private_hosts: bool,
) -> "Job":
    import uuid  # noqa: PLC0415

    from credscope.commands.options import with_config_endpoints  # noqa: PLC0415
    from credscope.errors import UsageError  # noqa: PLC0415
    from credscope.org.limits import ClusterLimit  # noqa: PLC0415
    from credscope.probes.settings import from_command_line  # noqa: PLC0415

    settings = with_config_endpoints(from_command_line(os.environ, timeout, allow_private_hosts, None), config)
    if rate is not None and rate <= 0:
        raise UsageError("--probe-rate must be a positive number of requests per second")
    if concurrency is not None and concurrency < 1:
        raise UsageError("--probe-concurrency must be at least 1")
    settings = replace(
        settings,
        rate_per_second=settings.rate_per_second if rate is None else rate,
        concurrency=settings.concurrency if concurrency is None else concurrency,
    )
    limit = ClusterLimit(f"credscope-probe-{uuid.uuid4().hex[:12]}", settings.concurrency, settings.rate_per_second)
    return replace(job, verify=settings, probe_limit=limit)


def _run(
    job: "Job",
    found: "Enumeration",
    store_url: Optional[str],
    cache: Path,
    scheduler: Optional[str],
    workers: Optional[int],
    allow_errors: bool,
    output_format: Format,
    output: Optional[Path],
) -> bool:
    from credscope.org.progress import bar_for  # noqa: PLC0415
    from credscope.org.report import build, render, sarif_files  # noqa: PLC0415
    from credscope.org.schedule import Run, connect  # noqa: PLC0415
    from credscope.org.store import Store  # noqa: PLC0415

    with Store.open(store_url, cache / "org.sqlite3") as store:
        run_id = store.begin_run(job.policy.fail_on.value, job.history)
        try:
            with connect(scheduler, workers) as client:
                records = Run(client, store, run_id, job, progress=bar_for()).scan(found.repos, found.refused)
        except BaseException:
            store.finish_run(run_id, "interrupted")
            raise
        store.finish_run(run_id, "finished")
    report = build(run_id, records, job.policy, allow_errors, tuple(found.notes))
    if output_format is Format.SARIF:
        assert output is not None
        _write_sarif(output, sarif_files(report))
    else:
        emit(render(report, output_format.value), output)
    return report.passed


def _write_sarif(directory: Path, files: dict[str, str]) -> None:
    from credscope.cli import write_atomically  # noqa: PLC0415
    from credscope.errors import UsageError  # noqa: PLC0415

    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"{directory}: cannot create the SARIF directory: {error.strerror or error}") from None
    for name, text in files.items():
        write_atomically(directory / name, text)
