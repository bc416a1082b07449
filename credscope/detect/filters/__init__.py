"""False-positive filters: each says why a matched value is not a credential, or nothing.

A filter sees the secret, the line it starts on, the name it is assigned to and the file's path. Filters that
judge by the name or by "looks like a word" only apply to the `generic` provider, whose rules have nothing
but the name to go on; a provider-specific format (a prefix, a checksum) is trusted over such guesses, so
that a real generated token is never dropped (the provider examples prove it).

One module per concern: documented examples and placeholders (`examples`), made-up values (`fakes`), hashes
(`hashes`), public material (`public`), logins in connection strings (`uris`), and for generic values the name
(`names`), code (`code`) and words (`words`, `vocabulary`). Some heuristics are detect-secrets'
(`detect/heuristics.py` reimplements them: importing detect-secrets costs ~0.17 s).
"""

from __future__ import annotations

from collections.abc import Sequence

from credscope.detect.entropy import passes_for_random
from credscope.detect.filters.base import GENERIC_PROVIDER, Filter, FilterContext
from credscope.detect.filters.code import not_a_literal
from credscope.detect.filters.examples import (
    documented_example,
    encrypted,
    placeholder,
    placeholder_login,
    reference,
    unsigned_jwt,
)
from credscope.detect.filters.fakes import failed_checksum, low_variety, typed_fake
from credscope.detect.filters.hashes import hash_constant, lockfile_hash, password_hash
from credscope.detect.filters.names import identifier_name, named_not_real, not_a_credential_token
from credscope.detect.filters.public import data_uri, public_id, public_material
from credscope.detect.filters.uris import uri_login
from credscope.detect.filters.words import (
    restates_name,
    supplied_elsewhere,
    test_value,
    translation,
    words_not_secrets,
)

__all__ = ["FILTERS", "GENERIC_PROVIDER", "Filter", "FilterContext", "meets_entropy", "why_not_a_secret"]

FILTERS: tuple[Filter, ...] = (
    documented_example,
    unsigned_jwt,
    placeholder,
    reference,
    placeholder_login,
    uri_login,
    encrypted,
    low_variety,
    lockfile_hash,
    hash_constant,
    password_hash,
    public_material,
    public_id,
    data_uri,
    translation,
    identifier_name,
    named_not_real,
    words_not_secrets,
    not_a_literal,
    not_a_credential_token,
    failed_checksum,
    typed_fake,
    test_value,
    restates_name,
    supplied_elsewhere,
)


def why_not_a_secret(
    ctx: FilterContext, filters: Sequence[Filter] = FILTERS, readers: list[Filter] | None = None
) -> str | None:
    """The first reason a filter gives, or None. With `readers`, the filters that found nothing after reading the
    name are added to it: the others find nothing under any name (they are pure functions of what they read)."""
    for check in filters:
        ctx.name_read = False
        reason = check(ctx)
        if reason:
            return reason
        if readers is not None and ctx.name_read:
            readers.append(check)
    return None


def meets_entropy(secret: str, floor: float) -> bool:
    """The rule's entropy floor, or as much as a random value of this length and alphabet has."""
    return passes_for_random(secret, floor)
