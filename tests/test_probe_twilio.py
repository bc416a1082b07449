"""Twilio's probe against a fake answering from Twilio's own OpenAPI description (twilio/twilio-oai
twilio_api_v2010.json): the auth token and Main keys may list the account's API keys (the whole account); a Standard
key may not, but lists phone numbers; only error 20003 is a rejected credential."""

from __future__ import annotations

import base64

import pytest
from servers.documented import Authorized, StartServer, documented, item, probe
from servers.http import Received
from servers.openapi import Answer

from credscope.model import Access, Severity

from helpers import token

pytest.importorskip("httpx")
pytest.importorskip("openapi_schema_validator")

_UNDESCRIBED = "Twilio's description documents only 200; errors are {code, message, more_info, status}"


def _error(status: int, code: int, message: str) -> Answer:
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return Answer(status, body, why_undescribed=_UNDESCRIBED)


def _basic(user: str, secret: str) -> Authorized:
    expected = "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()
    return lambda received: received.headers.get("authorization") == expected


def _keys(account: str, *names: str) -> Answer:
    path = f"/2010-04-01/Accounts/{account}/Keys.json"
    rows = [item("twilio", path, "keys", sid="SK" + f"{i:032x}", friendly_name=name) for i, name in enumerate(names)]
    return Answer(200, documented("twilio", path, 200, keys=rows))


def _numbers(account: str, *numbers: str) -> Answer:
    path = f"/2010-04-01/Accounts/{account}/IncomingPhoneNumbers.json"
    rows = [item("twilio", path, "incoming_phone_numbers", phone_number=number) for number in numbers]
    return Answer(200, documented("twilio", path, 200, incoming_phone_numbers=rows))


def test_an_auth_token_is_the_whole_account(fake_server: StartServer) -> None:
    account, secret = token("{{twilio:sid}}"), token("{{twilio:token}}")
    routes = {f"/2010-04-01/Accounts/{account}/Keys.json": _keys(account, "ci", "mobile")}
    probed = probe(
        fake_server, "twilio", "auth-token", secret, routes, described_by="twilio",
        authorized=_basic(account, secret), parts={"account_sid": account},
    )  # fmt: skip
    assert probed.fake.violations == []
    scope = probed.scope
    assert (scope.access, scope.destructive) == (Access.ADMIN, True)
    assert scope.destructive_actions == (
        "twilio:keys.delete",
        "twilio:subaccounts.close",
        "twilio:incoming_phone_numbers.delete",
        "twilio:recordings.delete",
    )
    assert scope.evidence == (
        "GET Keys.json: the account's auth token — lists 2 API keys (ci, mobile): the whole account, keys and"
        " subaccounts included",
    )
    assert probed.credential.severity is Severity.CRITICAL


def test_a_standard_key_releases_numbers_but_not_keys(fake_server: StartServer) -> None:
    account, key, secret = token("{{twilio:sid}}"), token("{{twilio:key-sid}}"), token("{{twilio:key-secret}}")
    base = f"/2010-04-01/Accounts/{account}"
    routes = {
        f"{base}/Keys.json": _error(403, 20403, "Forbidden"),
        f"{base}/IncomingPhoneNumbers.json": _numbers(account, "+15005550006"),
    }
    probed = probe(
        fake_server, "twilio", "api-key-secret", secret, routes, described_by="twilio",
        authorized=_basic(key, secret), parts={"account_sid": account, "api_key_sid": key},
    )  # fmt: skip
    assert probed.fake.violations == []
    scope = probed.scope
    assert (scope.access, scope.destructive) == (Access.WRITE, True)
    assert scope.destructive_actions == ("twilio:incoming_phone_numbers.delete (+15005550006)",)
    assert scope.evidence == (
        "GET Keys.json: HTTP 403, error 20403 — not a Main key",
        "GET IncomingPhoneNumbers.json: a Standard key — 1 numbers it may release",
    )


def test_a_restricted_key_is_unknown_not_revoked(fake_server: StartServer) -> None:
    account, key, secret = token("{{twilio:sid}}"), token("{{twilio:key-sid}}"), token("{{twilio:key-secret}}")
    base = f"/2010-04-01/Accounts/{account}"
    routes = {
        f"{base}/Keys.json": _error(401, 70051, "Authorization Failed"),
        f"{base}/IncomingPhoneNumbers.json": _error(401, 70051, "Authorization Failed"),
    }
    probed = probe(
        fake_server, "twilio", "api-key-secret", secret, routes, described_by="twilio",
        authorized=_basic(key, secret), parts={"account_sid": account, "api_key_sid": key},
    )  # fmt: skip
    assert probed.fake.violations == []
    scope = probed.scope
    assert (scope.access, scope.destructive) == (Access.UNKNOWN, None)
    assert scope.evidence[-1] == (
        "unknown: the provider does not reveal this without a write (a Restricted key's permissions, readable only"
        " with a Main key)"
    )
    assert probed.credential.severity is Severity.HIGH


def test_error_20003_is_revoked(fake_server: StartServer) -> None:
    account, key, secret = token("{{twilio:sid}}"), token("{{twilio:key-sid}}"), token("{{twilio:key-secret}}")
    base = f"/2010-04-01/Accounts/{account}"
    routes = {
        f"{base}/Keys.json": _error(401, 20003, "Authenticate"),
        f"{base}/IncomingPhoneNumbers.json": _error(401, 20003, "Authenticate"),
    }
    probed = probe(
        fake_server, "twilio", "api-key-secret", secret, routes, described_by="twilio",
        authorized=_basic(key, secret), parts={"account_sid": account, "api_key_sid": key},
    )  # fmt: skip
    assert probed.fake.violations == []
    assert probed.scope.access is Access.NONE
    assert probed.scope.evidence == (
        "live check: GET IncomingPhoneNumbers.json: HTTP 401, error 20003 — the API key SID and secret are rejected"
        " (revoked, rotated, or not this account's)",
    )


def test_an_auth_token_refused_without_20003_is_unknown(fake_server: StartServer) -> None:
    account, secret = token("{{twilio:sid}}"), token("{{twilio:token}}")
    routes = {f"/2010-04-01/Accounts/{account}/Keys.json": _error(403, 20403, "Forbidden")}
    probed = probe(
        fake_server, "twilio", "auth-token", secret, routes, described_by="twilio",
        authorized=_basic(account, secret), parts={"account_sid": account},
    )  # fmt: skip
    assert probed.fake.violations == []
    assert probed.scope.access is Access.UNKNOWN
    assert probed.scope.evidence[0] == (
        "live check failed: GET Keys.json: HTTP 403, error 20403 — the Account SID and auth token are rejected"
        " together, without saying it is revoked"
    )


def test_without_the_account_sid_nothing_is_sent(fake_server: StartServer) -> None:
    def never(_: Received) -> bool:
        return False

    secret = token("{{twilio:token}}")
    probed = probe(fake_server, "twilio", "auth-token", secret, {}, described_by="twilio", authorized=never)
    assert probed.requests == []
    assert probed.scope.evidence[-1] == (
        "not checked live: a Twilio credential is checked only against its account, whose SID was not found beside it"
    )
