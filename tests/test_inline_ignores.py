"""`credscope: ignore` does what it says: its own line, and the next line only from a line of its own (or when it
says `ignore-next-line`). A trailing marker after one fixture never silences a live key on the line below."""

from __future__ import annotations

import pytest

from credscope.catalogue import load_catalogue
from credscope.detect.engine import Detector, DocumentStats
from credscope.model import Document, Reach
from credscope.testing.generate import expand

DETECTOR = Detector(load_catalogue())
GHP = "{{github:ghp}}"
STRIPE = "{{stripe:sk_live}}"

CASES = [
    # (id, path, template with {a} and {b} for the two tokens, which of them are reported)
    ("trailing-marks-its-own-line", "app.py", 'A = "{a}"  # credscope: ignore\nB = "{b}"\n', ["b"]),
    ("trailing-js-marks-its-own-line", "app.js", 'const a = "{a}"; // credscope: ignore\nconst b = "{b}";\n', ["b"]),
    ("alone-marks-the-next-line", "app.py", '# credscope: ignore\nA = "{a}"\nB = "{b}"\n', ["b"]),
    ("alone-indented-js", "app.js", '  // credscope: ignore\n  const a = "{a}";\nconst b = "{b}";\n', ["b"]),
    ("alone-yaml", "ci.yaml", 'env:\n  # credscope: ignore\n  A: "{a}"\n  B: "{b}"\n', ["b"]),
    ("next-line-marker-trailing", "app.py", 'x = 1  # credscope: ignore-next-line\nA = "{a}"\nB = "{b}"\n', ["b"]),
    ("pragma-alone", "app.py", '# pragma: allowlist secret\nA = "{a}"\nB = "{b}"\n', ["b"]),
    ("marker-in-a-string-is-not-alone", "app.py", 'm = "credscope: ignore"\nA = "{a}"\nB = "{b}"\n', ["a", "b"]),
    ("no-marker", "app.py", 'A = "{a}"\nB = "{b}"\n', ["a", "b"]),
]


@pytest.mark.parametrize(("path", "template", "reported"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_an_inline_ignore_applies_where_it_says(path: str, template: str, reported: list[str]) -> None:
    expansion = expand(template.replace("{a}", GHP).replace("{b}", STRIPE))
    tokens = dict(zip("ab", expansion.values, strict=True))
    stats = DocumentStats()
    found = DETECTOR.detect(Document(path, expansion.text.encode(), Reach.TRACKED), stats)
    assert sorted(name for name, value in tokens.items() if any(c.secret == value for c in found)) == reported
    assert stats.ignored_inline == 2 - len(reported)
