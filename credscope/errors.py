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
