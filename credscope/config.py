"""The user's configuration: `.credscope.yaml` or `[tool.credscope]` in `pyproject.toml`, found and validated.

Validation is against credscope/schemas/config.schema.json; a bad key or value raises ConfigError naming
the file and the key, which `main` turns into a one-line message and exit 2.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from credscope.errors import ConfigError, schema_problem, yaml_problem
from credscope.model import Access
from credscope.policy import FailOn

YAML_NAMES = (".credscope.yaml", ".credscope.yml")
PYPROJECT = "pyproject.toml"


@dataclass(frozen=True)
class ProviderSettings:
    enabled: bool = True
    endpoint: str | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class IgnoreEntry:
    fingerprint: str  # the full fingerprint or a prefix of at least 12 hex digits
    reason: str


@dataclass(frozen=True)
class Config:
    """What the configuration file says; None means "not set", so the CLI and defaults can decide."""

    source: Path | None = None
    fail_on: FailOn | None = None
    unknown_as: Access | None = None
    hook_fail_on: FailOn | None = None
    exclude: tuple[str, ...] = ()
    max_file_size: int | None = None
    provider_dirs: tuple[Path, ...] = ()
    providers: Mapping[str, ProviderSettings] = field(default_factory=dict)
    ignore: tuple[IgnoreEntry, ...] = ()
    baseline: Path | None = None

    @property
    def disabled_providers(self) -> frozenset[str]:
        return frozenset(pid for pid, settings in self.providers.items() if not settings.enabled)


def find_config(start: Path) -> Path | None:
    """The nearest configuration from `start` upward, stopping at the repository root.

    Outside a git repository only `start` itself is searched, so a stray file in a parent
    directory (a home directory, /tmp) never changes a scan.
    """
    directory = start.resolve()
    if not directory.is_dir():
        directory = directory.parent
    candidates = [directory]
    if _repo_root(directory) is not None:
        for parent in directory.parents:
            candidates.append(parent)
            if (parent / ".git").exists():
                break
    for candidate in candidates:
        for name in YAML_NAMES:
            if (candidate / name).is_file():
                return candidate / name
        pyproject = candidate / PYPROJECT
        if pyproject.is_file() and _has_tool_table(pyproject):
            return pyproject
    return None


def _repo_root(directory: Path) -> Path | None:
    for candidate in (directory, *directory.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def load_config(path: Path) -> Config:
    """Read and validate one configuration file (YAML, or a pyproject.toml's [tool.credscope]).

    A file is validated once: its validated document is kept in the user cache, keyed by the file's bytes
    and this code's own files, because importing jsonschema and yaml cost ~70 ms of every run in a
    configured repository. Only a document that passed validation is ever kept.
    """
    from credscope.cache import read_pickled, write_pickled  # noqa: PLC0415

    key = _cache_key(path)
    validated = read_pickled(key, dict)
    if validated is not None:
        return _build(path, validated)
    if path.name.endswith(".toml"):
        document, prefix = _read_pyproject(path), "tool.credscope."
    else:
        document, prefix = _read_yaml(path), ""
    _validate(path, document, prefix)
    if isinstance(document, dict):
        write_pickled(key, document)
    return _build(path, document)


def _cache_key(path: Path) -> str | None:
    """None when the file cannot be read: the uncached load then reports it."""
    import hashlib  # noqa: PLC0415

    digest = hashlib.sha256(f"{sys.version}\0{path.name.endswith('.toml')}\0".encode())
    code = Path(__file__).resolve().parent
    try:
        for own in (code / "config.py", code / "schemas" / "config.schema.json"):
            status = own.stat()
            digest.update(f"{own}\0{status.st_size}\0{status.st_mtime_ns}\0".encode())
        digest.update(path.read_bytes())
    except OSError:
        return None
    return f"config-{digest.hexdigest()[:32]}.pickle"


def discover(start: Path, explicit: Path | None = None) -> Config:
    """The configuration for a scan rooted at `start`: the explicit file, or the nearest one, or defaults."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(str(explicit), "", "configuration file does not exist")
        return load_config(explicit)
    found = find_config(start)
    return load_config(found) if found is not None else Config()


def _read_yaml(path: Path) -> Any:
    import yaml  # noqa: PLC0415 - only when a config file exists

    try:
        document = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(str(path), "", f"cannot be read: {_one_line(error)}") from None
    except yaml.YAMLError as error:
        raise ConfigError(str(path), "", f"invalid YAML: {yaml_problem(error)}") from None
    return {} if document is None else document


def _read_pyproject(path: Path) -> Any:
    document = _load_toml(path)
    tool = document.get("tool", {})
    if not isinstance(tool, dict) or "credscope" not in tool:
        raise ConfigError(str(path), "tool.credscope", "no [tool.credscope] table")
    return tool["credscope"]


def _has_tool_table(path: Path) -> bool:
    tool = _load_toml(path).get("tool", {})
    return isinstance(tool, dict) and "credscope" in tool


def _load_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib  # noqa: PLC0415
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]  # noqa: PLC0415
    try:
        document: dict[str, Any] = tomllib.loads(path.read_text("utf-8"))
        return document
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(str(path), "", f"cannot be read: {_one_line(error)}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(str(path), "", f"invalid TOML: {_one_line(error)}") from None


@cache
def _schema() -> dict[str, Any]:
    from importlib import resources  # noqa: PLC0415 - only when a file is validated

    text = resources.files("credscope").joinpath("schemas/config.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _validate(path: Path, document: Any, prefix: str) -> None:
    import jsonschema  # noqa: PLC0415

    validator = jsonschema.Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path])
    if not errors:
        return
    first = errors[0]
    parts = [str(part) for part in first.absolute_path]
    message = schema_problem(first.message, first.instance)
    if first.validator == "additionalProperties" and isinstance(first.instance, dict):
        # Name the unexpected key itself, not the mapping that holds it.
        allowed = set(first.schema.get("properties", {}))
        extra = sorted(str(k) for k in first.instance if k not in allowed)
        if extra:
            parts.append(extra[0])
            message = "unknown key"
    elif first.validator == "propertyNames":
        message = "provider ids are lower-case letters, digits and dashes"
    key = prefix + ".".join(parts) if parts else (prefix.rstrip(".") or "(top level)")
    raise ConfigError(str(path), key, message)


def _build(path: Path, document: Mapping[str, Any]) -> Config:
    base = path.parent
    providers = {
        provider_id: ProviderSettings(
            enabled=bool(entry.get("enabled", True)),
            endpoint=entry.get("endpoint"),
            settings=dict(entry.get("settings", {})),
        )
        for provider_id, entry in document.get("providers", {}).items()
    }
    hook = document.get("hook", {})
    return Config(
        source=path,
        fail_on=FailOn(document["fail_on"]) if "fail_on" in document else None,
        unknown_as=Access(document["unknown_as"]) if "unknown_as" in document else None,
        hook_fail_on=FailOn(hook["fail_on"]) if "fail_on" in hook else None,
        exclude=tuple(document.get("exclude", ())),
        max_file_size=document.get("max_file_size"),
        provider_dirs=tuple(base / directory for directory in document.get("provider_dirs", ())),
        providers=providers,
        ignore=tuple(IgnoreEntry(item["fingerprint"], item["reason"]) for item in document.get("ignore", ())),
        baseline=base / document["baseline"] if "baseline" in document else None,
    )


def _one_line(error: object) -> str:
    return " ".join(str(error).split())
