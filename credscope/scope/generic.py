"""Generic secrets (a password assigned to a name): the database images' superuser variables and JWT claims
say more than the name, and a URL's host whether its login reaches beyond this machine."""

from __future__ import annotations

from dataclasses import replace

from credscope.detect.decoding import decode_jwt_claims
from credscope.model import Scope
from credscope.scope import databases, jwt
from credscope.scope.infer import Subject, scope_from_kind


def infer(subject: Subject) -> Scope:
    if databases.is_image_password(subject):
        return databases.infer(subject)
    if decode_jwt_claims(subject.credential.secret) is not None:
        return jwt.infer(subject)
    scope = scope_from_kind(subject.credential, subject.provider)
    if subject.credential.kind == "url-credentials":
        # A login to a server on this machine (tox.ini's and CI's test databases): not production, as for the
        # database providers' own URIs.
        connection = databases.parse(subject.credential.secret)
        production, note = databases.host_verdict(connection.host) if connection else (None, "")
        if production is False:
            return replace(scope, production=False, evidence=(note, *scope.evidence))
    return scope
