"""`credscope hook [FILE...]`: the pre-commit hook. Scans what is about to be committed, offline.

It reads the staged content (the index), never the working tree: a file fixed on disk but not
re-staged still blocks the commit, and unstaged edits neither block nor pass it. With file names
(pre-commit passes them) it scans their index versions; without, every staged file. It fails on
any credential by default (`hook.fail_on`, else `fail_on` in the configuration, or --fail-on), and
credentials in the baseline (`.credscope-baseline.json` at the repository root, when present) pass.
"""

# No `from __future__ import annotations`: typer evaluates command annotations at start (see cli.py).

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Optional

import typer

from credscope.cli import Format, emit, renderer
from credscope.errors import UsageError
from credscope.model import Document, Reach, ScanResult
from credscope.sources import SourceReport
from credscope.sources.exclusions import leaves_out, path_patterns
from credscope.sources.tree import looks_binary

_SYMLINK, _GITLINK = "120000", "160000"


@dataclass
class StagedSource:
    """The index versions of `paths` (relative to the repository root)."""

    toplevel: Path
    paths: tuple[str, ...]
    max_file_size: int
    excluded: tuple[str, ...] = ()
    name: str = "staged"

    def documents(self, report: SourceReport) -> Iterator[Document]:
        patterns = path_patterns(self.excluded)  # `exclude:` of the configuration, gitignore-style
        wanted = [path for path in self.paths if not leaves_out(patterns, path, False, lambda: 1, report)]
        if not wanted:
            return
        listing = _git(self.toplevel, ["ls-files", "-s", "-z", "--", *wanted])
        blobs: list[tuple[str, str]] = []
        for entry in listing.split(b"\0"):
            if not entry:
                continue
            meta, path = entry.split(b"\t", 1)
            mode, object_id, stage = meta.decode().split()
            relative = os.fsdecode(path)
            if stage != "0":
                report.skip(relative, "merge-conflict")
            elif mode in (_SYMLINK, _GITLINK):
                report.skip(relative, "symlink" if mode == _SYMLINK else "submodule")
            else:
                blobs.append((object_id, relative))
        yield from self._read(blobs, report)

    def _read(self, blobs: Sequence[tuple[str, str]], report: SourceReport) -> Iterator[Document]:
        if not blobs:
            return
        request = "".join(f"{object_id}\n" for object_id, _ in blobs).encode()
        output = _git(self.toplevel, ["cat-file", "--batch"], stdin=request)
        offset = 0
        for object_id, relative in blobs:
            header_end = output.index(b"\n", offset)
            header = output[offset:header_end].split()
            if len(header) != 3 or header[0].decode() != object_id:
                report.skip(relative, "unreadable", "git cat-file answered out of order")
                return
            size = int(header[2])
            content = output[header_end + 1 : header_end + 1 + size]
            offset = header_end + 1 + size + 1  # the blob is followed by a newline
            if size > self.max_file_size:
                report.skip(relative, "too-large", f"{size} bytes")
            elif looks_binary(content):
                report.skip(relative, "binary")
            else:
                yield Document(path=relative, content=content, reach=Reach.TRACKED, root=str(self.toplevel))


def hook(
    files: Annotated[Optional[list[Path]], typer.Argument(help="Staged files to scan (default: all staged).")] = None,
    fail_on: Annotated[
        Optional[str],
        typer.Option(
            help="admin, write, any, none, critical, high, medium, low "
            "(default: config hook.fail_on, fail_on, else any)."
        ),
    ] = None,
    config_file: Annotated[Optional[Path], typer.Option("--config", help="Configuration file.")] = None,
    baseline: Annotated[
        Optional[Path], typer.Option(help="Baseline file (default: config, else .credscope-baseline.json if present).")
    ] = None,
    output_format: Annotated[
        Optional[Format],
        typer.Option(
            "--format",
            "-f",
            help="The full report in this format (default: one line per credential, and the fix).",
        ),
    ] = None,
) -> None:
    """Block a commit that adds a credential: scans the staged content of the staged files, offline."""
    from credscope.api import run  # noqa: PLC0415
    from credscope.baseline import DEFAULT_BASELINE  # noqa: PLC0415
    from credscope.catalogue import Catalogue, load_catalogue  # noqa: PLC0415
    from credscope.commands.options import config_for, parse_fail_on, scan_options  # noqa: PLC0415
    from credscope.policy import FailOn  # noqa: PLC0415

    toplevel = Path(os.fsdecode(_git(Path.cwd(), ["rev-parse", "--show-toplevel"]).strip())).resolve()
    config = config_for([toplevel], config_file)
    default_baseline = toplevel / DEFAULT_BASELINE
    # Threshold: --fail-on, then hook.fail_on, then fail_on from the configuration, then any.
    options = scan_options(
        config,
        fail_on=parse_fail_on(fail_on),
        default_fail_on=FailOn.ANY,
        baseline=baseline,
        default_baseline=default_baseline if default_baseline.is_file() else None,
        show_progress=False,
        hook=True,
    )
    paths = _relative(files, toplevel) if files else _staged(toplevel)
    catalogue = load_catalogue(options.provider_dirs)
    if options.disabled_providers:
        catalogue = Catalogue({k: v for k, v in catalogue.providers.items() if k not in options.disabled_providers})
    source = StagedSource(toplevel, paths, options.tree.max_file_size, options.tree.excluded_paths)
    result = run(
        [source], catalogue, options.policy, (str(toplevel),), suppress=options.suppress, in_effect=options.in_effect
    )
    if output_format is None:
        typer.echo(_report(result), nl=False)
    else:
        from credscope.report.common import RenderOptions  # noqa: PLC0415

        emit(renderer(output_format)(result, RenderOptions()), None)
    raise typer.Exit(0 if result.verdict.passed else 1)


