"""From configuration file and command-line options to ScanOptions: the CLI wins, then the file, then defaults."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from credscope.api import ScanOptions
from credscope.baseline import Baseline, Suppressions, load_baseline, suppressions
from credscope.config import Config, discover
from credscope.errors import UsageError
from credscope.model import Access
from credscope.policy import FailOn, Policy
from credscope.progress import progress_for
from credscope.sources.tree import DEFAULT_MAX_FILE_SIZE, TreeOptions

if TYPE_CHECKING:
    from credscope.probes.settings import ProbeSettings


def parse_fail_on(value: str | None) -> FailOn | None:
    if value is None:
        return None
    try:
        return FailOn(value)
    except ValueError:
        raise UsageError(f"--fail-on: {value!r} is not one of admin, write, any, none") from None


def config_for(paths: Sequence[Path], explicit: Path | None) -> Config:
    """The configuration that applies to a scan of `paths`: searched from the first one upward."""
    return discover(paths[0] if paths else Path("."), explicit)


def scan_options(
    config: Config,
    *,
    fail_on: FailOn | None = None,
    default_fail_on: FailOn | None = None,
    exclude: Sequence[str] = (),
    max_file_size: int | None = None,
    baseline: Path | None = None,
    use_suppressions: bool = True,
    only_files: tuple[str, ...] | None = None,
    show_progress: bool = True,
) -> ScanOptions:
    threshold = fail_on or config.fail_on or default_fail_on
    policy = Policy() if threshold is None else Policy(fail_on=threshold)
    if config.unknown_as is not None:
        policy = Policy(fail_on=policy.fail_on, unknown_as=Access(config.unknown_as))
    tree = TreeOptions(
        max_file_size=max_file_size or config.max_file_size or DEFAULT_MAX_FILE_SIZE,
        excluded_paths=(*config.exclude, *exclude),
        only_files=only_files,
    )
    suppress = Suppressions()
    if use_suppressions:
        baseline_path = baseline or config.baseline
        loaded: Baseline | None = load_baseline(baseline_path) if baseline_path is not None else None
        suppress = suppressions(
            loaded, baseline_path.name if baseline_path else "", ((i.fingerprint, i.reason) for i in config.ignore)
        )
    return ScanOptions(
        tree=tree,
        policy=policy,
        provider_dirs=config.provider_dirs,
        suppress=suppress,
        disabled_providers=config.disabled_providers,
        progress=progress_for() if show_progress else None,
    )


def with_config_endpoints(settings: ProbeSettings, config: Config) -> ProbeSettings:
    """Endpoint overrides from `providers.<id>.endpoint`; a CREDSCOPE_<ID>_ENDPOINT variable wins over them."""
    from credscope.probes.settings import check_endpoint  # noqa: PLC0415

    endpoints, origins = dict(settings.endpoints), dict(settings.endpoint_origins)
    for provider_id, provider in sorted(config.providers.items()):
        if provider.endpoint and provider_id not in endpoints:
            origin = f"{config.source}: providers.{provider_id}.endpoint"
            check_endpoint(origin, provider.endpoint)
            endpoints[provider_id] = provider.endpoint
            origins[provider_id] = origin
    return replace(settings, endpoints=endpoints, endpoint_origins=origins)
