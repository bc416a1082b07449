"""Structured context: one parser per file format, chosen by file name, each yielding assignments.

`REGISTRY` maps file-name patterns (matched against the lower-cased base name, or the path's tail when the
pattern has a `/`) to parsers; the first pattern that matches wins, so specific names come first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from fnmatch import translate

from credscope.detect.parsers.base import MAX_PARSE_CHARS, MAX_SOURCE_PARSE_CHARS, Assignment, Parsed, Parser
from credscope.detect.parsers.dotenv import DotenvParser
from credscope.detect.parsers.hcl import HclParser
from credscope.detect.parsers.ini import IniParser
from credscope.detect.parsers.json_format import JsonParser
from credscope.detect.parsers.notebook import NotebookParser
from credscope.detect.parsers.shell import ShellParser
from credscope.detect.parsers.source import SourceParser
from credscope.detect.parsers.toml_format import TomlParser
from credscope.detect.parsers.yaml_format import YamlParser

__all__ = ["REGISTRY", "Assignment", "Parsed", "Parser", "parse_document", "parser_for"]

_DOTENV, _JSON, _YAML, _TOML = DotenvParser(), JsonParser(), YamlParser(), TomlParser()
_INI, _HCL, _SHELL = IniParser(), HclParser(), ShellParser()

REGISTRY: Mapping[str, Parser] = {
    # dotenv before shell and ini: `.env.production` is not a `*.production` file.
    ".env": _DOTENV,
    ".env.*": _DOTENV,
    "*.env": _DOTENV,
    ".envrc": _DOTENV,
    "*.ipynb": NotebookParser(),
    "*.json": _JSON,
    "*.jsonc": _JSON,
    ".aws/credentials": _INI,
    ".aws/config": _INI,
    ".git-credentials": _SHELL,
    "*.yaml": _YAML,
    "*.yml": _YAML,
    ".kube/config": _YAML,
    "kubeconfig": _YAML,
    "*.toml": _TOML,
    "*.ini": _INI,
    "*.cfg": _INI,
    "*.properties": _INI,
    ".pypirc": _INI,
    ".npmrc": _INI,
    ".yarnrc": _INI,
    ".pgpass": _SHELL,
    "*.tf": _HCL,
    "*.tfvars": _HCL,
    "*.hcl": _HCL,
    "*.sh": _SHELL,
    "*.bash": _SHELL,
    "*.zsh": _SHELL,
    "*.ksh": _SHELL,
    ".bashrc": _SHELL,
    ".zshrc": _SHELL,
    ".profile": _SHELL,
    ".bash_profile": _SHELL,
    ".zprofile": _SHELL,
    ".bash_history": _SHELL,
    ".zsh_history": _SHELL,
    "*.py": SourceParser("python"),
    "*.pyi": SourceParser("python"),
    "*.js": SourceParser("javascript"),
    "*.mjs": SourceParser("javascript"),
    "*.cjs": SourceParser("javascript"),
    "*.jsx": SourceParser("javascript"),
    "*.ts": SourceParser("typescript"),
    "*.mts": SourceParser("typescript"),
    "*.cts": SourceParser("typescript"),
    "*.tsx": SourceParser("tsx"),
    "*.go": SourceParser("go"),
    "*.java": SourceParser("java"),
    "*.rb": SourceParser("ruby"),
    "gemfile": SourceParser("ruby"),
    "rakefile": SourceParser("ruby"),
}


def parser_for(path: str) -> Parser | None:
    """The parser for a document path, by base name (or path tail for patterns with a `/`)."""
    lowered = path.replace("\\", "/").lower()
    base = lowered.rsplit("/", 1)[-1]
    # The first pattern in registry order wins, whichever of the two kinds it is.
    found = _GLOBS.fullmatch(base)
    best = len(_ORDERED)
    if found is not None and found.lastgroup is not None:
        best = int(found.lastgroup[1:])  # the alternatives' own groups are the only groups: one of them matched
    for index, pattern in _TAILS:
        if index >= best:
            break
        if lowered == pattern or lowered.endswith("/" + pattern):
            best = index
            break
    return _ORDERED[best][1] if best < len(_ORDERED) else None


def _bare(regex: str) -> str:
    """fnmatch.translate's `(?s:...)\\Z` without its wrapper, to sit in a larger alternation."""
    return regex.removeprefix("(?s:").removesuffix(")\\Z")


_ORDERED = tuple(REGISTRY.items())
_TAILS = tuple((index, pattern) for index, (pattern, _) in enumerate(_ORDERED) if "/" in pattern)
# Every name pattern in one regular expression (one pass per document instead of one fnmatch per pattern);
# alternatives are tried in order, so the first that matches the whole name is the one reported.
_GLOBS = re.compile(
    "|".join(
        f"(?P<p{index}>{_bare(translate(pattern))})"
        for index, (pattern, _) in enumerate(_ORDERED)
        if "/" not in pattern
    ),
    re.DOTALL,
)


def parses(path: str, text: str) -> bool:
    """Whether `parse_document` parses this document (rather than returning None at once)."""
    parser = parser_for(path)
    return parser is not None and _within_limits(parser, text)


def _within_limits(parser: Parser, text: str) -> bool:
    if len(text) > MAX_PARSE_CHARS:
        return False
    return not (isinstance(parser, SourceParser) and len(text) > MAX_SOURCE_PARSE_CHARS)


def parse_document(path: str, text: str, *, on_demand: bool = False) -> Parsed | None:
    """The document's assignments, or None when no parser applies. Never raises.

    With `on_demand`, source code, JSON and YAML come back with `Parsed.locate` instead of every assignment listed.
    """
    parser = parser_for(path)
    if parser is None or not _within_limits(parser, text):
        return None
    try:
        if on_demand and isinstance(parser, SourceParser | JsonParser | YamlParser):
            return parser.parse_on_demand(text)
        return parser.parse(text)
    except (ValueError, LookupError, RecursionError, TypeError, AttributeError) as error:
        # A parser bug on odd input must not cost the scan: the document is read line by line instead.
        return Parsed(parser.format, error=f"{type(error).__name__} while parsing")
