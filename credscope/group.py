"""Candidates become credentials: one per secret (fingerprint), with every place it was found."""

from __future__ import annotations

from collections.abc import Iterable

from credscope.model import Candidate, Credential, Location

GENERIC_PROVIDER = "generic"  # detect/filters' name for it; not imported, so grouping loads no filter


def group(candidates: Iterable[Candidate]) -> list[Credential]:
    by_fingerprint: dict[str, list[Candidate]] = {}
    for candidate in candidates:
        by_fingerprint.setdefault(candidate.fingerprint, []).append(candidate)
    credentials = []
    for fingerprint, found in by_fingerprint.items():
        # The most informative sighting names the credential: a provider's rule (or a store's claim) beats the
        # generic rules, paired beats unpaired, named beats bare.
        lead = max(
            found,
            key=lambda c: (
                c.provider != GENERIC_PROVIDER,
                len(c.parts),
                "name" in c.location.context,
                -c.location.line,
            ),
        )
        parts: dict[str, str] = {}
        for candidate in found:
            parts.update(candidate.parts)
        locations = _unique_locations(c.location for c in found)
        credentials.append(
            Credential(
                fingerprint=fingerprint,
                provider=lead.provider,
                kind=lead.kind,
                rule=lead.rule,
                secret=lead.secret,
                locations=locations,
                parts=parts,
            )
        )
    return sorted(credentials, key=lambda c: c.locations[0].sort_key())


def _unique_locations(locations: Iterable[Location]) -> tuple[Location, ...]:
    seen: dict[tuple[str, str, int, int, str | None], Location] = {}
    for location in locations:
        key = (location.reach.value, location.path, location.line, location.column, location.commit)
        seen.setdefault(key, location)
    return tuple(sorted(seen.values(), key=Location.sort_key))
