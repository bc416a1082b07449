"""Cloudflare: a token says whether it is active at its verify endpoint, and its policies are read from its own
details when it may read tokens. Global API keys need the account email and are not probed.

User tokens verify at `/user/tokens/verify`; account-owned tokens (cfat_) only at
`/accounts/{account_id}/tokens/verify` — the user endpoint answers them 401 "Invalid API Token" by design. Their
account comes from the scanned text (an account id beside the token) or from `GET /accounts`, which lists the
accounts a token reaches; without one, whether the token is live stays unknown: it is never called revoked from the
user endpoint alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from credscope.model import Access, Credential, Scope
from credscope.probes.base import (
    NotProbed,
    ProbeFailure,
    bearer,
    capability_scope,
    get_object,
    limited,
    revoked,
    undetermined,
)
from credscope.probes.client import ProviderSession

API = "/client/v4"
# Permission groups that change who controls the account.
_ADMIN_GROUPS = ("API Tokens Write", "Account Settings Write", "Memberships Write", "User Details Write")
_DESTRUCTIVE_WORDS = ("Zone", "DNS", "Workers", "R2", "Pages", "D1", "Account")
_INVALID_TOKEN = 1000  # Cloudflare's error code for "Invalid API Token"
_MOST_ACCOUNTS = 5  # accounts tried at their verify endpoint


def probe(credential: Credential, session: ProviderSession) -> Scope:
    if credential.kind in ("global-api-key", "origin-ca-key"):
        raise NotProbed(f"a Cloudflare {credential.kind} is checked only with the account email; not probed")
    headers = bearer(credential.secret)
    if credential.kind == "account-api-token":
        return _account_token(session, headers, credential, [])
    status, verified = _verify(session, f"{API}/user/tokens/verify", headers)
    if status == 200:
        token_id = _active(verified, "user/tokens/verify")
        return _policies(session, headers, f"{API}/user/tokens/{token_id}", {"token_id": token_id}, [])
    if credential.kind == "user-api-token":  # cfut_: a user token, which this endpoint does verify
        raise revoked(f"user/tokens/verify: HTTP {status}, {_errors(verified)} — the user token is rejected")
    # A token without a prefix may be a user's or an account's: the user endpoint alone settles nothing.
    said = f"user/tokens/verify: HTTP {status}, {_errors(verified)}: not a live user token"
    return _account_token(session, headers, credential, [said])


def _account_token(
    session: ProviderSession, headers: dict[str, str], credential: Credential, evidence: list[str]
) -> Scope:
    accounts, found_where = _accounts(session, headers, credential, evidence)
    rejected: list[str] = []
    for account in accounts[:_MOST_ACCOUNTS]:
        status, verified = _verify(session, f"{API}/accounts/{account}/tokens/verify", headers)
        if status == 200:
            token_id = _active(verified, f"accounts/{account}/tokens/verify")
            identity = {"token_id": token_id, "account_id": account}
            evidence.append(f"an account-owned token of account {account} ({found_where}), active")
            path = f"{API}/accounts/{account}/tokens/{token_id}"
            return _policies(session, headers, path, identity, evidence)
        if status == 403:
            evidence.append(f"accounts/{account}/tokens/verify: HTTP 403, {_errors(verified)}")
            continue
        rejected.append(account)
        evidence.append(f"accounts/{account}/tokens/verify: HTTP {status}, {_errors(verified)}")
    if rejected and found_where == "named beside it":
        raise revoked("; ".join([*evidence, "the account the token is kept with rejects it: revoked or expired"]))
    if not accounts:
        evidence.append(
            "an account-owned token verifies only at its account (/accounts/{account_id}/tokens/verify), and no"
            " account id was found beside it nor listed by GET /accounts: whether it is live, and what it may do,"
            " is unknown"
        )
    else:
        evidence.append(
            "no account it was tried against accepts it: whether it is live, and what it may do, is unknown"
        )
    return undetermined(evidence, {})


def _accounts(
    session: ProviderSession, headers: dict[str, str], credential: Credential, evidence: list[str]
) -> tuple[list[str], str]:
    """Account ids to verify the token at, and where they came from: the scanned text first, then GET /accounts."""
    named = _named_accounts(credential)
    if named:
        return named, "named beside it"
    status, listing = get_object(session, f"{API}/accounts", headers, params={"per_page": "50"}, revoked_on=())
    if status == 200 and isinstance(listing.get("result"), list):
        listed = [str(a.get("id")) for a in listing["result"] if isinstance(a, dict) and a.get("id")]
        names = [f"{a.get('name', a.get('id'))}" for a in listing["result"] if isinstance(a, dict)]
        evidence.append("GET /accounts lists: " + (", ".join(limited(names, 10)) or "no account"))
        return listed, "listed by GET /accounts"
    evidence.append(f"GET /accounts: HTTP {status}, {_errors(listing)}")
    return [], ""


def _named_accounts(credential: Credential) -> list[str]:
    values: Iterable[str] = [credential.parts.get("account_id", "")] + [
        location.context.get("account_id", "") for location in credential.locations
    ]
    return list(dict.fromkeys(v for v in values if v))


def _verify(session: ProviderSession, path: str, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """The verify answer: 200, or a 4xx whose body the caller reads (401 with code 1000: not valid here)."""
    status, body = get_object(session, path, headers, revoked_on=())
    if status != 200 and not 400 <= status < 500:
        raise ProbeFailure(f"{path}: unexpected HTTP {status}")
    return status, body


def _active(verified: dict[str, Any], where: str) -> str:
    result: dict[str, Any] = verified.get("result") or {}
    if verified.get("success") is not True or result.get("status") != "active":
        raise revoked(f"{where}: status {result.get('status', 'unknown')}")
    return str(result.get("id", ""))


def _errors(body: dict[str, Any]) -> str:
    errors = [e for e in body.get("errors") or [] if isinstance(e, dict)]
    if not errors:
        return "no error given"
    return "; ".join(f"{e.get('code', '?')} {str(e.get('message', ''))[:100]}" for e in errors[:3])


def _policies(
    session: ProviderSession, headers: dict[str, str], path: str, identity: dict[str, str], evidence: list[str]
) -> Scope:
    status, details = get_object(session, path, headers)
    if status != 200 or not isinstance(details.get("result"), dict):
        evidence.append("the token is active; it may not read its own policies, so its permissions are unknown")
        return undetermined(evidence, identity)
    groups: list[str] = []
    for policy in details["result"].get("policies", []):
        if isinstance(policy, dict) and policy.get("effect", "allow") == "allow":
            groups.extend(str(g.get("name")) for g in policy.get("permission_groups", []) if isinstance(g, dict))
    floor = Access.READ
    actions = []
    for group in groups:
        if group in _ADMIN_GROUPS:
            floor = Access.ADMIN
        elif (group.endswith(("Write", "Edit"))) and floor is Access.READ:
            floor = Access.WRITE
        if group.endswith(("Write", "Edit")) and any(word in group for word in _DESTRUCTIVE_WORDS):
            actions.append(f"cloudflare:{group}")
    evidence.append("the token is active; permission groups: " + (", ".join(groups) or "none"))
    return capability_scope(session.provider, (), evidence, identity, floor, limited(actions))
