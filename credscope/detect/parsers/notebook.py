"""Jupyter notebooks: the JSON, plus the Python in code cells mapped back to the notebook's own lines.

A cell's source is a list of JSON strings; its code is their decoded concatenation. Each decoded character
is mapped to its offset inside the JSON string literal, so a name found by tree-sitter in the cell points at
the right place in the file.
"""

from __future__ import annotations

from credscope.detect.lines import LineIndex
from credscope.detect.parsers.base import Assignment, Parsed
from credscope.detect.parsers.json_format import JsonParser, JsonSyntaxError, read_json
from credscope.detect.parsers.source import SourceParser
from credscope.detect.parsers.tree import ListNode, MapNode, Scalar


class NotebookParser:
    format = "notebook"

    def parse(self, text: str) -> Parsed:
        try:
            root = read_json(text)
        except JsonSyntaxError as error:
            return Parsed(self.format, error=str(error))
        found = list(JsonParser().parse(text).assignments)
        cells = root.get("cells") if isinstance(root, MapNode) else None
        if not isinstance(cells, ListNode):
            return Parsed(self.format, tuple(found), "no cells")
        lines = LineIndex(text)
        python = SourceParser("python")
        for index, cell in enumerate(cells.items):
            if not isinstance(cell, MapNode) or cell.text("cell_type") != "code":
                continue
            code, offsets = _cell_code(cell.get("source"), text)
            if not code:
                continue
            for assignment in python.parse(code).assignments:
                start, end = offsets[assignment.start], offsets[max(assignment.start, assignment.end - 1)] + 1
                found.append(
                    Assignment(
                        assignment.name,
                        assignment.path,
                        assignment.value,
                        start,
                        end,
                        lines.line_of(start),
                        {"cell": str(index)},
                    )
                )
        return Parsed(self.format, tuple(found))


def _cell_code(source: object, text: str) -> tuple[str, list[int]]:
    """The cell's code and, for each of its characters, the offset of its encoding in the file."""
    pieces = source.items if isinstance(source, ListNode) else [source]
    code: list[str] = []
    offsets: list[int] = []
    for piece in pieces:
        if not isinstance(piece, Scalar) or not piece.is_string:
            continue
        mapped = _literal_offsets(text, piece)
        if mapped is None:
            return "", []
        code.append(piece.value)
        offsets.extend(mapped)
    offsets.append(offsets[-1] + 1 if offsets else 0)
    return "".join(code), offsets


def _literal_offsets(text: str, literal: Scalar) -> list[int] | None:
    """Offsets in `text` of each decoded character of the JSON string literal at `literal`."""
    offsets: list[int] = []
    position, end = literal.start + 1, literal.end - 1
    while position < end:
        offsets.append(position)
        if text[position] != "\\":
            position += 1
        elif text[position + 1] != "u":
            position += 2
        elif _pair_follows(text, position):
            position += 12
        else:
            position += 6
    return offsets if len(offsets) == len(literal.value) else None


def _pair_follows(text: str, position: int) -> bool:
    """A `\\uD83D\\uDE00` surrogate pair decodes to one character."""
    try:
        high = int(text[position + 2 : position + 6], 16)
        low = int(text[position + 8 : position + 12], 16) if text[position + 6 : position + 8] == "\\u" else 0
    except ValueError:
        return False
    return 0xD800 <= high < 0xDC00 and 0xDC00 <= low < 0xE000
