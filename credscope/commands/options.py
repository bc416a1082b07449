"""From configuration file and command-line options to ScanOptions: the CLI wins, then the file, then defaults."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from credscope.api import ScanOptions
from credscope.baseline import Baseline, Suppressions, load_baseline, suppressions
from credscope.config import Config, discover
from credscope.errors import ConfigError, UsageError
from credscope.model import Access
from credscope.policy import FAIL_ON_CHOICES, FailOn, Policy
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
        raise UsageError(f"--fail-on: {value!r} is not one of {FAIL_ON_CHOICES}") from None


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
    hook: bool = False,
    default_baseline: Path | None = None,
) -> ScanOptions:
    """The hook passes `hook=True` (hook.fail_on before fail_on) and the baseline it reads when present."""
    from credscope.in_effect import Asked, declare  # noqa: PLC0415

    config_fail_on = (config.hook_fail_on or config.fail_on) if hook else config.fail_on
    threshold = fail_on or config_fail_on or default_fail_on
    policy = Policy() if threshold is None else Policy(fail_on=threshold)
    if config.unknown_as is not None:
        policy = Policy(fail_on=policy.fail_on, unknown_as=Access(config.unknown_as))
    if config.min_confidence is not None:
        policy = replace(policy, min_confidence=config.min_confidence)
    asked = Asked(
        fail_on=fail_on,
        default_fail_on=(default_fail_on or FailOn.ADMIN).value,
        hook=hook,
        exclude=tuple(exclude),
        max_file_size=max_file_size,
        default_max_file_size=DEFAULT_MAX_FILE_SIZE,
        baseline=baseline,
        default_baseline=default_baseline,
    )
    check_patterns(config, exclude)
    tree = TreeOptions(
        max_file_size=max_file_size or config.max_file_size or DEFAULT_MAX_FILE_SIZE,
        excluded_paths=(*config.exclude, *exclude),
        only_files=only_files,
    )
    suppress = Suppressions()
    loaded: Baseline | None = None
    if use_suppressions:
        baseline_path = baseline or config.baseline or default_baseline
        loaded = load_baseline(baseline_path) if baseline_path is not None else None
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
        in_effect=declare(config, asked, loaded, use_suppressions),
    )


def check_patterns(config: Config, exclude: Sequence[str]) -> None:
    """Every exclusion is a gitignore-style pattern: one that is not stops the run, named with where it came from."""
    from credscope.sources.exclusions import invalid_pattern  # noqa: PLC0415 - pathspec only when patterns exist

    if config.exclude and (bad := invalid_pattern(config.exclude)) is not None:
        raise ConfigError(str(config.source or ""), "exclude", f"{bad!r} is not a gitignore-style pattern")
    if exclude and (bad := invalid_pattern(exclude)) is not None:
        raise UsageError(f"--exclude: {bad!r} is not a gitignore-style pattern")


def with_config_endpoints(settings: ProbeSettings, config: Config) -> ProbeSettings:
    """Endpoint overrides from `providers.<id>.endpoint`; a CREDSCOPE_<ID>_ENDPOINT variable wins over them.

    Only the user's files (--config FILE, the user-level one) can hold one: a repository's own is refused as it
    loads (credscope/config.py).
    """
    from credscope.probes.settings import check_endpoint  # noqa: PLC0415

    endpoints, origins = dict(settings.endpoints), dict(settings.endpoint_origins)
    for provider_id, provider in sorted(config.providers.items()):
        if provider.endpoint and provider_id not in endpoints:
            origin = f"{provider.endpoint_source or config.source}: providers.{provider_id}.endpoint"
            check_endpoint(origin, provider.endpoint)
            endpoints[provider_id] = provider.endpoint
            origins[provider_id] = origin
    return replace(settings, endpoints=endpoints, endpoint_origins=origins)
