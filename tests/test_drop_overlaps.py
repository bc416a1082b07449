"""Where rules claim overlapping text, the engine keeps one claim per stretch (companions apart): the choice made
by bisection over the spans kept is the one made by comparing each claim with every claim kept."""

from __future__ import annotations

import functools

from hypothesis import given, settings
from hypothesis import strategies as st

from credscope.catalogue import Rule, load_catalogue
from credscope.detect.engine import Match, _drop_overlaps, _kept_by_pairs, _kept_by_spans


@functools.cache
def _rules() -> tuple[Rule, ...]:
    """Two companions (region names, of one rule and another), a generic rule and two providers' rules."""
    by_id = {rule.id: rule for rule in load_catalogue().rules}
    chosen = ("aws-region", "generic-secret-quoted", "aws-secret-access-key", "github-pat-classic")
    rules = tuple(by_id[rule_id] for rule_id in chosen)
    companions = [rule for rule in load_catalogue().rules if rule.companion and rule.id != "aws-region"]
    assert rules[0].companion and companions
    return (*rules, companions[0])


# Claims in the order they are ranked: which rule, where, how wide.
_claims = st.lists(st.tuples(st.integers(0, 4), st.integers(0, 80), st.integers(1, 24)), max_size=60)


@settings(max_examples=500, deadline=None)
@given(_claims)
def test_the_bisected_choice_is_the_pairwise_one(claims: list[tuple[int, int, int]]) -> None:
    rules = _rules()
    ranked = [Match(rules[rule], "x" * width, start, start + width, None) for rule, start, width in claims]
    assert [id(m) for m in _kept_by_spans(ranked)] == [id(m) for m in _kept_by_pairs(ranked)]


def test_thousands_of_companions_keep_each_their_own_span() -> None:
    # A region name every few characters (an endpoint table): none overlaps another, all are kept, and a key
    # over one of them is kept beside it.
    region, _, aws = _rules()[:3]
    matches = [Match(region, "us-east-1", 20 * i, 20 * i + 9, None) for i in range(5000)]
    matches.append(Match(aws, "x" * 40, 2, 42, None))
    kept = _drop_overlaps(matches)
    assert len(kept) == 5001
    assert kept[0].rule is region and kept[1].rule is aws
