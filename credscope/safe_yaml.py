"""YAML that credscope did not write itself (configuration files, extra provider files): no anchors, no aliases.

An alias (`*name`) lets a 2 kB file stand for a structure of billions of nodes (a "billion laughs"): every walk
over it afterwards (schema validation, an error quoting it) is exponential in the file's size. These files have
no use for them, so the composer refuses the first anchor or alias it meets, before anything is built. It also
refuses nesting deeper than any of them needs, so composing stays linear in the input and never recurses deep.
The built-in catalogue is credscope's own and keeps libyaml's loader (see catalogue.py).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import yaml

MAX_DEPTH = 32  # a configuration nests 4 levels, a provider file 6


def load_untrusted(text: str) -> Any:
    """The document in `text`, built by the safe loader; yaml.YAMLError for an anchor, an alias or bad YAML."""
    loader = _loader()(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


@cache
def _loader() -> type[yaml.SafeLoader]:
    import yaml  # noqa: PLC0415 - only when such a file is read

    class NoAliasLoader(yaml.SafeLoader):
        depth = 0

        def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
            event = self.peek_event()  # type: ignore[no-untyped-call]
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
                raise yaml.composer.ComposerError(
                    None, None, "YAML anchors and aliases (&name, *name) are not allowed here", event.start_mark
                )
            if self.depth >= MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"nested more than {MAX_DEPTH} levels deep", event.start_mark
                )
            self.depth += 1
            try:
                return super().compose_node(parent, index)  # type: ignore[arg-type]
            finally:
                self.depth -= 1

    return NoAliasLoader
