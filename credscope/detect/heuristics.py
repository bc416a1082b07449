"""detect-secrets' false-positive heuristics, in credscope's own code.

The same judgements as `detect_secrets.filters.heuristic` (sequential strings, templated values, lockfile and
Swagger paths, values without letters); tests/test_heuristics.py holds them to detect-secrets' answers.
Importing detect-secrets for them cost ~0.17 s (its plugin base pulls in `requests`): paid by every scan with
a candidate and by every worker process.
"""

from __future__ import annotations

import string

# Runs of characters that people type as fake secrets, upper-cased: a value inside one of them is not random.
_SEQUENCES = (
    string.ascii_uppercase * 2 + string.digits + "+/",  # base64 alphabet, letters first
    string.digits + string.ascii_uppercase * 2 + "+/",  # base64 alphabet, digits first
    (string.digits + string.ascii_uppercase) * 2,
    string.digits * 2,
    string.hexdigits.upper() * 2,
    string.ascii_uppercase + "=/",
)
_LOCKFILES = frozenset(
    {
        "Brewfile.lock.json",
        "Cartfile.resolved",
        "composer.lock",
        "Gemfile.lock",
        "Package.resolved",
        "package-lock.json",
        "Podfile.lock",
        "yarn.lock",
        "Pipfile.lock",
        "poetry.lock",
        "Cargo.lock",
        "packages.lock.json",
    }
)
_LETTERS = frozenset(string.ascii_letters)


def is_sequential_string(secret: str) -> bool:
    """`ABCDEF…`, `0123…`, `…XYZ0123`: a stretch of a well-known alphabet, case-insensitively."""
    upper = secret.upper()
    return any(upper in sequence for sequence in _SEQUENCES)


def is_templated_secret(secret: str) -> bool:
    """`{secret}`, `<secret>`, `${secret}`; also an empty value and a lone `$`."""
    if not secret or secret == "$":
        return True
    first, last = secret[0], secret[-1]
    return (first == "{" and last == "}") or (first == "<" and last == ">") or (secret[:2] == "${" and last == "}")


def is_lock_file(path: str) -> bool:
    return path.rsplit("/", 1)[-1] in _LOCKFILES


def is_not_alphanumeric_string(secret: str) -> bool:
    """No ASCII letter at all: `*****`, `12345678`."""
    return _LETTERS.isdisjoint(secret)


def is_swagger_file(path: str) -> bool:
    """Swagger UI files and paths (`swagger-ui.html`, `/swagger/`), where example values live."""
    return "swagger" in path
