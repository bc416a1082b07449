"""A companion (a region name, a key id beside its secret) only completes another rule's match: the engine looks
for it only in documents where such a match was found, and still pairs it there."""

from __future__ import annotations

from typing import Any

import pytest

from credscope.catalogue import load_catalogue
from credscope.detect.engine import Detector
from credscope.model import Document, Reach

from helpers import token


@pytest.fixture
def detector(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Detector:
    monkeypatch.setenv("CREDSCOPE_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    return Detector(load_catalogue())


def _judged(detector: Detector, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the rules whose matches the engine judges, one entry per rule and document, in order."""
    judged: list[str] = []
    original = Detector._matches

    def spied(self: Detector, rule: Any, *args: Any, **kwargs: Any) -> Any:
        judged.append(rule.id)
        return original(self, rule, *args, **kwargs)

    monkeypatch.setattr(Detector, "_matches", spied)
    return judged


def test_region_names_alone_are_not_judged(detector: Detector, monkeypatch: pytest.MonkeyPatch) -> None:
    # An endpoint table: thousands of region names under `region` keys, and no key they could complete.
    judged = _judged(detector, monkeypatch)
    table = "".join(f'"region_{i}": "us-east-{i % 9 + 1}",\n' for i in range(3000))
    found = detector.detect(
        Document(path="endpoints.json", content=("{\n" + table + '"end": 0}\n').encode(), reach=Reach.FILE)
    )
    assert found == []
    assert "aws-region" not in judged


def test_a_region_beside_a_key_is_still_its_part(detector: Detector, monkeypatch: pytest.MonkeyPatch) -> None:
    judged = _judged(detector, monkeypatch)
    text = (
        f"aws_access_key_id = {token('{{aws:akia}}')}\n"
        f"aws_secret_access_key = {token('{{aws-secret}}')}\n"
        "region = us-gov-west-1\n"
    )
    found = detector.detect(Document(path="credentials", content=text.encode(), reach=Reach.FILE))
    secrets = [candidate for candidate in found if candidate.rule == "aws-secret-access-key"]
    assert [candidate.parts.get("region") for candidate in secrets] == ["us-gov-west-1"]
    assert "aws-region" in judged
