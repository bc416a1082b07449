"""PyPI: API tokens are macaroons whose caveats say, offline, whether a token reaches every project of its
user or only some, and until when (warehouse macaroons/caveats)."""

from __future__ import annotations

import json
from typing import Any

from credscope.detect.decoding import decode_pypi_macaroon
from credscope.model import Scope
from credscope.scope.facts import add, date, expired, from_kind, unknown
from credscope.scope.infer import Subject

USER_WIDE = "a user-wide token: it can upload to every project of its user and create new ones"
NO_DELETE = "PyPI tokens can only upload: they cannot delete projects or releases"


def infer(subject: Subject) -> Scope:
    info = decode_pypi_macaroon(subject.credential.secret)
    if info is None:
        return unknown(("not decodable as a PyPI macaroon: its caveats cannot be read",))
    caveats = [_parse(text) for text in info["caveats"]]
    production = False if info["location"] == "test.pypi.org" else None
    identity = {"index": info["location"]}
    evidence: list[str] = []
    if production is False:
        evidence.append("issued by test.pypi.org: the test index, not the one pip installs from")
    user_wide, projects, expires = False, list[str](), None
    for caveat in caveats:
        match caveat:
            case [0, int(exp), *_]:
                expires = exp
            case [1, list(names)]:
                projects.extend(str(n) for n in names)
            case [3, _]:
                user_wide = True
            case [4, *_]:
                evidence.append("caveat OIDCPublisher: a short-lived trusted-publishing token of one project")
            case {"permissions": "user"}:
                user_wide = True
            case {"permissions": {"projects": list(names)}}:
                projects.extend(str(n) for n in names)
            case {"exp": int(exp)}:
                expires = exp
            case _:
                pass
    gone = expired(subject, expires, "PyPI token (Expiration caveat)")
    if gone is not None:
        return add(gone, tuple(evidence), identity)
    lifetime = f"Expiration caveat: expires {date(expires)}" if expires else "no Expiration caveat: valid until revoked"
    if expires:
        identity["expires"] = date(expires)
    if projects:
        identity["projects"] = ", ".join(projects)
        note = f"caveat ProjectName: scoped to project {', '.join(projects)}"
        return from_kind(subject, "project-token", (note, *evidence, lifetime, NO_DELETE), identity, production)
    if user_wide:
        note = f"caveat RequestUser (or permissions=user): {USER_WIDE}"
        return from_kind(subject, "user-token", (note, *evidence, lifetime, NO_DELETE), identity, production)
    return unknown(("no caveat names a user or a project", *evidence, lifetime), identity, production)


def _parse(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None
