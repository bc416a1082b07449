"""docs/providers.md is the catalogue's table: regenerated, it is unchanged, and it says what the YAML says."""

from __future__ import annotations

from pathlib import Path

from credscope.catalogue import load_catalogue
from credscope.catalogue_doc import render
from credscope.scope.registry import builtin_inferences

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = load_catalogue()


def test_the_document_is_generated_from_the_catalogue() -> None:
    written = (ROOT / "docs" / "providers.md").read_text(encoding="utf-8")
    expected = render(CATALOGUE, builtin_inferences())
    assert written == expected, "docs/providers.md is stale: python -m credscope.catalogue_doc > docs/providers.md"


def _row(provider_id: str, kind: str) -> list[str]:
    provider = CATALOGUE.providers[provider_id]
    lines = render(CATALOGUE, builtin_inferences()).splitlines()
    rows = [line for line in lines if line.startswith(f"| [{provider.name}]") and f"| `{kind}` |" in line]
    assert len(rows) == 1, rows
    return [cell.strip() for cell in rows[0].strip("|").split(" | ")]


def test_a_kind_that_holds_destructive_capabilities_names_them() -> None:
    # Hetzner's DNS token reaches every zone of the account and can delete any of them.
    assert _row("hetzner", "dns-token")[2:] == [
        "account",
        "admin",
        "yes: `dns:zone-delete`",
        "—",
    ]


def test_a_kind_of_unknown_scope_says_what_it_may_destroy() -> None:
    row = _row("linode", "personal-access-token")
    assert row[2:4] == ["account", "unknown"]
    assert row[4] == "may: `linodes:delete`, `volumes:delete`, `databases:delete`"


def test_a_provider_with_a_probe_and_an_inference_module_says_so() -> None:
    row = _row("railway", "account-token")
    assert row[3] == "decoded; else admin"
    assert row[5].startswith("yes (`POST /graphql/v2 query"), row[5]


def test_a_pipe_in_a_cell_does_not_split_the_row() -> None:
    lines = render(CATALOGUE, builtin_inferences()).splitlines()
    table = [line for line in lines if line.startswith("| [")]
    assert table
    assert all(line.replace("\\|", "").count("|") == 7 for line in table)
