"""Baselines: the credentials a repository already knows about, keyed by fingerprint, never by line.

A baseline stores no secret: fingerprint (SHA-256 of the secret), provider, kind, rule, the paths it
was seen in, and whether someone accepted it and why. Moving a credential to another line or file
does not change its fingerprint, so the baseline does not churn. Schema:
credscope/schemas/baseline.schema.json.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from credscope import __version__
from credscope.errors import ConfigError, validation_problem
from credscope.model import Credential

BASELINE_VERSION = 1
DEFAULT_BASELINE = ".credscope-baseline.json"


@dataclass(frozen=True)
class BaselineEntry:
    fingerprint: str
    provider: str
    kind: str
    rule: str
    paths: tuple[str, ...] = ()
    accepted: bool = False
    reason: str | None = None
    origin: str = "scan"  # "scan", or "detect-secrets" when imported from a .secrets.baseline

    def to_dict(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "provider": self.provider,
            "kind": self.kind,
            "rule": self.rule,
            "paths": list(self.paths),
            "accepted": self.accepted,
            "reason": self.reason,
            "origin": self.origin,
        }


@dataclass(frozen=True)
class Baseline:
    entries: Mapping[str, BaselineEntry] = field(default_factory=dict)  # by fingerprint

    def __contains__(self, fingerprint: object) -> bool:
        return fingerprint in self.entries

    def render(self) -> str:
        """The file's text: sorted by fingerprint, no timestamps, so an unchanged baseline diffs as unchanged."""
        document = {
            "version": BASELINE_VERSION,
            "tool": {"name": "credscope", "version": __version__},
            "credentials": [self.entries[fp].to_dict() for fp in sorted(self.entries)],
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

    def merged(self, found: Iterable[BaselineEntry], keep_missing: bool = False) -> Baseline:
        """`found` replaces the entries; what was accepted stays accepted, with its reason."""
        entries: dict[str, BaselineEntry] = dict(self.entries) if keep_missing else {}
        for new in found:
            old = self.entries.get(new.fingerprint)
            entries[new.fingerprint] = replace(new, accepted=True, reason=old.reason) if old and old.accepted else new
        return Baseline(entries)

    def accept(self, fingerprint: str, reason: str) -> Baseline:
        entry = self.entries[fingerprint]
        return Baseline({**self.entries, fingerprint: replace(entry, accepted=True, reason=reason)})

    def unaccept(self, fingerprint: str) -> Baseline:
        entry = self.entries[fingerprint]
        return Baseline({**self.entries, fingerprint: replace(entry, accepted=False, reason=None)})

    def resolve(self, prefix: str) -> str:
        """The one fingerprint starting with `prefix`; KeyError with the reason otherwise."""
        matches = [fp for fp in self.entries if fp.startswith(prefix.lower())]
        if len(matches) != 1:
            raise KeyError(f"{prefix}: {'no' if not matches else 'more than one'} baseline entry matches")
        return matches[0]


def default_baseline(directory: Path) -> Path:
    """`directory`/.credscope-baseline.json, when it stays inside the repository holding `directory`.

    The file is the repository's: as a link (or under a linked directory) leading outside, reading it would
    reveal, and replacing it would clobber, a file of the user's. Refused with the same words whether the
    target exists or not.
    """
    from credscope.catalogue import is_inside  # noqa: PLC0415
    from credscope.config import repository_root  # noqa: PLC0415

    path = directory / DEFAULT_BASELINE
    root = repository_root(directory.resolve()) or directory.resolve()
    if not is_inside(path, root):
        raise ConfigError(str(path), "", f"leads outside the repository ({root}); a baseline stays inside it")
    return path


def entry_for(credential: Credential, origin: str = "scan") -> BaselineEntry:
    return BaselineEntry(
        fingerprint=credential.fingerprint,
        provider=credential.provider,
        kind=credential.kind,
        rule=credential.rule,
        paths=tuple(sorted({location.path for location in credential.locations})),
        origin=origin,
    )


def from_credentials(credentials: Iterable[Credential]) -> Baseline:
    return Baseline({c.fingerprint: entry_for(c) for c in credentials})


@cache
def _schema() -> dict[str, Any]:
    from importlib import resources  # noqa: PLC0415 - only when a baseline is read

    text = resources.files("credscope").joinpath("schemas/baseline.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def load_baseline(path: Path) -> Baseline:
    """Read and validate a baseline file; a broken one is a ConfigError naming the file and key."""
    import jsonschema  # noqa: PLC0415

    if path.exists() and not path.is_file():  # a FIFO planted as the baseline would block the read forever
        raise ConfigError(str(path), "", "is not a regular file")
    try:
        document = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ConfigError(str(path), "", "does not exist (create it with `credscope baseline create`)") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(str(path), "", f"cannot be read: {' '.join(str(error).split())}") from None
    except json.JSONDecodeError as error:
        raise ConfigError(str(path), "", f"invalid JSON: {error.msg} at line {error.lineno}") from None
    errors = sorted(
        jsonschema.Draft202012Validator(_schema()).iter_errors(document),
        key=lambda e: [str(p) for p in e.absolute_path],
    )
    if errors:
        parts, problem = validation_problem(errors[0])
        raise ConfigError(str(path), ".".join(parts) or "(top level)", problem)
    entries = {
        item["fingerprint"]: BaselineEntry(
            fingerprint=item["fingerprint"],
            provider=item["provider"],
            kind=item["kind"],
            rule=item["rule"],
            paths=tuple(item.get("paths", ())),
            accepted=bool(item.get("accepted", False)),
            reason=item.get("reason"),
            origin=item.get("origin", "scan"),
        )
        for item in document["credentials"]
    }
    return Baseline(entries)


@dataclass(frozen=True)
class Suppressions:
    """Credentials not to report, each with why: a baseline's fingerprints and the config's ignore list."""

    exact: Mapping[str, str] = field(default_factory=dict)
    prefixes: tuple[tuple[str, str], ...] = ()

    def why(self, fingerprint: str) -> str | None:
        reason = self.exact.get(fingerprint)
        if reason is not None:
            return reason
        for prefix, why in self.prefixes:
            if fingerprint.startswith(prefix):
                return why
        return None

    def __bool__(self) -> bool:
        return bool(self.exact or self.prefixes)


def suppressions(baseline: Baseline | None, baseline_name: str, ignored: Iterable[tuple[str, str]]) -> Suppressions:
    exact = {fp: f"in baseline {baseline_name}" for fp in (baseline.entries if baseline else {})}
    prefixes = tuple((fp.lower(), f"ignored by configuration: {reason}") for fp, reason in ignored)
    return Suppressions(exact=exact, prefixes=prefixes)


# --- detect-secrets migration -------------------------------------------------------------------


@dataclass(frozen=True)
class ImportOutcome:
    baseline: Baseline
    matched: int  # detect-secrets entries that map to a credential credscope finds
    unmatched: tuple[str, ...]  # "path:line (type)" of those that do not


def import_detect_secrets(path: Path, credentials: Iterable[Credential]) -> ImportOutcome:
    """Map a detect-secrets `.secrets.baseline` onto credentials found by a fresh scan.

    detect-secrets stores only `hashed_secret` (SHA-1 of the secret) per file and line, never the
    secret, so the mapping is by hash: every credential the scan finds (its secret and its parts)
    is hashed with SHA-1 and matched. Entries audited `is_secret: false` become accepted entries.
    """
    document = _read_detect_secrets(path)
    by_sha1: dict[str, Credential] = {}
    for credential in credentials:
        for value in (credential.secret, *credential.parts.values()):
            by_sha1.setdefault(hashlib.sha1(value.encode("utf-8", "surrogateescape")).hexdigest(), credential)
    entries: dict[str, BaselineEntry] = {}
    matched = 0
    unmatched: list[str] = []
    for filename, results in sorted(document["results"].items()):
        for item in results:
            found = by_sha1.get(str(item.get("hashed_secret", "")))
            if found is None:
                unmatched.append(f"{filename}:{item.get('line_number', '?')} ({item.get('type', 'unknown type')})")
                continue
            matched += 1
            entry = entries.get(found.fingerprint, entry_for(found, origin="detect-secrets"))
            if item.get("is_secret") is False:
                entry = replace(entry, accepted=True, reason="audited in detect-secrets as not a secret")
            entries[found.fingerprint] = entry
    return ImportOutcome(Baseline(entries), matched, tuple(unmatched))


def _read_detect_secrets(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(str(path), "", f"cannot be read: {' '.join(str(error).split())}") from None
    except json.JSONDecodeError as error:
        raise ConfigError(str(path), "", f"invalid JSON: {error.msg} at line {error.lineno}") from None
    if not isinstance(document, dict) or not isinstance(document.get("results"), dict):
        raise ConfigError(str(path), "results", "not a detect-secrets baseline (no results mapping)")
    for filename, results in document["results"].items():
        if not isinstance(results, list) or not all(isinstance(item, dict) for item in results):
            raise ConfigError(str(path), f"results.{filename}", "expected a list of findings")
    return document
