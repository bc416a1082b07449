"""What narrowed a run, so that a silenced gate is never silent.

`declare` lists the configuration file in effect and every narrowing the configuration and the command line
ask for (exclusions, disabled providers, ignore entries, a baseline, thresholds relaxed from their defaults);
`settle` adds what the scan itself found and counted (files each exclusion removed, credentials each ignore
entry and the baseline hid, inline ignores, files not read). Every report format shows it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from credscope.model import Confidence, InEffect, Skipped, Suppression, SuppressionKind

if TYPE_CHECKING:
    from credscope.baseline import Baseline, Suppressions
    from credscope.config import Config
    from credscope.policy import FailOn

COMMAND_LINE = "command line"
BUILT_IN = "built-in"
DEFAULT_FILE = "default file"
# Skips that hide a file's content from the scan (not binaries, links or special files, which hold no text).
HIDING_SKIPS = ("too-large", "unreadable")
SHOWN_PATHS = 5
# Thresholds first, then what was left out, hidden or not read.
_ORDER = (
    SuppressionKind.SETTING,
    SuppressionKind.EXCLUDE,
    SuppressionKind.DISABLED_PROVIDER,
    SuppressionKind.IGNORE,
    SuppressionKind.BASELINE,
    SuppressionKind.INLINE_IGNORE,
    SuppressionKind.EXCLUDED_DIRECTORY,
    SuppressionKind.SKIPPED,
)
# How strict each threshold is, loosest first; a value below the default's lets more through. A severity is
# placed conservatively: `high` can pass an unknown-access medium that `admin` fails, so it counts as looser.
_STRICTNESS = {"none": 0, "critical": 1, "high": 2, "admin": 3, "medium": 4, "write": 5, "low": 6, "any": 7}
_UNKNOWN_AS_STRICTNESS = {"read": 0, "write": 1, "admin": 2}


@dataclass(frozen=True)
class Asked:
    """What the command (its options and its defaults) asked for beside the configuration file."""

    fail_on: FailOn | None = None  # --fail-on
    default_fail_on: str = "admin"  # the command's own default (the hook's is any)
    hook: bool = False  # the hook reads hook.fail_on before fail_on
    exclude: tuple[str, ...] = ()  # --exclude
    max_file_size: int | None = None  # --max-file-size
    default_max_file_size: int = 20 * 1024 * 1024
    baseline: Path | None = None  # --baseline
    default_baseline: Path | None = None  # a baseline read because it exists (the hook's)


def declare(config: Config, asked: Asked, baseline: Baseline | None, use_suppressions: bool = True) -> InEffect:
    """The configuration file and the narrowings it and the command line ask for, before anything is counted."""
    source = str(config.source) if config.source is not None else ""
    lines = _KeyLines(config.source)
    found: list[Suppression] = []
    found += _threshold(config, asked, source, lines)
    if config.unknown_as is not None and _UNKNOWN_AS_STRICTNESS[config.unknown_as.value] < 2:
        detail = f"{config.unknown_as.value} (default admin)"
        found.append(_setting("unknown_as", detail, source, lines.of("unknown_as")))
    if config.min_confidence is Confidence.CERTAIN:
        found.append(_setting("min_confidence", "certain (default likely)", source, lines.of("min_confidence")))
    size = asked.max_file_size or config.max_file_size
    if size is not None and size < asked.default_max_file_size:
        key, origin = ("--max-file-size", COMMAND_LINE) if asked.max_file_size else ("max_file_size", source)
        detail = f"{size} bytes (default {asked.default_max_file_size})"
        found.append(_setting(key, detail, origin, lines.of("max_file_size") if origin == source else 0))
    found += [_exclude(pattern, source, lines.of(pattern)) for pattern in config.exclude]
    found += [_exclude(pattern, COMMAND_LINE, 0) for pattern in asked.exclude]
    found += [
        Suppression(SuppressionKind.DISABLED_PROVIDER, provider, source, line=lines.of(provider))
        for provider in sorted(config.disabled_providers)
    ]
    if use_suppressions:
        found += [
            Suppression(
                SuppressionKind.IGNORE,
                entry.fingerprint.lower(),
                source,
                entry.reason,
                0,
                (),
                lines.of(entry.fingerprint),
            )
            for entry in config.ignore
        ]
        found += _baseline(config, asked, baseline, source, lines)
    return InEffect(config_files=(source,) if source else (), suppressions=tuple(found))


def with_setting(in_effect: InEffect, key: str, replaces: str, detail: str | None) -> InEffect:
    """`in_effect` with the command line's value of a setting: `replaces` (the file's key) no longer applies."""
    kept = [s for s in in_effect.suppressions if not (s.kind is SuppressionKind.SETTING and s.subject == replaces)]
    if detail is not None:
        kept.append(_setting(key, detail, COMMAND_LINE, 0))
    return replace(in_effect, suppressions=tuple(kept))


def min_confidence_detail(value: Confidence) -> str | None:
    """The setting's detail when `value` relaxes min_confidence (counts fewer findings), None otherwise."""
    return f"{value.value} (default likely)" if value is Confidence.CERTAIN else None


