"""The one error hierarchy: each error explains itself and maps to an exit code in `main`."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jsonschema import ValidationError


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


# What PyYAML quotes from the document in a problem (a tag, an escape): long quotes are elided, its own token
# names (`'<block mapping start>'`) and single characters are kept.
_QUOTED = re.compile(r"'(?!<)[^']{17,}'")


def yaml_problem(error: Exception) -> str:
    """What is wrong and where, without PyYAML's quote of the offending line (it may hold a secret)."""
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or type(error).__name__
    problem = _QUOTED.sub(lambda quoted: f"<a value of {len(quoted.group()) - 2} characters>", str(problem))
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    return " ".join(f"{problem}{where}".split())


# --- schema errors in words taken from the schema, never from the document ------------------------------------

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")
_JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}


def key_name(part: object) -> str:
    """A key of the document as it may appear in a message: as it is when it reads like a name, else its length.

    A key is the document's own text too: a token pasted where a key belongs (`providers: {ghp_…: 1}`) must not
    reach a CI log. A name is short, of letters, digits and `-_.`, and no word of 12 or more characters in it
    holds a digit (a token, a UUID's last group, a hex key all do).
    """
    if isinstance(part, int):
        return str(part)
    text = str(part)
    words = re.split(r"[-_.]", text)
    if _NAME.fullmatch(text) and not any(len(word) >= 12 and any(c.isdigit() for c in word) for word in words):
        return text
    return f"<a key of {len(text)} characters>"


def validation_problem(error: ValidationError) -> tuple[list[str], str]:
    """Where a jsonschema error is (key names, see `key_name`) and what is wrong, never quoting the value.

    jsonschema's own messages start with the value (`'ghp_…' is not one of [...]`); these say what the schema
    expects instead, so a secret in the wrong place is never repeated.
    """
    parts = [key_name(part) for part in error.absolute_path]
    validator, expected, instance = str(error.validator), error.validator_value, error.instance
    if validator == "additionalProperties" and isinstance(instance, dict):
        allowed = set(error.schema.get("properties", {})) if isinstance(error.schema, dict) else set()
        extra = sorted(str(key) for key in instance if key not in allowed)
        return [*parts, *([key_name(extra[0])] if extra else [])], "unknown key"
    if "propertyNames" in error.absolute_schema_path and validator == "pattern":
        return parts, f"a key here does not match {expected!r}"
    message = _expected(validator, expected, instance)
    if message is None:
        message = error.message if validator in _OWN else f"is not valid here (the schema's {validator!r} check)"
    return parts, message


# Validators whose jsonschema message names only what the schema holds (`'reason' is a required property`).
_OWN = frozenset({"required", "dependentRequired"})


def _expected(validator: str, expected: Any, instance: object) -> str | None:
    got = _JSON_TYPES.get(type(instance), "null" if instance is None else type(instance).__name__)
    match validator:
        case "type":
            kinds = " or ".join(repr(kind) for kind in (expected if isinstance(expected, list) else [expected]))
            return f"must be of type {kinds}, not {got}"
        case "enum":
            return "must be one of " + ", ".join(repr(choice) for choice in expected)
        case "pattern":
            return f"must match {expected!r}"
        case "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum":
            bound = {"minimum": "at least", "maximum": "at most", "exclusiveMinimum": "more than"}
            return f"must be {bound.get(validator, 'less than')} {expected!r}"
        case "minLength" | "maxLength":
            if validator == "minLength" and expected == 1:
                return "must not be empty"
            return f"must be {'at least' if validator == 'minLength' else 'at most'} {expected} characters long"
        case "minItems" | "maxItems" | "minProperties" | "maxProperties":
            what = "items" if validator.endswith("Items") else "keys"
            return f"must have {'at least' if validator.startswith('min') else 'at most'} {expected} {what}"
        case "uniqueItems":
            return "must not hold the same item twice"
        case "const":
            return f"{expected!r} was expected"
    return None
