"""Stripe: the prefix says it all offline — secret (full access), restricted (per-resource, needs a live
query), publishable (public by design) — and live vs test mode says whether real money is at stake."""

from __future__ import annotations

import re

from credscope.model import Scope
from credscope.scope.facts import from_kind, unknown
from credscope.scope.infer import Subject

_KEY = re.compile(r"(?P<type>sk|rk|pk)_(?P<mode>live|test|prod)_")
_TYPES = {"sk": "secret-key", "rk": "restricted-key", "pk": "publishable-key"}
TEST_MODE = "test mode: it cannot move real money or touch live data"
_NOTES = {
    "sk": "a secret key: Stripe secret keys can make any API request on the account",
    "rk": "a restricted key: its per-resource permissions are set in the dashboard and need a live query",
    "pk": "a publishable key, meant to ship in web pages and apps: it can only create tokens",
}


def infer(subject: Subject) -> Scope:
    match = _KEY.match(subject.credential.secret)
    if match is None:
        return from_kind(subject, subject.credential.kind)
    key_type, mode = match.group("type"), match.group("mode")
    live = mode != "test"
    kind = f"{_TYPES[key_type]}-{'live' if live else 'test'}"
    identity = {"mode": "live" if live else "test"}
    note = f"{key_type}_{mode}_: {_NOTES[key_type]}"
    if not live:
        return from_kind(subject, kind, (note, TEST_MODE), identity, production=False)
    if key_type == "rk":
        return unknown((note,), identity)
    return from_kind(subject, kind, (note,), identity)