def unknown_as_detail(value: str) -> str | None:
    """The setting's detail when `value` relaxes unknown_as, None when it is the default."""
    return f"{value} (default admin)" if _UNKNOWN_AS_STRICTNESS.get(value, 2) < 2 else None


@dataclass(frozen=True)
class Counts:
    """What the scan counted for `settle`."""

    excluded: Mapping[str, int]  # exclusion pattern -> files it removed
    skipped: Sequence[Skipped]
    inline_ignored: Mapping[str, int]  # path -> matches an inline ignore marker hid
    hidden: Sequence[str]  # fingerprints of credentials a baseline or ignore entry hid
    excluded_paths: Mapping[str, Sequence[str]] = field(default_factory=dict)  # pattern -> first paths removed


def settle(in_effect: InEffect, counts: Counts, suppress: Suppressions | None, root: str | None) -> InEffect:
    """The declared suppressions counted, with what the scan found itself; paths relative to `root`."""
    settled: list[Suppression] = []
    for item in in_effect.suppressions:
        match item.kind:
            case SuppressionKind.EXCLUDE:
                paths = tuple(counts.excluded_paths.get(item.subject, ()))
                settled.append(replace(item, count=counts.excluded.get(item.subject, 0), paths=paths))
            case SuppressionKind.IGNORE | SuppressionKind.BASELINE:
                settled.append(replace(item, count=_hidden_by(item, counts.hidden, suppress)))
            case _:
                settled.append(item)
    settled += _inline(counts.inline_ignored)
    settled += _skips(counts.skipped)
    settled.sort(key=lambda s: _ORDER.index(s.kind))
    shown = InEffect(config_files=in_effect.config_files, suppressions=tuple(settled))
    return _relative(shown, Path(root)) if root else shown


def _threshold(config: Config, asked: Asked, source: str, lines: _KeyLines) -> list[Suppression]:
    if asked.fail_on is not None:
        key, value, origin, line = "--fail-on", asked.fail_on.value, COMMAND_LINE, 0
    elif asked.hook and config.hook_fail_on is not None:
        key, value, origin, line = "hook.fail_on", config.hook_fail_on.value, source, lines.of("hook")
    elif config.fail_on is not None:
        key, value, origin, line = "fail_on", config.fail_on.value, source, lines.of("fail_on")
    else:
        return []
    if _STRICTNESS[value] >= _STRICTNESS[asked.default_fail_on]:
        return []
    return [_setting(key, f"{value} (default {asked.default_fail_on})", origin, line)]


def _baseline(
    config: Config, asked: Asked, baseline: Baseline | None, source: str, lines: _KeyLines
) -> list[Suppression]:
    if asked.baseline is not None:
        path, origin, line = asked.baseline, COMMAND_LINE, 0
    elif config.baseline is not None:
        path, origin, line = config.baseline, source, lines.of("baseline")
    elif asked.default_baseline is not None:
        path, origin, line = asked.default_baseline, DEFAULT_FILE, 0
    else:
        return []
    entries = len(baseline.entries) if baseline is not None else 0
    return [Suppression(SuppressionKind.BASELINE, str(path), origin, f"{entries} entries", 0, (), line)]


