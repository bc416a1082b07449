"""DigitalOcean's probe against a fake answering from DigitalOcean's own OpenAPI description: what the token reads
is named, whether it may delete stays unknown (no call reveals a token's scopes), and only a 401 is revoked."""

from __future__ import annotations

import pytest
from servers.documented import StartServer, documented, item, probe
from servers.openapi import Answer

from credscope.model import Access, Severity

from helpers import token

pytest.importorskip("httpx")
pytest.importorskip("openapi_schema_validator")

_ACCOUNT = {
    "account": {
        "droplet_limit": 25,
        "floating_ip_limit": 5,
        "email": "ops@example.invalid",
        "name": "Ops",
        "uuid": "b6fr89dbf6d9156cace5f3c78dc9851d957381ef",
        "email_verified": True,
        "status": "active",
        "status_message": " ",
        "team": {"uuid": "5df3e3004a17e242b7c20ca6c9fc25b701a47ece", "name": "Rentals"},
    }
}
_FORBIDDEN = {"id": "forbidden", "message": "You do not have permission to perform this action."}
# DigitalOcean documents 401, 429 and 500 for these listings, and every other status as `default` (its error shape).
_NOT_REVEALED = (
    "unknown: the provider does not reveal this without a write (whether it may delete what it reads: a read-only"
    " token lists the same, and no call reports a token's scopes)"
)


def _listing(path: str, key: str, *names: str) -> Answer:
    """The documented answer, with one documented element per name."""
    items = [item("digitalocean", path, key, name=name) for name in names]
    return Answer(200, documented("digitalocean", path, 200, **{key: items}))


def test_a_working_token_names_what_it_reads_and_leaves_deletion_unknown(fake_server: StartServer) -> None:
    secret = token("{{digitalocean:dop}}")
    droplets = _listing("/v2/droplets", "droplets", "web-1", "web-2")
    droplets.body["meta"] = {"total": 2}
    volumes = _listing("/v2/volumes", "volumes")
    volumes.body["meta"] = {"total": 0}
    routes = {
        "/v2/account": Answer(200, _ACCOUNT),
        "/v2/droplets": droplets,
        "/v2/databases": _listing("/v2/databases", "databases", "pg-main"),
        "/v2/volumes": volumes,
        "/v2/projects": Answer(403, _FORBIDDEN),
    }
    probed = probe(fake_server, "digitalocean", "personal-access-token", secret, routes, described_by="digitalocean")
    assert probed.fake.violations == []
    scope = probed.scope
    assert (scope.access, scope.destructive) == (Access.UNKNOWN, None)
    assert scope.evidence == (
        "GET /v2/account: ops@example.invalid (status active), team Rentals",
        "reads 2 droplets (web-1, web-2) — droplet:delete would delete them; 1 databases (pg-main) — database:delete"
        " would delete them; 0 volumes — block_storage:delete would delete them",
        "may not read projects (HTTP 403, forbidden: You do not have permission to perform this action.: no"
        " project:read)",
        _NOT_REVEALED,
    )
    assert scope.identity["email"] == "ops@example.invalid"
    assert scope.identity["team"] == "Rentals"
    # Ranked by the worst its kind can do, as the offline verdict is.
    assert scope.potential_actions == (
        "digitalocean:droplet:delete",
        "digitalocean:database:delete",
        "digitalocean:block_storage:delete",
        "digitalocean:project:delete",
    )
    assert probed.credential.severity is Severity.HIGH


def test_a_custom_token_without_account_read_is_recognised_not_revoked(fake_server: StartServer) -> None:
    secret = token("{{digitalocean:dop}}")
    routes = {path: Answer(403, _FORBIDDEN) for path in ("/v2/account", "/v2/droplets", "/v2/volumes", "/v2/projects")}
    routes["/v2/databases"] = Answer(403, _FORBIDDEN)
    probed = probe(fake_server, "digitalocean", "personal-access-token", secret, routes, described_by="digitalocean")
    assert probed.fake.violations == []
    scope = probed.scope
    assert (scope.access, scope.destructive) == (Access.UNKNOWN, None)
    assert scope.evidence[0] == (
        "GET /v2/account: HTTP 403, forbidden: You do not have permission to perform this action. — the token is"
        " recognised but may not read the account (no account:read)"
    )
    assert scope.evidence[-1] == _NOT_REVEALED
    assert probed.credential.severity is Severity.HIGH


def test_an_unauthenticated_token_is_revoked(fake_server: StartServer) -> None:
    secret = token("{{digitalocean:dop}}")
    routes = {"/v2/account": Answer(401, {"id": "unauthorized", "message": "Unable to authenticate you."})}
    probed = probe(fake_server, "digitalocean", "personal-access-token", secret, routes, described_by="digitalocean")
    assert probed.fake.violations == []
    assert probed.scope.access is Access.NONE
    assert probed.scope.evidence == (
        "live check: GET /v2/account: HTTP 401 — the credential is rejected (revoked, expired or invalid)",
    )
    assert [r.path for r in probed.requests] == ["/v2/account"]


def test_a_refresh_token_is_never_sent(fake_server: StartServer) -> None:
    secret = token("{{digitalocean:dor}}")
    probed = probe(fake_server, "digitalocean", "refresh-token", secret, {}, described_by="digitalocean")
    assert probed.requests == []
    assert probed.scope.evidence[-1] == "not checked live: a refresh token is never sent: using it would rotate it"
