"""Heroku's probe against a fake shaped from the Platform API reference (Account Info, App List; errors are
{id, message}). Heroku publishes its description as a JSON hyper-schema, not OpenAPI; the scope the token holds is
in every answer's `Oauth-Scope` header (`Oauth-Scope: global` beside `Oauth-Scope-Accepted: …`, as Heroku's
answers show), so one read says what the token may do."""

from __future__ import annotations

import pytest
from servers.documented import Authorized, StartServer, probe
from servers.http import Received
from servers.openapi import Answer

from credscope.model import Access, Severity

from helpers import token

pytest.importorskip("httpx")

_ACCOUNT = {"id": "01234567-89ab-cdef-0123-456789abcdef", "email": "lee@example.invalid", "name": "Lee"}
_APPS = [
    {"id": "a1", "name": "rentals-api", "owner": {"email": "lee@example.invalid", "id": "u1"}},
    {"id": "a2", "name": "rentals-web", "owner": {"email": "lee@example.invalid", "id": "u1"}},
]


def _routes(scope: str | None) -> dict[str, Answer]:
    headers = {"Oauth-Scope": scope, "Oauth-Scope-Accepted": "global identity"} if scope else {}
    return {"/account": Answer(200, _ACCOUNT, headers), "/apps": Answer(200, _APPS, headers)}


def _heroku(secret: str) -> Authorized:
    def authorized(received: Received) -> bool:
        return (
            received.headers.get("authorization") == f"Bearer {secret}"
            and received.headers.get("accept") == "application/vnd.heroku+json; version=3"
        )

    return authorized


@pytest.mark.parametrize("template", ["{{heroku}}", "{{heroku:legacy}}"])
def test_a_global_token_may_delete_every_app(template: str, fake_server: StartServer) -> None:
    secret = token(template)
    kind = "api-key" if template == "{{heroku}}" else "legacy-api-key"
    probed = probe(
        fake_server, "heroku", kind, secret, _routes("global"), described_by=None, authorized=_heroku(secret)
    )
    assert probed.fake.violations == []
    scope = probed.scope
    assert (scope.access, scope.destructive) == (Access.ADMIN, True)
    assert scope.destructive_actions == ("heroku:apps.delete (rentals-api, rentals-web)", "heroku:addons.delete")
    assert scope.evidence == (
        "GET /account: lee@example.invalid; Oauth-Scope: global",
        "GET /apps: 2 apps (rentals-api, rentals-web)",
    )
    assert scope.identity == {"email": "lee@example.invalid"}
    assert probed.credential.severity is Severity.CRITICAL


def test_a_write_scope_keeps_its_worst_case(fake_server: StartServer) -> None:
    secret = token("{{heroku}}")
    probed = probe(fake_server, "heroku", "api-key", secret, _routes("write-protected"), described_by=None)
    assert probed.fake.violations == []
    scope = probed.scope
    assert (scope.access, scope.destructive) == (Access.WRITE, True)
    assert scope.destructive_actions == ("heroku:apps.delete (rentals-api, rentals-web)", "heroku:addons.delete")


def test_a_read_scope_only_reads(fake_server: StartServer) -> None:
    secret = token("{{heroku}}")
    probed = probe(fake_server, "heroku", "api-key", secret, _routes("read"), described_by=None)
    assert probed.fake.violations == []
    scope = probed.scope
    assert (scope.access, scope.destructive, scope.destructive_actions) == (Access.READ, False, ())
    assert scope.evidence[0] == "GET /account: lee@example.invalid; Oauth-Scope: read"


def test_an_identity_token_cannot_list_apps_and_only_reads(fake_server: StartServer) -> None:
    secret = token("{{heroku}}")
    forbidden = {"id": "forbidden", "message": "This OAuth authorization does not have the required scope."}
    headers = {"Oauth-Scope": "identity", "Oauth-Scope-Accepted": "global read"}
    routes = {"/account": Answer(200, _ACCOUNT, headers), "/apps": Answer(403, forbidden, headers)}
    probed = probe(fake_server, "heroku", "api-key", secret, routes, described_by=None)
    assert probed.fake.violations == []
    scope = probed.scope
    assert (scope.access, scope.destructive) == (Access.READ, False)
    assert scope.evidence == ("GET /account: lee@example.invalid; Oauth-Scope: identity",)


def test_an_answer_without_the_scope_header_is_taken_as_global(fake_server: StartServer) -> None:
    secret = token("{{heroku}}")
    probed = probe(fake_server, "heroku", "api-key", secret, _routes(None), described_by=None)
    assert probed.fake.violations == []
    scope = probed.scope
    assert (scope.access, scope.destructive) == (Access.ADMIN, True)
    assert scope.evidence[-1] == "the answer does not say the token's scope: taken as global, its worst case"


def test_invalid_credentials_are_revoked(fake_server: StartServer) -> None:
    secret = token("{{heroku}}")
    routes = {"/account": Answer(401, {"id": "unauthorized", "message": "Invalid credentials provided."})}
    probed = probe(fake_server, "heroku", "api-key", secret, routes, described_by=None)
    assert probed.fake.violations == []
    assert probed.scope.access is Access.NONE
    assert probed.scope.evidence == (
        "live check: GET /account: HTTP 401 — the credential is rejected (revoked, expired or invalid)",
    )
