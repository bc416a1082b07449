"""Source code resolved on demand (`Parsed.locate`, what the detector uses) gives exactly the assignments the
full walk of the syntax tree lists (`SourceParser.parse`): for every string of the context table's source
files and of real standard-library modules, and for spans inside them."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import pytest
from test_context import CASES

from credscope.detect.parsers import parse_document, parser_for
from credscope.detect.parsers.base import Assignment, Parsed
from credscope.detect.parsers.source import SourceParser
from credscope.testing.generate import expand

_SOURCE_CASES = [case for case in CASES if isinstance(parser_for(case.path), SourceParser)]
_STDLIB = Path(sysconfig.get_paths()["stdlib"])
_MODULES = ["configparser.py", "smtplib.py", "imaplib.py", "netrc.py", "ftplib.py", "email/_header_value_parser.py"]
_EXTRA = [
    (
        "snippet.js",
        'const a = `x ${"inner"} y`;\nfoo({token: "abc" + "def", b: [1, "two"]});\nlet [p, q] = ["x", "y"];\n',
    ),
    ("snippet.ts", 'const cfg: Cfg = { auth: { password: "pw" } } as Cfg;\nclass A { secret = "s"; }\n'),
    (
        "snippet.go",
        'package m\nvar a, b = "x", "y"\nfunc f() { os.Setenv("KEY", "v"); c := map[string]string{"k": "v"} }\n',
    ),
    ("snippet.rb", 'ENV["X"] = "y"\nh = { key: "v", "k2" => "v2" }\n@tok = %q(quoted)\n'),
    ("Snippet.java", 'class A { String s = "v"; void f() { props.put("password", "pw"); } }\n'),
    ("snippet.py", 'x = ("a" "b")\nd = {"k": {"n": f"v{1}"}}\nf(key="v", *["a"])\nµ = "ünï"\n'),
]


def _texts() -> list[tuple[str, str]]:
    texts = [(case.path, expand(case.text).text) for case in _SOURCE_CASES]
    texts += [(name, (_STDLIB / name).read_text("utf-8")) for name in _MODULES if (_STDLIB / name).is_file()]
    return texts + _EXTRA


def _innermost(parsed: Parsed, start: int, end: int) -> Assignment | None:
    holding = [a for a in parsed.assignments if a.start <= start and end <= a.end]
    return max(holding, key=lambda a: (a.start, -a.end)) if holding else None


@pytest.mark.parametrize(("path", "text"), _texts(), ids=lambda value: str(value)[:40])
def test_on_demand_lookup_equals_the_full_walk(path: str, text: str) -> None:
    full = parse_document(path, text)
    lazy = parse_document(path, text, on_demand=True)
    assert full is not None and lazy is not None and lazy.locate is not None
    assert lazy.assignments == () and lazy.error == full.error
    assert full.assignments, "every sample has named strings"
    for assignment in full.assignments:
        assert lazy.locate(assignment.start, assignment.end) == assignment
        middle = (assignment.start + assignment.end) // 2
        assert lazy.locate(middle, middle + (assignment.end > middle)) == _innermost(full, middle, middle + 1)
    # Spans outside any named string: between them, and across two of them.
    for offset in range(0, len(text), max(1, len(text) // 200)):
        span = (offset, min(len(text), offset + 3))
        found = lazy.locate(*span)
        expected = _innermost(full, *span)
        assert (found if found is not None and found.start <= span[0] and span[1] <= found.end else None) == expected
