"""npm: `GET /-/whoami` names the token's user; `GET /-/npm/v1/tokens` lists the user's tokens — a classic token
with `readonly`, a granular one with its `permissions` (package, org: read or write) and `scopes` — and the token
is found among them by its key (the SHA-512 of the token) or its shown prefix; `GET /-/user/{user}/package` names
the packages the user may publish and unpublish. Only registry.npmjs.org is probed: another registry's token has
its host in scanned text.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import quote, urlsplit

from credscope.model import Access, Credential, Scope
from credscope.probes.base import NotProbed, bearer, capability_scope, get_object, limited, unrevealed
from credscope.probes.client import ProviderSession


def probe(credential: Credential, session: ProviderSession) -> Scope:
    found_for = {
        urlsplit("https:" + r).hostname for r in (loc.context.get("registry") for loc in credential.locations) if r
    }
    if credential.kind == "registry-token" or (found_for and "registry.npmjs.org" not in found_for):
        raise NotProbed(
            "a token of another registry is checked only at its registry, whose host comes from scanned text"
        )
    headers = bearer(credential.secret)
    _, whoami = get_object(session, "/-/whoami", headers)
    user = str(whoami.get("username", ""))
    evidence = [f"GET /-/whoami: {user or '?'}"]
    writable = _writable_packages(session, headers, user)
    if writable is not None:
        evidence.append(
            f"{user} may publish {len(writable)} packages"
            + (f": {', '.join(limited(writable, 10))}" if writable else "")
        )
    status, listing = get_object(session, "/-/npm/v1/tokens", headers, revoked_on=())
    mine = _own_entries(listing, credential.secret) if status == 200 else []
    identity = {"user": user} if user else {}
    if not mine:
        why = f"HTTP {status}" if status != 200 else "the token is not among those listed"
        evidence.append(f"GET /-/npm/v1/tokens: {why} — its own permissions are not readable")
        return unrevealed("whether the token is read-only or may publish and unpublish", evidence, identity)
    access, capabilities, said = Access.READ, ["package:read"], []
    for entry in mine:
        level, granted, description = _judge(entry)
        said.append(description)
        capabilities += granted
        if level is Access.ADMIN or (level is Access.WRITE and access is Access.READ):
            access = level
    evidence.append("the token: " + "; ".join(said))
    actions = []
    if access is not Access.READ:
        shown = f" ({', '.join(limited(writable, 10))})" if writable else ""
        actions.append(f"npm:package:unpublish{shown}")
    return capability_scope(session.provider, capabilities, evidence, identity, access, actions)


def _writable_packages(session: ProviderSession, headers: dict[str, str], user: str) -> list[str] | None:
    if not user:
        return None
    status, packages = get_object(session, f"/-/user/{quote(user, safe='')}/package", headers, revoked_on=())
    if status != 200:
        return None
    return sorted(name for name, level in packages.items() if level == "read-write")


def _own_entries(listing: dict[str, Any], secret: str) -> list[dict[str, Any]]:
    """The token's own entry: by its key (the token's SHA-512), else by the prefix npm shows of it."""
    entries = [e for e in listing.get("objects") or [] if isinstance(e, dict)]
    digest = hashlib.sha512(secret.encode()).hexdigest()
    by_key = [e for e in entries if str(e.get("key", "")).removeprefix("sha512-") == digest]
    if by_key:
        return by_key
    shown = [(e, str(e.get("token", "")).replace("…", "").replace("...", "")) for e in entries]
    return [e for e, prefix in shown if len(prefix) >= 4 and secret.startswith(prefix)]


def _judge(entry: dict[str, Any]) -> tuple[Access, list[str], str]:
    """(access, capabilities, words) of one token entry, classic or granular."""
    permissions = [p for p in entry.get("permissions") or [] if isinstance(p, dict)]
    if not permissions:
        if entry.get("readonly") is True:
            return Access.READ, [], "classic, read-only"
        kind = "automation" if entry.get("automation") else "publish"
        return Access.WRITE, ["package:publish"], f"classic, {kind}"
    scopes = ", ".join(f"{s.get('type')} {s.get('name')}" for s in entry.get("scopes") or [] if isinstance(s, dict))
    granted = [f"{p.get('name')}:{p.get('action')}" for p in permissions]
    words = f"granular {entry.get('name', '')!r}: {', '.join(granted)}" + (f" on {scopes}" if scopes else "")
    if "org:write" in granted:
        return Access.ADMIN, ["org:write", "package:publish"], words
    if "package:write" in granted:
        return Access.WRITE, ["package:publish"], words
    return Access.READ, [], words
