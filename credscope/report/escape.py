"""One rule for text that came from outside (scanned files and their names, configuration, probe answers):
before it reaches a terminal, a CI log or a report, it is made inert and kept visible.

A file name, a JWT claim or a table name can hold a terminal escape (OSC 52 writes the clipboard, CSI
rewrites the screen), a carriage return or newline that forges a line ("policy ... passed"), a Unicode
bidi override that shows text in another order, or a GitHub Actions workflow command (`::error::` at the
start of a line, `##[error]` anywhere in one) that the runner executes. Each is shown as an escape instead.
"""

from __future__ import annotations

import re

# C0 controls, DEL, C1 controls (U+0080-U+009F: 0x9b is CSI, 0x9d OSC on 8-bit terminals).
_CONTROLS = (*range(0x20), 0x7F, *range(0x80, 0xA0))
# Unicode bidi controls (ALM, LRM, RLM, embeddings and overrides, isolates) and line/paragraph separators.
_INVISIBLE = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x2028, 0x2029, 0xFEFF)

_SHOWN: dict[int, str] = {code: f"\\x{code:02x}" for code in _CONTROLS}
_SHOWN |= {0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t"}
_SHOWN |= {code: f"\\u{code:04x}" for code in _INVISIBLE}
# A file name that is not UTF-8 is surrogate-escaped and written back as the bytes it was; its bytes
# 0x80-0x9f would reach the terminal as raw C1 controls.
_SHOWN |= {0xDC00 + byte: f"\\x{byte:02x}" for byte in range(0x80, 0xA0)}

# In JSON, the same characters as JSON escapes: the parsed value is unchanged, the raw bytes never printed.
_JSON_ESCAPED = {code: f"\\u{code:04x}" for code in (*range(0x7F, 0xA0), *_INVISIBLE)}
_JSON_ESCAPE = re.compile("[" + "".join(re.escape(chr(code)) for code in _JSON_ESCAPED) + "]")

# The GitHub Actions runner takes `##[command]` anywhere in a line as a workflow command (the legacy form).
_LEGACY_COMMAND = "##["
_LEGACY_SHOWN = "#\\x23["


def printable(text: str) -> str:
    """One field of outside text for one line of output: controls, bidi and separators shown as escapes."""
    shown = text.translate(_SHOWN)
    return shown.replace(_LEGACY_COMMAND, _LEGACY_SHOWN) if _LEGACY_COMMAND in shown else shown


def inert_line(line: str) -> str:
    """One line of plain-text output, escaped as a whole: whatever a field held, it stays this one line, and the
    line never starts (after blanks) with `::`, which the Actions runner would run as a workflow command."""
    shown = printable(line)
    stripped = shown.lstrip()
    if stripped.startswith("::"):
        at = len(shown) - len(stripped)
        shown = f"{shown[:at]}\\x3a{shown[at + 1 :]}"
    return shown


def inert_lines(lines: list[str]) -> str:
    """Lines of plain-text output (each element one line), joined; every element escaped as one line."""
    return "\n".join(inert_line(line) for line in lines)


def json_inert(text: str) -> str:
    """JSON text with C1 controls, bidi controls and line separators written as `\\uXXXX` escapes.

    `json.dumps` escapes C0 controls but, without `ensure_ascii`, writes these raw. They occur only inside
    strings, where the escape parses back to the same character.
    """
    if text.isascii() and "\x7f" not in text:
        return text  # the one ASCII character escaped is DEL (a report of megabytes is nearly always ASCII)
    # A regex search, not `str.translate`: translating looks up every character of a report of megabytes in the
    # table (65 ms for 1.4 MB holding one accented name), the search skips the rest at C speed.
    return _JSON_ESCAPE.sub(lambda found: _JSON_ESCAPED[ord(found.group())], text)
