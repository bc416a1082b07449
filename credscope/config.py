"""Configuration, found, validated and judged by whose it is.

Two kinds of file (docs/configuration.md, "Who may set what"):
* the repository's own, `.credscope.yaml` or `[tool.credscope]` in `pyproject.toml`, found by searching up from
  the scanned path: hostile input. It may only shape what is reported; a key that would decide where credentials
  go (`providers.<id>.endpoint`, `providers.<id>.settings`) stops the run, and the paths it names must resolve
  inside the repository;
* the user's: a `--config FILE` they name, and the user-level file (`$CREDSCOPE_CONFIG`, else
  `$XDG_CONFIG_HOME/credscope/config.yaml`, else `~/.config/credscope/config.yaml`), which may set everything.

Validation is against credscope/schemas/config.schema.json; a bad key or value raises ConfigError naming
the file and the key (never the value), which `main` turns into a one-line message and exit 2.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from credscope.catalogue import ProviderDir, is_inside
from credscope.errors import ConfigError, key_name, validation_problem, yaml_problem
from credscope.model import Access, Confidence
from credscope.policy import FailOn

YAML_NAMES = (".credscope.yaml", ".credscope.yml")
PYPROJECT = "pyproject.toml"
USER_CONFIG_VARIABLE = "CREDSCOPE_CONFIG"  # names the user-level file; empty: none

# What a repository's own configuration may never set: these decide where credentials are sent and how.
_USER_ONLY_PROVIDER_KEYS = {
    "endpoint": "endpoints",
    "settings": "probe settings",
}


@dataclass(frozen=True)
class ProviderSettings:
    enabled: bool = True
    endpoint: str | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    endpoint_source: Path | None = None  # the user's file that set `endpoint`, for the report


@dataclass(frozen=True)
class IgnoreEntry:
    fingerprint: str  # the full fingerprint or a prefix of at least 12 hex digits
    reason: str


@dataclass(frozen=True)
class Config:
    """What the configuration file says; None means "not set", so the CLI and defaults can decide."""

    source: Path | None = None  # the repository's file or the --config FILE
    user_source: Path | None = None  # the user-level file, when one was read
    fail_on: FailOn | None = None
    unknown_as: Access | None = None
    min_confidence: Confidence | None = None
    hook_fail_on: FailOn | None = None
    exclude: tuple[str, ...] = ()
    max_file_size: int | None = None
    provider_dirs: tuple[ProviderDir, ...] = ()
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
    found = _find(start)
    return found[0] if found is not None else None


def _find(start: Path) -> tuple[Path, Path] | None:
    """The nearest configuration and the root of what it belongs to: the repository, else `start`'s directory."""
    directory = start.resolve()
    if not directory.is_dir():
        directory = directory.parent
    root = repository_root(directory)
    candidates = [directory]
    if root is not None:
        candidates.extend(directory.parents[: len(directory.parents) - len(root.parents)])
    boundary = root or directory
    for candidate in candidates:
        for name in YAML_NAMES:
            if _present(candidate / name, boundary):
                return candidate / name, boundary
        pyproject = candidate / PYPROJECT
        if _present(pyproject, boundary) and _has_tool_table(pyproject):
            return pyproject, boundary
    return None


def _present(path: Path, root: Path) -> bool:
    """Whether a configuration file is there; one that is a link to outside the repository stops the run.

    Nothing outside is read, and the message is the same whether the link's target exists or not.
    """
    if path.is_symlink() and not is_inside(path, root):
        raise ConfigError(
            str(path),
            "",
            f"links outside the repository ({root}); a repository's configuration is read only from inside it",
        )
    return path.is_file()


