"""credscope: find the credentials an agent can reach in a workspace, and what each one can destroy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from credscope.api import scan as scan


def __getattr__(name: str) -> Any:
    # `credscope.scan` without paying for the whole pipeline's imports at `import credscope`.
    if name == "scan":
        from credscope.api import scan  # noqa: PLC0415

        return scan
    raise AttributeError(name)
