"""Generic secrets (a password assigned to a name): the database images' superuser variables and JWT claims
say more than the name."""

from __future__ import annotations

from credscope.detect.decoding import decode_jwt_claims
from credscope.model import Scope
from credscope.scope import databases, jwt
from credscope.scope.infer import Subject, scope_from_kind


def infer(subject: Subject) -> Scope:
    if databases.is_image_password(subject):
        return databases.infer(subject)
    if decode_jwt_claims(subject.credential.secret) is not None:
        return jwt.infer(subject)
    return scope_from_kind(subject.credential, subject.provider)
