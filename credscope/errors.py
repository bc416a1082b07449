"""The one error hierarchy: each error explains itself and maps to an exit code in `main`."""

from __future__ import annotations


class CredscopeError(Exception):
    """A run that cannot go on. The message is shown to the user as it is, on one line."""

    exit_code = 3


class UsageError(CredscopeError):
    """The user asked for something that cannot be done: bad option, missing path."""

    exit_code = 2


class ConfigError(UsageError):
    """A configuration or catalogue file is invalid; the message names the file and key."""

    def __init__(self, path: str, key: str, problem: str) -> None:
        self.path = path
        self.key = key
        self.problem = problem
        where = f"{path}: {key}" if key else path
        super().__init__(f"{where}: {problem}")


class CatalogueError(ConfigError):
    """A provider YAML is invalid."""


# Longer values are not repeated in messages: a configuration or baseline may hold a secret by mistake.
_ECHOED = 16


def schema_problem(message: str, instance: object) -> str:
    """jsonschema's message on one line, the offending value elided when it is long (or holds long values)."""
    shown = repr(instance)
    if len(shown) > _ECHOED + 2 and shown in message:
        what = f"{len(instance)} characters" if isinstance(instance, str) else type(instance).__name__
        message = message.replace(shown, f"<a value: {what}>")
    return " ".join(message.split())


def yaml_problem(error: Exception) -> str:
    """What is wrong and where, without PyYAML's quote of the offending line (it may hold a secret)."""
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or type(error).__name__
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    return " ".join(f"{problem}{where}".split())
