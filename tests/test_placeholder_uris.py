"""Documentation placeholders in connection strings are not credentials, whatever the slot looks like:
`[password]`, `<password>`, `{password}`, `${…}`, `%s`, `%(password)s`, `{{ … }}`, `$password`, `__PASSWORD__`,
`:password@`; the same strings with a real password are still found."""

from __future__ import annotations

import json

import pytest

from helpers import Repo, run_cli, token

SLOTS = [
    "[password]",
    "<password>",
    "{password}",
    "${DB_PASSWORD}",
    "%s",
    "%(password)s",
    "{{ db_password }}",
    "$password",
    "$REDIS_PASSWORD",
    "__PASSWORD__",
    "password",
    "YOUR_PASSWORD",
    "<db_password>",
]
FORMS = [
    'DATABASE_URL = "postgresql://postgres:{pw}@db.abcdefghijkl.supabase.co:5432/postgres"',
    'DO_URL = "postgresql://doadmin:{pw}@db-postgresql-nyc3-12345.ondigitalocean.com:25060/defaultdb"',
    'MONGO = "mongodb+srv://shop:{pw}@cluster0.abcde.mongodb.net/shop"',
    'REDIS_URL = "redis://:{pw}@cache.internal:6379/0"',
    'BROKER = "amqp://guest:{pw}@mq.internal:5672"',
]


def _scan(repo: Repo, text: str) -> list[dict[str, object]]:
    repo.write("settings.py", text)
    result = run_cli("scan", str(repo.path), "--format", "json", "--fail-on", "any", "--min-confidence", "possible")
    report: dict[str, list[dict[str, object]]] = json.loads(result.stdout)
    return report["findings"]


@pytest.mark.parametrize("form", FORMS)
def test_no_placeholder_slot_is_reported(repo: Repo, form: str) -> None:
    text = "\n".join(form.format(pw=slot) for slot in SLOTS) + "\n"
    assert [(f["line"], f["preview"]) for f in _scan(repo, text)] == []


@pytest.mark.parametrize("form", FORMS)
def test_a_real_password_in_the_same_place_is_found(repo: Repo, form: str) -> None:
    password = token("{{password:20}}").replace("@", "x").replace("/", "x").replace("%", "x")
    findings = _scan(repo, form.format(pw=password) + "\n")
    assert [(f["path"], f["line"]) for f in findings] == [("settings.py", 1)]
