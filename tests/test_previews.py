"""Previews that let a reviewer decide: a masked value still shows its shape (length, character classes, the
punctuation at its ends), so a placeholder such as `[password]` is never hidden behind the mask a real password
gets, and no more of a real secret is shown than before."""

from __future__ import annotations

import pytest

from credscope.model import redact

from helpers import token


@pytest.mark.parametrize(
    ("value", "preview"),
    [
        ("[password]", "[p…] (10 chars, a-z [])"),
        ("%s", "%* (2 chars, a-z %)"),
        ("<token>", "<*****> (7 chars, a-z <>)"),
        ("changeme", "******** (8 chars, a-z)"),
        ("updated-token", "upd… (13 chars, a-z -)"),
        ("Mot de passe", "Mot… (12 chars, A-Z a-z spaces)"),
        ("Контрасенья", "Ко… (11 chars, non-ASCII)"),
        (
            "postgresql://postgres:[password]@db.abcdefgh.supabase.co:5432/postgres",
            "postgresql://postgres:[****]@db.abcdefgh.supabase.co:5432/postgres (password: 10 chars, a-z [])",
        ),
        (
            "mysql://doadmin:{{ db_password }}@cluster-host:25060/defaultdb",
            "mysql://doadmin:{{****}}@cluster-host:25060/defaultdb (password: 17 chars, a-z spaces _{})",
        ),
    ],
)
def test_a_placeholder_shows_its_shape(value: str, preview: str) -> None:
    assert redact(value) == preview


def test_a_real_password_is_masked_whole_with_only_its_shape() -> None:
    password = token("{{password:20}}").replace("[", "x").replace("<", "x").replace("{", "x").replace("(", "x")
    preview = redact(f"postgresql://app:{password}@db.internal:5432/shop")
    assert preview.startswith("postgresql://app:****@db.internal:5432/shop (password: 20 chars, ")
    assert password not in preview and password[:3] not in preview.split("@")[0]
