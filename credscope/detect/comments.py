"""Documentation comments: the lines of a JSDoc, Javadoc, KDoc or PHPDoc block (` * @example …`) and `///` or
`//!` doc comments (Rust, C#, Swift), where an API shows sample values to its readers. A line comment (`//`,
`#`) is not one: it is as often code commented out, with whatever it held."""

from __future__ import annotations

import re

_DOC_COMMENT = re.compile(r"[ \t]*(?:\*(?!/)|/\*\*|///|//!)")


def documentation_comment(line: str) -> bool:
    """Whether `line` (a whole line) is a line of a documentation comment."""
    return _DOC_COMMENT.match(line) is not None
