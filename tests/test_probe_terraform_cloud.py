"""HCP Terraform's probe against a fake shaped from its API documentation (developer.hashicorp.com: Account API,
Organizations API, Workspaces API — JSON:API documents whose `attributes.permissions` are the caller's own; errors
are {"errors": [{"status", "title"}]}). HashiCorp publishes no OpenAPI description of this API."""

from __future__ import annotations

from typing import Any

import pytest
from servers.documented import StartServer, probe
from servers.openapi import Answer

from credscope.model import Access, Severity

from helpers import token

pytest.importorskip("httpx")


def _details(kind: str) -> Answer:
    return Answer(
        200,
        {
            "data": {
                "id": "user-V3R563qtJNcExAkN",
                "type": "users",
                "attributes": {"username": "api-team_1234", "is-service-account": True, "email": "x@example.invalid"},
                "relationships": {"authenticated-resource": {"data": {"id": "team-6p5jTwJQXwqZBncC", "type": kind}}},
            }
        },
    )


def _organization(name: str, **permissions: bool) -> dict[str, Any]:
    return {"id": name, "type": "organizations", "attributes": {"name": name, "permissions": _dashed(permissions)}}


def _workspace(name: str, **permissions: bool) -> dict[str, Any]:
    return {"id": f"ws-{name}", "type": "workspaces", "attributes": {"name": name, "permissions": _dashed(permissions)}}


def _dashed(permissions: dict[str, bool]) -> dict[str, bool]:
    return {name.replace("_", "-"): value for name, value in permissions.items()}


def test_a_team_token_that_may_queue_destroy_runs_is_destructive(fake_server: StartServer) -> None:
    secret = token("{{terraform}}")
    workspaces = [
        _workspace("prod-network", can_queue_destroy=True, can_queue_apply=True, can_read_settings=True),
        _workspace("prod-db", can_queue_destroy=True, can_queue_apply=True, can_read_settings=True),
        _workspace("docs", can_read_settings=True),
    ]
    routes = {
        "/api/v2/account/details": _details("teams"),
        "/api/v2/organizations": Answer(200, {"data": [_organization("rentals", can_update=False, can_destroy=False)]}),
        "/api/v2/organizations/rentals/workspaces": Answer(200, {"data": workspaces}),
    }
    probed = probe(fake_server, "terraform-cloud", "api-token", secret, routes, described_by=None)
    assert probed.fake.violations == []
    scope = probed.scope
    assert (scope.access, scope.destructive) == (Access.ADMIN, True)
    assert scope.destructive_actions == (
        "terraform-cloud:can-queue-destroy — queue destroy runs (the infrastructure) — in rentals: prod-db,"
        " prod-network",
    )
    assert scope.evidence == (
        "GET /account/details: api-team_1234, a team token",
        "rentals: 3 workspaces; can-queue-destroy on 2, can-queue-apply on 2, can-read-settings on 3",
    )
    assert probed.credential.severity is Severity.CRITICAL


def test_a_token_that_only_reads_settings_is_read_only(fake_server: StartServer) -> None:
    secret = token("{{terraform}}")
    routes = {
        "/api/v2/account/details": _details("users"),
        "/api/v2/organizations": Answer(200, {"data": [_organization("rentals")]}),
        "/api/v2/organizations/rentals/workspaces": Answer(200, {"data": [_workspace("docs", can_read_settings=True)]}),
    }
    probed = probe(fake_server, "terraform-cloud", "api-token", secret, routes, described_by=None)
    assert probed.fake.violations == []
    scope = probed.scope
    assert (scope.access, scope.destructive, scope.destructive_actions) == (Access.READ, False, ())
    assert scope.evidence == (
        "GET /account/details: api-team_1234, a user token",
        "rentals: 1 workspaces; can-read-settings on 1",
    )


def test_an_organization_owner_may_delete_the_organization(fake_server: StartServer) -> None:
    secret = token("{{terraform}}")
    routes = {
        "/api/v2/account/details": _details("organizations"),
        "/api/v2/organizations": Answer(200, {"data": [_organization("rentals", can_update=True, can_destroy=True)]}),
        "/api/v2/organizations/rentals/workspaces": Answer(200, {"data": []}),
    }
    probed = probe(fake_server, "terraform-cloud", "api-token", secret, routes, described_by=None)
    assert probed.fake.violations == []
    scope = probed.scope
    assert (scope.access, scope.destructive) == (Access.ADMIN, True)
    assert scope.destructive_actions == ("terraform-cloud:delete organization rentals",)


def test_workspaces_that_cannot_be_listed_keep_their_worst_case(fake_server: StartServer) -> None:
    secret = token("{{terraform}}")
    not_found = {"errors": [{"status": "404", "title": "not found"}]}
    routes = {
        "/api/v2/account/details": _details("teams"),
        "/api/v2/organizations": Answer(200, {"data": [_organization("rentals")]}),
        "/api/v2/organizations/rentals/workspaces": Answer(404, not_found),
    }
    probed = probe(fake_server, "terraform-cloud", "api-token", secret, routes, described_by=None)
    assert probed.fake.violations == []
    scope = probed.scope
    assert (scope.access, scope.destructive) == (Access.ADMIN, True)
    assert scope.evidence[-1] == (
        "rentals: workspaces not listed (HTTP 404): queueing destroy runs is taken as allowed"
    )


def test_an_unauthorized_token_is_revoked(fake_server: StartServer) -> None:
    secret = token("{{terraform}}")
    routes = {"/api/v2/account/details": Answer(401, {"errors": [{"status": "401", "title": "unauthorized"}]})}
    probed = probe(fake_server, "terraform-cloud", "api-token", secret, routes, described_by=None)
    assert probed.fake.violations == []
    assert probed.scope.access is Access.NONE
    assert probed.scope.evidence == (
        "live check: GET /api/v2/account/details: HTTP 401 — the credential is rejected (revoked, expired or invalid)",
    )
