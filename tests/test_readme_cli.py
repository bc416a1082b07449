"""The README's command-line reference is held to `--help`: every option each command's help lists appears in the
README next to that command, and every option the README gives a command exists (no stale spellings)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import typer

from credscope.cli import app

from helpers import run_cli

README = Path(__file__).resolve().parent.parent / "README.md"
_OPTION = re.compile(r"(?<![\w./-])(--?[A-Za-z][\w-]*)")
# A command line: `credscope …` at the start, after variables (`GITHUB_TOKEN=… credscope org`) or after `&&`.
_COMMAND = re.compile(r"^(?:[A-Z_]+=\S* )*(?:.*&& )?credscope(?= |$)((?: [a-z]+)*)")


def _commands() -> list[tuple[str, ...]]:
    """Every command's words, the root (`()`) included, from the real command tree."""
    found: list[tuple[str, ...]] = [()]

    def walk(command: Any, words: tuple[str, ...]) -> None:
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            found.append((*words, name))
            walk(sub, (*words, name))

    walk(typer.main.get_command(app), ())
    return found


COMMANDS = _commands()


@cache
def _help_options(words: tuple[str, ...]) -> frozenset[str]:
    """The option names `credscope WORDS --help` lists, --help itself left out."""
    result = run_cli(*words, "--help", env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.stderr
    names: set[str] = set()
    listing = result.stdout.split("\nOptions:\n", 1)[1].split("\n\n", 1)[0]
    for line in listing.splitlines():
        if line.startswith("  -"):
            names.update(_OPTION.findall(re.split(r"\s{2,}", line.strip(), maxsplit=1)[0]))
    return frozenset(names - {"--help"})


def _readme_options() -> dict[tuple[str, ...], set[str]]:
    """For each command the README shows in a code block, the options it gives it: on the command's line and on
    the indented lines that follow it (`  --option …`, or a comment)."""
    known = set(COMMANDS)
    given: dict[tuple[str, ...], set[str]] = {}
    blocks = re.findall(r"^```[a-z]*\n(.*?)^```", README.read_text("utf-8"), flags=re.MULTILINE | re.DOTALL)
    for block in blocks:
        current: tuple[str, ...] | None = None
        for line in block.splitlines():
            code = line.split("#", 1)[0]
            found = _COMMAND.search(code)
            words = tuple(found.group(1).split()) if found is not None else ()
            # `credscope scan …`, `credscope --version`; not a title such as `credscope benchmark — …`.
            if found is not None and ((words[:1] in known) if words else code[found.end(1) :].lstrip()[:1] == "-"):
                # The longest run of words that names a command (`scan .` is the command `scan`).
                current = next(words[:n] for n in range(len(words), -1, -1) if words[:n] in known)
                given.setdefault(current, set()).update(_OPTION.findall(line[found.end(1) :]))
            elif current is not None and line.startswith(" ") and line.lstrip()[:1] in ("-", "#"):
                given[current].update(_OPTION.findall(line))
            else:
                current = None
    return given


@pytest.mark.parametrize("words", COMMANDS, ids=lambda words: " ".join(words) or "credscope")
def test_every_option_in_help_is_in_the_readme(words: tuple[str, ...]) -> None:
    documented = _readme_options().get(words, set())
    assert sorted(_help_options(words) - documented) == []


@pytest.mark.parametrize("words", COMMANDS, ids=lambda words: " ".join(words) or "credscope")
def test_every_option_in_the_readme_exists(words: tuple[str, ...]) -> None:
    documented = _readme_options().get(words, set())
    assert sorted(documented - _help_options(words) - {"--help"}) == []


def test_the_reader_finds_the_commands_it_should() -> None:
    """The parser itself: the reference block and the worked examples are read as the commands they are."""
    given = _readme_options()
    assert {"--since", "--exclude", "-q", "--redact"} <= given[("scan",)]
    assert {"--accept", "--reason", "--unaccept"} <= given[("baseline", "audit")]
    assert {"--version", "-V"} <= given[()]
