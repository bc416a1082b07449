"""`credscope providers list`: what the catalogue knows, one provider a line, read from its YAML."""

# No `from __future__ import annotations`: typer evaluates command annotations at start (see cli.py).

import json
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Optional

import typer

from credscope.catalogue import Catalogue, Provider

app = typer.Typer(help="The provider catalogue.", no_args_is_help=True, rich_markup_mode=None)  # plain help (cli.py)


@dataclass(frozen=True)
class ProviderRow:
    id: str
    name: str
    kinds: tuple[str, ...]
    offline: bool  # a kind table with capabilities, or an inference module: scope inferred without going online
    probe: bool  # `probe:` in the YAML names a live, read-only query
    rules: int
    source: str


def rows(catalogue: Catalogue, inferred: Collection[str] = ()) -> list[ProviderRow]:
    """One row per provider; `inferred` names providers with an offline inference module."""
    return [_row(provider, provider.id in inferred) for _, provider in sorted(catalogue.providers.items())]


def _row(provider: Provider, has_inference: bool) -> ProviderRow:
    kinds = dict.fromkeys([*provider.kinds, *(rule.kind for rule in provider.rules if not rule.companion)])
    return ProviderRow(
        id=provider.id,
        name=provider.name,
        kinds=tuple(kinds),
        offline=has_inference or any(kind.capabilities for kind in provider.kinds.values()),
        probe=provider.probe is not None,
        rules=len(provider.rules),
        source=provider.source,
    )


@app.command("list")
def list_providers(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per provider, in a list.")] = False,
    config_file: Annotated[
        Optional[Path], typer.Option("--config", help="Configuration file (adds provider_dirs, disables providers).")
    ] = None,
) -> None:
    """List every provider: id, kinds, offline inference and live probe (yes/no)."""
    from credscope.catalogue import load_catalogue  # noqa: PLC0415
    from credscope.config import discover  # noqa: PLC0415
    from credscope.scope.registry import builtin_inferences  # noqa: PLC0415

    config = discover(Path("."), config_file)
    catalogue = load_catalogue(config.provider_dirs)
    listed = [row for row in rows(catalogue, builtin_inferences()) if row.id not in config.disabled_providers]
    if as_json:
        typer.echo(json.dumps([{**row.__dict__, "kinds": list(row.kinds)} for row in listed], indent=2))
        return
    yes_no = {True: "yes", False: "no"}
    width = max([len(row.id) for row in listed] + [8])
    typer.echo(f"{'provider':<{width}}  offline  probe  kinds")
    for row in listed:
        typer.echo(f"{row.id:<{width}}  {yes_no[row.offline]:<7}  {yes_no[row.probe]:<5}  {', '.join(row.kinds)}")
