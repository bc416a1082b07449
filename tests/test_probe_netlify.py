"""Netlify's probe against a fake answering from Netlify's own API description (netlify/open-api swagger.yml): a
personal access token acts as its user, so the teams the user owns decide whether it may delete sites."""

from __future__ import annotations

import pytest
from servers.documented import StartServer, probe
from servers.openapi import Answer

from credscope.model import Access, Severity

from helpers import token

pytest.importorskip("httpx")
pytest.importorskip("openapi_schema_validator")


def _user() -> Answer:
    return Answer(200, {"id": "u-lee", "email": "lee@example.invalid", "full_name": "Lee"})


def _teams(*teams: tuple[str, str, list[str]]) -> Answer:
    return Answer(
        200, [{"id": f"t-{slug}", "name": name, "slug": slug, "owner_ids": owners} for name, slug, owners in teams]
    )


def _sites(*sites: tuple[str, str]) -> Answer:
    return Answer(200, [{"id": f"s-{name}", "name": name, "account_slug": slug} for name, slug in sites])


def test_an_owner_token_may_delete_the_sites_of_the_teams_it_owns(fake_server: StartServer) -> None:
    secret = token("{{netlify}}")
    routes = {
        "/api/v1/user": _user(),
        "/api/v1/accounts": _teams(("Rentals", "rentals", ["u-lee"]), ("Docs", "docs", ["u-ana"])),
        "/api/v1/sites": _sites(("shop", "rentals"), ("admin", "rentals"), ("handbook", "docs")),
    }
    probed = probe(fake_server, "netlify", "personal-access-token", secret, routes, described_by="netlify")
    assert probed.fake.violations == []
    scope = probed.scope
    assert (scope.access, scope.destructive) == (Access.ADMIN, True)
    assert scope.destructive_actions == ("netlify:sites.delete (admin, shop) in team Rentals",)
    assert scope.evidence == (
        "GET /api/v1/user: lee@example.invalid; a personal access token acts as its user, with no scopes of its own",
        "Owner of Rentals: may delete or transfer their sites",
        "member, not Owner, of Docs",
        "reaches sites: docs: handbook; rentals: admin, shop",
    )
    assert scope.identity == {"email": "lee@example.invalid", "id": "u-lee"}
    assert probed.credential.severity is Severity.CRITICAL
    assert [r.path.split("?")[0] for r in probed.requests] == ["/api/v1/user", "/api/v1/accounts", "/api/v1/sites"]


def test_a_member_who_owns_no_team_may_deploy_but_not_delete_sites(fake_server: StartServer) -> None:
    secret = token("{{netlify}}")
    routes = {
        "/api/v1/user": _user(),
        "/api/v1/accounts": _teams(("Docs", "docs", ["u-ana"])),
        "/api/v1/sites": _sites(("handbook", "docs")),
    }
    probed = probe(fake_server, "netlify", "personal-access-token", secret, routes, described_by="netlify")
    assert probed.fake.violations == []
    scope = probed.scope
    assert (scope.access, scope.destructive, scope.destructive_actions) == (Access.WRITE, False, ())
    assert scope.evidence[1:] == ("member, not Owner, of Docs", "reaches sites: docs: handbook")


def test_teams_that_cannot_be_read_are_taken_as_owned(fake_server: StartServer) -> None:
    secret = token("{{netlify}}")
    forbidden = {"code": 403, "message": "Forbidden"}
    routes = {
        "/api/v1/user": _user(),
        "/api/v1/accounts": Answer(403, forbidden),
        "/api/v1/sites": _sites(("shop", "rentals")),
    }
    probed = probe(fake_server, "netlify", "personal-access-token", secret, routes, described_by="netlify")
    assert probed.fake.violations == []
    scope = probed.scope
    assert (scope.access, scope.destructive) == (Access.ADMIN, True)
    assert scope.destructive_actions == ("netlify:sites.delete (shop) in team rentals",)
    assert scope.evidence[1] == (
        "GET /api/v1/accounts: HTTP 403 — whether it owns its teams is unknown: taken as Owner"
    )


def test_an_invalid_token_is_revoked(fake_server: StartServer) -> None:
    secret = token("{{netlify}}")
    routes = {"/api/v1/user": Answer(401, {"code": 401, "message": "Access Denied: Invalid token"})}
    probed = probe(fake_server, "netlify", "personal-access-token", secret, routes, described_by="netlify")
    assert probed.fake.violations == []
    assert probed.scope.access is Access.NONE
    assert probed.scope.evidence == (
        "live check: GET /api/v1/user: HTTP 401 — the credential is rejected (revoked, expired or invalid)",
    )
