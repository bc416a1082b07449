"""Twilio: credentials go as HTTP Basic (Account SID and auth token, or API key SID and secret) and are checked
against the account's own resources. Listing the account's API keys is allowed to the auth token and to Main keys
only ("If your API key requires access to the /Accounts or /Keys endpoints, a Main key needs to be used"), so it
tells a Main key (the whole account) from a Standard one (everything but keys, accounts and subaccounts); listing
the phone numbers is allowed to both. Error 20003 is an authentication failure; any other refusal is a recognised
credential without that permission (a Restricted key: error 70051).
"""

from __future__ import annotations

import base64
from typing import Any

from credscope.model import Access, Credential, Scope
from credscope.probes.base import (
    NotProbed,
    ProbeFailure,
    capability_scope,
    limited,
    revoked,
    unexpected,
    unrevealed,
)
from credscope.probes.client import Answer, ProviderSession

_AUTHENTICATE = 20003  # "Permission Denied": wrong SID and secret, deleted key, rotated token, closed account
_ACCOUNT_ADMIN = ["keys.delete", "subaccounts.close", "incoming_phone_numbers.delete", "recordings.delete"]


def probe(credential: Credential, session: ProviderSession) -> Scope:
    account = credential.parts.get("account_sid", "")
    if not account:
        raise NotProbed("a Twilio credential is checked only against its account, whose SID was not found beside it")
    if credential.kind == "auth-token":
        user = account
    else:
        user = credential.parts.get("api_key_sid", "")
        if not user:
            raise NotProbed("an API key secret is used only with its key SID (SK…), which was not found beside it")
    headers = {"Authorization": "Basic " + base64.b64encode(f"{user}:{credential.secret}".encode()).decode()}
    base = f"/2010-04-01/Accounts/{account}"
    keys = _get(session, f"{base}/Keys.json", headers)
    identity = {"account_sid": account} | ({"api_key_sid": user} if user != account else {})
    if keys.status == 200:
        listed = [str(k.get("friendly_name") or k.get("sid")) for k in _rows(keys, "keys")]
        who = "the account's auth token" if user == account else "a Main API key"
        evidence = [f"GET Keys.json: {who} — lists {len(listed)} API keys ({', '.join(limited(listed, 10))}): the"
                    " whole account, keys and subaccounts included"]  # fmt: skip
        return capability_scope(session.provider, _ACCOUNT_ADMIN, evidence, identity, Access.ADMIN)
    if user == account:
        raise _refused(keys, "GET Keys.json", "the Account SID and auth token are rejected together")
    numbers = _get(session, f"{base}/IncomingPhoneNumbers.json", headers, {"PageSize": "50"})
    said = f"GET Keys.json: HTTP {keys.status}{_code(keys)} — not a Main key"
    if numbers.status == 200:
        listed = [str(n.get("phone_number") or n.get("sid")) for n in _rows(numbers, "incoming_phone_numbers")]
        evidence = [said, f"GET IncomingPhoneNumbers.json: a Standard key — {len(listed)} numbers it may release"]
        actions = [f"twilio:incoming_phone_numbers.delete ({', '.join(limited(listed, 10))})"] if listed else []
        capabilities = ["incoming_phone_numbers.delete", "recordings.delete", "messages.create"]
        return capability_scope(session.provider, capabilities, evidence, identity, Access.WRITE, actions)
    if _error(numbers) == _AUTHENTICATE:
        raise _refused(numbers, "GET IncomingPhoneNumbers.json", "the API key SID and secret are rejected")
    evidence = [said, f"GET IncomingPhoneNumbers.json: HTTP {numbers.status}{_code(numbers)} — a Restricted key"]
    return unrevealed("a Restricted key's permissions, readable only with a Main key", evidence, identity)


def _get(session: ProviderSession, path: str, headers: dict[str, str], params: dict[str, str] | None = None) -> Answer:
    answer = session.get(path, headers, params)
    if 300 <= answer.status < 400:
        raise unexpected(answer, f"GET {path}")
    return answer


def _rows(answer: Answer, key: str) -> list[dict[str, Any]]:
    body = answer.json()
    rows = body.get(key) if isinstance(body, dict) else None
    return [row for row in rows or [] if isinstance(row, dict)]


def _error(answer: Answer) -> int | None:
    body = answer.json()
    code = body.get("code") if isinstance(body, dict) else None
    return code if isinstance(code, int) else None


def _code(answer: Answer) -> str:
    code = _error(answer)
    return f", error {code}" if code is not None else ""


def _refused(answer: Answer, call: str, what: str) -> ProbeFailure:
    """Error 20003 is an authentication failure: revoked. Anything else leaves the credential unknown."""
    if _error(answer) == _AUTHENTICATE:
        return revoked(f"{call}: HTTP {answer.status}, error 20003 — {what} (revoked, rotated, or not this account's)")
    return ProbeFailure(f"{call}: HTTP {answer.status}{_code(answer)} — {what}, without saying it is revoked")
