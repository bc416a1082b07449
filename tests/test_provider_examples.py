"""Every provider's YAML examples: positives are found and attributed, negatives match nothing."""

from __future__ import annotations

import random

import pytest

from credscope.catalogue import Example, Rule, load_catalogue
from credscope.detect.engine import Detector
from credscope.model import Document, Reach
from credscope.testing.generate import expand

CATALOGUE = load_catalogue()
DETECTOR = Detector(CATALOGUE)
EXAMPLES = [
    pytest.param(rule, example, id=f"{rule.id}-{'pos' if example.positive else 'neg'}{index}")
    for rule in CATALOGUE.rules
    for index, example in enumerate(rule.examples)
]


@pytest.mark.parametrize(("rule", "example"), EXAMPLES)
def test_example(rule: Rule, example: Example) -> None:
    expansion = expand(example.text, random.Random())
    document = Document(path=example.path, content=expansion.text.encode(), reach=Reach.FILE)
    found = DETECTOR.detect(document)
    if example.positive:
        expected_kind = example.kind or rule.kind
        attributed = [c for c in found if c.provider == rule.provider and c.kind == expected_kind]
        assert attributed, f"{rule.id}: nothing found as {rule.provider}/{expected_kind} in {example.text!r}: {found}"
        assert any(c.secret in v or v in c.secret for c in attributed for v in expansion.values)
    else:
        assert found == [], f"{rule.id}: negative example matched {[(c.rule, c.kind) for c in found]}"


def test_every_rule_has_positive_and_negative_examples() -> None:
    for rule in CATALOGUE.rules:
        assert any(e.positive for e in rule.examples), f"{rule.id} has no positive example"
        assert any(not e.positive for e in rule.examples), f"{rule.id} has no negative example"
