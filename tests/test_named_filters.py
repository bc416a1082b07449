"""A value is judged by the filters without its name first, then under it. Under its name only the filters that
read the name the first time are asked again: the others found nothing without reading it, and find nothing
whatever it is (a filter is a pure function of what it reads)."""

from __future__ import annotations

import functools
import random
import string

import pytest

from credscope.catalogue import Catalogue, load_catalogue
from credscope.detect.engine import Detector
from credscope.detect.filters import FILTERS, FilterContext, why_not_a_secret
from credscope.model import Document, Reach


@functools.cache
def _catalogue() -> Catalogue:
    return load_catalogue()


def _value() -> str:
    rng = random.Random(17)
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(28))


@pytest.mark.parametrize("use_hyperscan", [True, False])
def test_only_the_filters_that_read_the_name_are_asked_again_under_it(use_hyperscan: bool) -> None:
    asked: list[tuple[str, str | None]] = []

    def by_value(context: FilterContext) -> str | None:
        asked.append(("value", None))
        return None

    def by_name(context: FilterContext) -> str | None:
        asked.append(("name", context.name))
        return None

    def by_name_when_generic(context: FilterContext) -> str | None:
        # Reads the name only for some values: asked again for those.
        if context.provider == "generic" and context.name:
            asked.append(("generic name", context.name))
        else:
            asked.append(("generic name", None))
        return None

    detector = Detector(_catalogue(), use_hyperscan=use_hyperscan, filters=(by_value, by_name, by_name_when_generic))
    text = f'db_password = "{_value()}"\n'
    found = detector.detect(Document(path="app/settings.py", content=text.encode(), reach=Reach.FILE))
    assert [c.rule for c in found] == ["generic-secret-quoted"]
    assert asked == [
        ("value", None),
        ("name", None),
        ("generic name", None),
        ("name", "db_password"),
        ("generic name", "db_password"),
    ]


def test_a_filter_that_rejects_under_the_name_still_rejects() -> None:
    def by_name(context: FilterContext) -> str | None:
        return "named a password" if context.name and "password" in context.name else None

    detector = Detector(_catalogue(), use_hyperscan=False, filters=(by_name,))
    text = f'db_password = "{_value()}"\n'
    assert detector.detect(Document(path="app/settings.py", content=text.encode(), reach=Reach.FILE)) == []


def test_the_readers_are_the_built_in_filters_that_read_the_name() -> None:
    # What the engine asks again under a name, for a generic value and for a provider's.
    generic: list[object] = []
    why_not_a_secret(
        FilterContext(_value(), "x = 1", None, "app/a.py", "generic-secret-quoted", "generic"), FILTERS, generic
    )
    provider: list[object] = []
    why_not_a_secret(
        FilterContext("ghp_" + _value(), "x = 1", None, "app/a.py", "github-pat", "github"), FILTERS, provider
    )
    assert len(provider) < len(generic) < len(FILTERS)
    assert all(check in FILTERS for check in generic)