def _setting(key: str, detail: str, source: str, line: int) -> Suppression:
    return Suppression(SuppressionKind.SETTING, key, source, detail, line=line)


def _exclude(pattern: str, source: str, line: int) -> Suppression:
    return Suppression(SuppressionKind.EXCLUDE, pattern, source, count=0, line=line)


def _hidden_by(item: Suppression, hidden: Sequence[str], suppress: Suppressions | None) -> int:
    """How many hidden credentials this ignore entry or baseline hid (the baseline is asked first)."""
    if suppress is None:
        return 0
    if item.kind is SuppressionKind.BASELINE:
        return sum(1 for fingerprint in hidden if fingerprint in suppress.exact)
    count = 0
    for fingerprint in hidden:
        if fingerprint in suppress.exact:
            continue
        first = next((prefix for prefix, _ in suppress.prefixes if fingerprint.startswith(prefix)), None)
        count += first == item.subject
    return count


def _inline(ignored: Mapping[str, int]) -> list[Suppression]:
    if not ignored:
        return []
    paths = tuple(sorted(ignored))
    return [Suppression(SuppressionKind.INLINE_IGNORE, "credscope: ignore", "", "", sum(ignored.values()), paths)]


def _skips(skipped: Iterable[Skipped]) -> list[Suppression]:
    """Files whose content was not read, by reason, and the built-in directory exclusions, by name."""
    by_reason: dict[str, list[str]] = {}
    by_directory: dict[str, list[str]] = {}
    for item in skipped:
        if item.reason in HIDING_SKIPS:
            by_reason.setdefault(item.reason, []).append(item.path)
        elif item.reason == "excluded-directory":
            by_directory.setdefault(item.path.rstrip("/").rsplit("/", 1)[-1], []).append(item.path)
    # One record for every built-in exclusion: caches and vendored code are in most trees, and still named.
    directories = [path for _, paths in sorted(by_directory.items()) for path in paths]
    names = ", ".join(sorted(by_directory))
    found = (
        [
            Suppression(
                SuppressionKind.EXCLUDED_DIRECTORY, names, BUILT_IN, count=len(directories), paths=tuple(directories)
            )
        ]
        if directories
        else []
    )
    found += [
        Suppression(SuppressionKind.SKIPPED, reason, "", count=len(paths), paths=tuple(paths))
        for reason, paths in sorted(by_reason.items())
    ]
    return found


def _relative(in_effect: InEffect, root: Path) -> InEffect:
    """File names relative to the scanned root when inside it (as reports show paths), else as they are."""
    base = root.resolve()
    if base.is_file():
        base = base.parent

    def shown(name: str) -> str:
        if not name or not name.startswith("/"):
            return name
        try:
            return Path(name).resolve().relative_to(base).as_posix()
        except ValueError:
            return name

    items = tuple(
        replace(
            item,
            source=shown(item.source),
            subject=shown(item.subject) if item.kind is SuppressionKind.BASELINE else item.subject,
            paths=tuple(shown(path) for path in item.paths[:SHOWN_PATHS]),
        )
        for item in in_effect.suppressions
    )
    return InEffect(config_files=tuple(shown(name) for name in in_effect.config_files), suppressions=items)


class _KeyLines:
    """Line numbers in the configuration file, so an annotation points at the line that narrows the scan."""

    def __init__(self, path: Path | None) -> None:
        try:
            self.lines = path.read_text("utf-8").splitlines() if path is not None else []
        except (OSError, UnicodeDecodeError):
            self.lines = []

    def of(self, needle: str) -> int:
        """The first line that holds `needle` (1-based), 0 when none does."""
        for number, line in enumerate(self.lines, start=1):
            if needle and needle in line.split("#", 1)[0]:
                return number
        return 0
