"""What a probe is: a function from a credential and its provider's guarded session to a queried Scope.

A probe raises `ProbeFailure` for an answer that settles nothing (network error, rate limit, revoked key) and
`NotProbed` when it will not try at all (a canary account, a key id without its secret); the runner turns both
into data, so one provider's trouble never stops the run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from credscope.model import Access, Credential, Scope, ScopeSource

if TYPE_CHECKING:
    from credscope.catalogue import Provider
    from credscope.probes.client import Answer, ProviderSession


class ProbeFailure(Exception):
    """The provider's answer (or its absence) settles nothing, or settles `none` (revoked, expired)."""

    def __init__(self, reason: str, access: Access = Access.UNKNOWN) -> None:
        super().__init__(reason)
        self.reason = reason
        self.access = access


class NotProbed(Exception):
    """The probe deliberately sent nothing; the offline scope stands, with this reason beside it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Probe(Protocol):
    def __call__(self, credential: Credential, session: ProviderSession, /) -> Scope: ...


def queried(
    access: Access,
    destructive_actions: Iterable[str] = (),
    evidence: Iterable[str] = (),
    identity: Mapping[str, str] | None = None,
    destructive: bool | None = None,
) -> Scope:
    """A scope learnt live; destructive follows the named actions unless said otherwise."""
    actions = tuple(dict.fromkeys(destructive_actions))
    return Scope(
        access=access,
        destructive=bool(actions) if destructive is None else destructive,
        destructive_actions=actions,
        scope_source=ScopeSource.QUERIED,
        evidence=tuple(evidence),
        identity=dict(identity or {}),
    )


def undetermined(evidence: Iterable[str], identity: Mapping[str, str] | None = None) -> Scope:
    """The credential works (that much was learnt live), but what it may do cannot be read without a write."""
    return Scope(
        access=Access.UNKNOWN,
        destructive=None,
        scope_source=ScopeSource.QUERIED,
        evidence=tuple(evidence),
        identity=dict(identity or {}),
    )


# What a probe says when the provider keeps a credential's permissions to itself: no read reveals them, and credscope
# never tries a write to find out. The runner then ranks the credential by its kind's worst case.
NOT_REVEALED = "unknown: the provider does not reveal this without a write"


def unrevealed(what: str, evidence: Iterable[str], identity: Mapping[str, str] | None = None) -> Scope:
    """The credential works, but `what` (its permissions, whether it may delete) no read-only call reveals."""
    return undetermined([*evidence, f"{NOT_REVEALED} ({what})"], identity)


def revoked(reason: str) -> ProbeFailure:
    return ProbeFailure(reason, Access.NONE)


def unexpected(answer: Answer, what: str) -> ProbeFailure:
    """An answer no probe expected; a redirect is named as one, since it is never followed."""
    if 300 <= answer.status < 400:
        where = answer.headers.get("location", "elsewhere")
        return ProbeFailure(f"{what}: redirected (HTTP {answer.status}) to {where}; not followed with the credential")
    return ProbeFailure(f"{what}: unexpected HTTP {answer.status}")


def json_object(answer: Answer, what: str) -> dict[str, Any]:
    body = answer.json()
    if not isinstance(body, dict):
        raise ProbeFailure(f"{what}: the answer (HTTP {answer.status}) is not a JSON object")
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def limited(items: Iterable[str], limit: int = 40) -> tuple[str, ...]:
    """At most `limit` items, then one saying how many more, so a huge account stays readable."""
    listed = list(dict.fromkeys(items))
    if len(listed) <= limit:
        return tuple(listed)
    return (*listed[:limit], f"… and {len(listed) - limit} more")


_ORDER = (Access.UNKNOWN, Access.NONE, Access.READ, Access.WRITE, Access.ADMIN)


def capability_scope(
    provider: Provider,
    capability_ids: Iterable[str],
    evidence: Iterable[str],
    identity: Mapping[str, str],
    floor: Access = Access.READ,
    actions: Iterable[str] = (),
) -> Scope:
    """The capabilities found live, judged by the provider's capability table (the one rule for everybody).

    `floor` is what the probe saw for itself (e.g. INSERT rights, which no table row names), and `actions`
    the destructive actions named with their targets ("postgres:DROP DATABASE rentals"); without them the
    table's own action names stand.
    """
    from credscope.scope.core import scope_from_capabilities  # noqa: PLC0415 - avoids an import cycle

    known = [c for c in dict.fromkeys(capability_ids) if c in provider.capabilities]
    table = scope_from_capabilities(provider, known, evidence, identity, ScopeSource.QUERIED)
    access = max(table.access if known else Access.UNKNOWN, floor, key=_ORDER.index)
    named = tuple(dict.fromkeys(actions))
    return queried(
        access,
        named or table.destructive_actions,
        table.evidence,
        identity,
        destructive=bool(named) or bool(table.destructive),
    )


class Refusal(Protocol):
    def __call__(self, status: int, body: dict[str, Any], /) -> str | None: ...


def get_object(
    session: ProviderSession,
    path: str,
    headers: Mapping[str, str],
    *,
    params: Mapping[str, str] | None = None,
    revoked_on: tuple[int, ...] = (401,),
    still_valid: Refusal | None = None,
) -> tuple[int, dict[str, Any]]:
    """GET a JSON object; a status in `revoked_on` means the credential no longer works (access none) — unless
    `still_valid` reads in the error body that the credential was recognised and only lacks a permission
    (OpenAI answers a missing scope with 401): then the answer comes back for the probe to read.

    Other 4xx answers come back with their status for the probe to read (a 403 often means "valid, but not
    allowed to read this"); 3xx and 5xx are failures.
    """
    answer = session.get(path, headers, params)
    if answer.status in revoked_on:
        body = answer.json()
        if still_valid is not None and still_valid(answer.status, body if isinstance(body, dict) else {}):
            return answer.status, body if isinstance(body, dict) else {}
        raise revoked(f"GET {path}: HTTP {answer.status} — the credential is rejected (revoked, expired or invalid)")
    if answer.status >= 300 and not 400 <= answer.status < 500:
        raise unexpected(answer, f"GET {path}")
    body = answer.json()
    return answer.status, body if isinstance(body, dict) else {}
