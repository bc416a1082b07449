"""Stripe: the prefix says it all offline — secret (full access), restricted (per-resource, needs a live
query), publishable (public by design) — and live vs test mode says whether real money is at stake."""

from __future__ import annotations

import re

from credscope.model import Scope
from credscope.scope.facts import from_kind, unknown
from credscope.scope.infer import Subject

_KEY = re.compile(r"(?P<type>sk|rk|pk)_(?P<mode>live|test|prod)_")
_TEST_MODE = "test mode: it cannot move real money or touch live data"


def infer(subject: Subject) -> Scope:
    match = _KEY.match(subject.credential.secret)
    if match is None:
        return from_kind(subject, subject.credential.kind)
    key_type, mode = match.group("type"), match.group("mode")
    live = mode != "test"
    identity = {"mode": "live" if live else "test"}
    production = None if live else False
    match key_type:
        case "sk":
            note = f"{key_type}_{mode}_: a secret key; Stripe secret keys can make any API request on the account"
            kind = "secret-key" if live else "test-key"
        case "rk":
            note = (
                f"{key_type}_{mode}_: a restricted key; its per-resource permissions are set in the dashboard"
                " and need a live query"
            )
            if live:
                return unknown((note,), identity)
            kind = "test-key"
        case _:
            note = f"{key_type}_{mode}_: a publishable key, meant to ship in web pages and apps"
            kind = "publishable-key"
    evidence = (note,) if live else (note, _TEST_MODE)
    return from_kind(subject, kind, evidence, identity, production)
