"""Every rule runs only in windows around what Hyperscan saw, never over a whole document.

A rule whose regex has no bound (`[ \\t]*`, `\\S+`, a lookahead with `\\s*`) and no barrier character runs over
every byte of each document holding one of its keywords; with common keywords (`password`, `curl`, `-u `,
`client_secret`, `accessToken`) that is most of the tree, and on a 15 MB bundle one such rule cost a second
(issue 17). The few rules that must read across lines without a bound are named here, with why.
"""

from __future__ import annotations

from credscope.catalogue import load_catalogue
from credscope.detect.prefilter import _every_match, _plan

# Multi-line by nature, rare keywords: a PuTTY key file's header and a service-account JSON's private key.
WHOLE_DOCUMENT = {"private-key-putty", "gcp-service-account-key"}


def test_every_rule_runs_in_windows() -> None:
    catalogue = load_catalogue(())
    unbounded = set()
    for provider in catalogue.providers.values():
        for rule in provider.rules:
            plan = _plan(rule.pattern.pattern, rule.pattern.flags)
            if plan is None or (plan.extent is None and not plan.barriers and not plan.line_local):
                unbounded.add(rule.id)
            elif not _every_match(rule.pattern.pattern, rule.pattern.flags):
                # A plan is only used for a rule whose match ends Hyperscan reports: one without a literal of a
                # few characters in every match reads whole documents like a rule without one.
                unbounded.add(rule.id)
    assert unbounded == WHOLE_DOCUMENT
