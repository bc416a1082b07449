"""Generic secrets (a password assigned to a name): the database images' superuser variables say more."""

from __future__ import annotations

from credscope.model import Scope
from credscope.scope import databases
from credscope.scope.infer import Subject, scope_from_kind


def infer(subject: Subject) -> Scope:
    if databases.is_image_password(subject):
        return databases.infer(subject)
    return scope_from_kind(subject.credential, subject.provider)