def repository_root(directory: Path) -> Path | None:
    """The nearest directory from `directory` upward that holds `.git`."""
    for candidate in (directory, *directory.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def load_config(path: Path, repository: Path | None = None) -> Config:
    """Read and validate one configuration file (YAML, or a pyproject.toml's [tool.credscope]).

    `repository`: the file is that repository's own (found by searching up from a scanned path), so it is judged
    as hostile input (see the module's docstring); None: the user named it.

    A file is validated once: its validated document is kept in the user cache, keyed by the file's bytes
    and this code's own files, because importing jsonschema and yaml cost ~70 ms of every run in a
    configured repository. Only a document that passed validation is ever kept; what a repository's file
    may set is judged at every load, since it depends on where the file is.
    """
    from credscope.cache import read_pickled, write_pickled  # noqa: PLC0415

    prefix = "tool.credscope." if path.name.endswith(".toml") else ""
    key = _cache_key(path)
    validated = read_pickled(key, dict)
    if validated is not None:
        return _build(path, validated, prefix, repository)
    document = _read_pyproject(path) if prefix else _read_yaml(path)
    _validate(path, document, prefix)
    if isinstance(document, dict):
        write_pickled(key, document)
    return _build(path, document, prefix, repository)


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


def discover(start: Path, explicit: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """The configuration for a scan rooted at `start`: the user-level file, with on top of it the explicit file,
    or else the repository's nearest one (judged as the repository's), or defaults."""
    environ = os.environ if environ is None else environ
    user_path = user_config_path(environ)
    user = load_config(user_path) if user_path is not None else None
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(str(explicit), "", "configuration file does not exist")
        project = load_config(explicit)
    else:
        found = _find(start)
        project = load_config(*found) if found is not None else Config()
    return project if user is None else combine(user, project)


def user_config_path(environ: Mapping[str, str]) -> Path | None:
    """The user-level configuration file, if there is one: $CREDSCOPE_CONFIG (which must exist; empty: none),
    else $XDG_CONFIG_HOME/credscope/config.yaml, else ~/.config/credscope/config.yaml."""
    named = environ.get(USER_CONFIG_VARIABLE)
    if named is not None:
        if not named.strip():
            return None
        path = Path(named).expanduser()
        if not path.is_file():
            raise ConfigError(str(path), "", f"configuration file does not exist (named by ${USER_CONFIG_VARIABLE})")
        return path
    xdg = environ.get("XDG_CONFIG_HOME", "")
    home = environ.get("HOME") or str(Path.home())
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path(home) / ".config"
    path = base / "credscope" / "config.yaml"
    return path if path.is_file() else None


def combine(user: Config, project: Config) -> Config:
    """The user-level configuration with the scan's (the repository's or --config FILE) on top of it.

    A value set in both comes from the scan's file; lists (exclude, ignore, provider_dirs) add up; a provider
    disabled by either stays disabled.
    """
    providers: dict[str, ProviderSettings] = {}
    for provider_id in sorted({*user.providers, *project.providers}):
        mine, theirs = user.providers.get(provider_id), project.providers.get(provider_id)
        present = [entry for entry in (mine, theirs) if entry is not None]
        with_endpoint = [entry for entry in (theirs, mine) if entry is not None and entry.endpoint]
        providers[provider_id] = ProviderSettings(
            enabled=all(entry.enabled for entry in present),
            endpoint=with_endpoint[0].endpoint if with_endpoint else None,
            settings={**(mine.settings if mine else {}), **(theirs.settings if theirs else {})},
            endpoint_source=with_endpoint[0].endpoint_source if with_endpoint else None,
        )
    return Config(
        source=project.source,
        user_source=user.source,
        fail_on=project.fail_on or user.fail_on,
        unknown_as=project.unknown_as or user.unknown_as,
        min_confidence=project.min_confidence or user.min_confidence,
        hook_fail_on=project.hook_fail_on or user.hook_fail_on,
        exclude=(*user.exclude, *project.exclude),
        max_file_size=project.max_file_size or user.max_file_size,
        provider_dirs=(*user.provider_dirs, *project.provider_dirs),
        providers=providers,
        ignore=(*user.ignore, *project.ignore),
        baseline=project.baseline or user.baseline,
    )


def _read_yaml(path: Path) -> Any:
    import yaml  # noqa: PLC0415 - only when a config file exists

    from credscope.safe_yaml import load_untrusted  # noqa: PLC0415

    try:
        document = load_untrusted(path.read_text("utf-8"))
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
    parts, message = validation_problem(errors[0])
    if parts == ["providers"] and message.startswith("a key here does not match"):
        message = "provider ids are lower-case letters, digits and dashes"
    key = prefix + ".".join(parts) if parts else (prefix.rstrip(".") or "(top level)")
    raise ConfigError(str(path), key, message)


def _build(path: Path, document: Mapping[str, Any], prefix: str, repository: Path | None) -> Config:
    if repository is not None:
        _judge_repository_file(path, document, prefix, repository)
    base = path.parent
    providers = {
        provider_id: ProviderSettings(
            enabled=bool(entry.get("enabled", True)),
            endpoint=entry.get("endpoint"),
            settings=dict(entry.get("settings", {})),
            endpoint_source=path if entry.get("endpoint") else None,
        )
        for provider_id, entry in document.get("providers", {}).items()
    }
    hook = document.get("hook", {})
    return Config(
        source=path,
        fail_on=FailOn(document["fail_on"]) if "fail_on" in document else None,
        unknown_as=Access(document["unknown_as"]) if "unknown_as" in document else None,
        min_confidence=Confidence(document["min_confidence"]) if "min_confidence" in document else None,
        hook_fail_on=FailOn(hook["fail_on"]) if "fail_on" in hook else None,
        exclude=tuple(document.get("exclude", ())),
        max_file_size=document.get("max_file_size"),
        provider_dirs=tuple(ProviderDir(base / d, repository) for d in document.get("provider_dirs", ())),
        providers=providers,
        ignore=tuple(IgnoreEntry(item["fingerprint"], item["reason"]) for item in document.get("ignore", ())),
        baseline=base / document["baseline"] if "baseline" in document else None,
    )


def _judge_repository_file(path: Path, document: Mapping[str, Any], prefix: str, root: Path) -> None:
    """A repository's own file: refuse what only the user may set, and paths that lead outside the repository.

    Refused loudly (exit 2), never skipped: a scan that silently dropped a key would not be the scan asked for.
    The refusal of a path reads the same whether what it points to exists or not.
    """
    for provider_id, entry in sorted(document.get("providers", {}).items()):
        for key, what in _USER_ONLY_PROVIDER_KEYS.items():
            if key in entry:
                variable = (
                    f", or CREDSCOPE_{provider_id.upper().replace('-', '_')}_ENDPOINT" if key == "endpoint" else ""
                )
                raise ConfigError(
                    str(path),
                    f"{prefix}providers.{key_name(provider_id)}.{key}",
                    f"a repository's own configuration may not set {what}: only --config FILE, the user-level"
                    f" configuration (${USER_CONFIG_VARIABLE}, ~/.config/credscope/config.yaml){variable} may",
                )
    base = path.parent
    if "baseline" in document and not is_inside(base / document["baseline"], root):
        raise ConfigError(str(path), f"{prefix}baseline", f"must name a file inside the repository ({root})")
    for index, directory in enumerate(document.get("provider_dirs", ())):
        if not is_inside(base / directory, root):
            raise ConfigError(
                str(path), f"{prefix}provider_dirs.{index}", f"must name a directory inside the repository ({root})"
            )


def _one_line(error: object) -> str:
    return " ".join(str(error).split())