def _report(result: ScanResult) -> str:
    """One line per credential, the suppressions in effect, the verdict; every element one escaped line."""
    from credscope.report.digest import by_severity, fix_hint  # noqa: PLC0415
    from credscope.report.escape import inert_lines, printable  # noqa: PLC0415
    from credscope.report.in_effect import sentence  # noqa: PLC0415

    lines = []
    for credential in by_severity(result.credentials):
        failing = credential.fingerprint in result.verdict.reasons
        where = printable(", ".join(f"{loc.path}:{loc.line}" for loc in credential.locations))
        mark = "" if failing else " (passes the hook's threshold)"
        lines.append(
            f"credscope: {credential.severity.value.upper()} {credential.provider} {credential.kind} "
            f"{credential.preview} [{credential.fingerprint[:12]}] at {where}{mark}"
        )
        lines.append(f"  fix: {printable(fix_hint(credential))}")
    suppressions = result.in_effect.suppressions
    if suppressions:
        lines.append(f"credscope: {len(suppressions)} suppression(s) in effect:")
        lines.extend(f"  - {printable(sentence(item))}" for item in suppressions)
    if not result.verdict.passed:
        lines.append(
            f"credscope: commit blocked: {len(result.verdict.failing)} credential(s) in the staged changes "
            f"(--fail-on {result.verdict.threshold}). Remove them and re-stage, mark a false positive "
            "`credscope: ignore`, or accept them with `credscope baseline update`."
        )
    return inert_lines(lines) + "\n" if lines else ""


def _staged(toplevel: Path) -> tuple[str, ...]:
    output = _git(toplevel, ["diff", "--cached", "--name-only", "-z", "--diff-filter=ACMRT", "--no-renames"])
    return tuple(os.fsdecode(p) for p in output.split(b"\0") if p)


def _relative(files: Sequence[Path], toplevel: Path) -> tuple[str, ...]:
    out = []
    for file in files:
        absolute = (Path.cwd() / file).resolve() if not file.is_absolute() else file
        try:
            out.append(absolute.relative_to(toplevel).as_posix())
        except ValueError:
            raise UsageError(f"{file}: not inside the repository {toplevel}") from None
    return tuple(dict.fromkeys(out))


def _git(cwd: Path, args: list[str], stdin: bytes | None = None) -> bytes:
    """git in credscope's sandbox (nothing the repository configures runs), on the index `git commit` names."""
    from credscope.sources.git import Git, Repository, find_repository  # noqa: PLC0415

    found = find_repository(cwd)
    if not isinstance(found, Repository):
        problem = found.detail if found else "fatal: not a git repository (or any of the parent directories): .git"
        raise UsageError(f"git {args[0]}: {problem}")
    index = os.environ.get("GIT_INDEX_FILE")
    with Git(found, index=Path.cwd() / index if index else None) as git:  # relative: to where git ran us
        done = git.run(args, stdin=stdin)
    if done is None:
        raise UsageError(f"git {args[0]}: git is not installed or did not answer in time")
    if done.returncode != 0:
        message = " ".join(done.stderr.decode("utf-8", "replace").split()) or f"exit {done.returncode}"
        raise UsageError(f"git {args[0]}: {message}")
    return done.stdout
