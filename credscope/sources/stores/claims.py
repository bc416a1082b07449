"""What a store's format says its values are: each claimed value becomes a credential of the provider the tool
that wrote the store sends it to, whatever rule (or none) matched it.

A rule judges a value by its shape and its name; a store knows more. `user.token` in the Railway CLI's
config is the CLI's Bearer token, whether it is a legacy session, a UUID or a format nobody has seen yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from credscope.catalogue import Catalogue, Rule
from credscope.model import Candidate, Document, Location
from credscope.sources.stores import Claim, Entry

GENERIC_PROVIDER = "generic"
# The rule a claimed value falls back to when the catalogue has no rule for its provider: a quoted secret.
GENERIC_RULE = "generic-secret-quoted"


def with_claims(
    document: Document, candidates: list[Candidate], entries: Sequence[Entry], catalogue: Catalogue
) -> list[Candidate]:
    """`candidates` with each claimed value attributed to its provider, and a candidate for each claimed value
    no rule found (unless it is a placeholder, a reference or another value the filters know is no secret)."""
    found = list(candidates)
    lines: list[str] | None = None
    seen: set[tuple[int, str]] = set()
    for entry in entries:
        for claim in entry.claims:
            if (claim.line, claim.value) in seen or not claim.value:
                continue
            seen.add((claim.line, claim.value))
            rule = _rule(catalogue, claim)
            matched = [index for index, candidate in enumerate(found) if _same_value(candidate, claim)]
            for index in matched:
                if rule is not None and found[index].provider != rule.provider:
                    found[index] = replace(found[index], rule=rule.id, provider=rule.provider, kind=claim.kind)
            if matched:
                continue
            if lines is None:
                lines = document.content.decode("utf-8", "surrogateescape").split("\n")
            created = _candidate(document, lines, entry, claim, rule, catalogue)
            if created is not None:
                found.append(created)
    return found


def _rule(catalogue: Catalogue, claim: Claim) -> Rule | None:
    provider = catalogue.providers.get(claim.provider)
    if provider is None:
        return None
    return next((rule for rule in provider.rules if rule.id == claim.rule), None)


def _same_value(candidate: Candidate, claim: Claim) -> bool:
    """A rule's match of the claimed value: on its line, the value itself or a part of it (`Bearer …`)."""
    secret = candidate.secret
    return candidate.location.line == claim.line and (secret in claim.value or claim.value in secret)


def _candidate(
    document: Document, lines: list[str], entry: Entry, claim: Claim, rule: Rule | None, catalogue: Catalogue
) -> Candidate | None:
    if rule is not None:
        rule_id, provider, kind = rule.id, rule.provider, claim.kind
    elif GENERIC_PROVIDER in catalogue.providers:
        rule_id, provider, kind = GENERIC_RULE, GENERIC_PROVIDER, claim.fallback
    else:
        return None  # the generic rules are disabled too
    text = lines[claim.line - 1] if 0 < claim.line <= len(lines) else ""
    name = claim.name.rsplit(".", 1)[-1]
    from credscope.detect.filters import FilterContext, why_not_a_secret  # noqa: PLC0415 - only stores claim

    if why_not_a_secret(FilterContext(claim.value, text, name, document.path, rule_id, provider)):
        return None
    column = text.find(claim.value) + 1 or 1
    context = {**document.hints, **entry.hints, "name": name, "key_path": claim.name}
    location = Location(
        path=document.path,
        line=claim.line,
        column=column,
        reach=document.reach,
        commit=document.commit,
        author_date=document.author_date,
        context=context,
    )
    return Candidate(rule=rule_id, provider=provider, kind=kind, secret=claim.value, location=location)
