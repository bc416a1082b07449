"""PlanetScale's probe against a fake shaped from PlanetScale's documentation of `GET /oauth/token/info`
(planetscale.com/docs/api/reference/oauth/token-info: {active, scope, client_id, token_type, exp, iat, sub}, at
auth.planetscale.com): an OAuth token's own scopes decide; an inactive token is revoked; service tokens (no id
beside them), branch passwords and refresh tokens are never sent."""

from __future__ import annotations

import pytest
from servers.documented import StartServer, probe
from servers.http import Received
from servers.openapi import Answer

from credscope.model import Access, Severity

from helpers import token

pytest.importorskip("httpx")


def _info(scope: str, active: bool = True) -> dict[str, Answer]:
    body = {
        "active": active,
        "scope": scope,
        "client_id": "pscale_app_abc123",
        "token_type": "Bearer",
        "exp": 1893456000,
        "iat": 1706486400,
        "sub": "user_xyz789",
    }
    return {"/oauth/token/info": Answer(200, body)}


def test_delete_database_scopes_are_admin_and_named(fake_server: StartServer) -> None:
    secret = token("{{planetscale:oauth}}")
    routes = _info("read_user read_databases delete_database delete_branch write_branch")
    probed = probe(fake_server, "planetscale", "oauth-token", secret, routes, described_by=None)
    assert probed.fake.violations == []
    scope = probed.scope
    assert (scope.access, scope.destructive) == (Access.ADMIN, True)
    assert scope.destructive_actions == ("planetscale:delete_branch", "planetscale:delete_database")
    assert scope.evidence == (
        "GET /oauth/token/info: active, scopes delete_branch, delete_database, read_databases, read_user,"
        " write_branch, expires 2030-01-01",
    )
    assert scope.identity == {"client_id": "pscale_app_abc123"}
    assert probed.credential.severity is Severity.CRITICAL


def test_read_scopes_only_read(fake_server: StartServer) -> None:
    secret = token("{{planetscale:oauth}}")
    probed = probe(
        fake_server, "planetscale", "oauth-token", secret, _info("read_user read_databases"), described_by=None
    )
    assert probed.fake.violations == []
    assert (probed.scope.access, probed.scope.destructive, probed.scope.destructive_actions) == (Access.READ, False, ())


def test_an_inactive_token_is_revoked(fake_server: StartServer) -> None:
    secret = token("{{planetscale:oauth}}")
    probed = probe(fake_server, "planetscale", "oauth-token", secret, _info("", active=False), described_by=None)
    assert probed.fake.violations == []
    assert probed.scope.access is Access.NONE
    assert probed.scope.evidence == (
        "live check: GET /oauth/token/info: active is false — the token is revoked or expired",
    )


def test_an_unauthorized_token_is_revoked(fake_server: StartServer) -> None:
    secret = token("{{planetscale:oauth}}")
    routes = {"/oauth/token/info": Answer(401, {"error": "invalid_token"})}
    probed = probe(fake_server, "planetscale", "oauth-token", secret, routes, described_by=None)
    assert probed.fake.violations == []
    assert probed.scope.access is Access.NONE


@pytest.mark.parametrize(
    ("kind", "template", "reason"),
    [
        ("service-token", "{{planetscale:tkn}}", "a service token authenticates only with its id (<id>:<token>), which"
         " was not found beside it"),
        ("database-password", "{{planetscale:pw}}", "a branch password opens a MySQL session to a host from scanned"
         " text; not probed"),
        ("oauth-token", "refresh", "a refresh token is never sent: using it would spend it"),
    ],
)  # fmt: skip
def test_what_cannot_be_checked_read_only_is_never_sent(
    kind: str, template: str, reason: str, fake_server: StartServer
) -> None:
    def never(_: Received) -> bool:
        return False

    # A refresh token (pscale_oauth_refresh_…) matches the OAuth token rule too; built from a generated one.
    secret = (
        token(template)
        if template != "refresh"
        else token("{{planetscale:oauth}}").replace("_oauth_", "_oauth_refresh_")
    )
    probed = probe(fake_server, "planetscale", kind, secret, {}, described_by=None, authorized=never)
    assert probed.requests == []
    assert probed.scope.evidence[-1] == f"not checked live: {reason}"
