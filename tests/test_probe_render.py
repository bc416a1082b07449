"""Render's probe against a fake shaped from Render's API reference. Render publishes its OpenAPI description only
on its documentation site; the shapes here are those of the types generated from it in render-oss/sdk
(typescript/src/generated/schema.ts at 28824b64, 2026-08-21): `user` {email, name}, `ownerWithCursor`
{owner {id, name, email, type}, cursor}, `teamMember` {userId, name, email, status, role, mfaEnabled},
`serviceWithCursor` {service {id, name, ownerId, …}, cursor}, `postgresWithCursor` {postgres {id, name, owner, …},
cursor}, and the error body {id, message}."""

from __future__ import annotations

from typing import Any

import pytest
from servers.documented import StartServer, probe
from servers.openapi import Answer

from credscope.model import Access, Severity

from helpers import token

pytest.importorskip("httpx")

_USER = Answer(200, {"email": "lee@example.invalid", "name": "Lee"})


def _owner(owner_id: str, name: str, kind: str) -> dict[str, Any]:
    return {"owner": {"id": owner_id, "name": name, "email": "lee@example.invalid", "type": kind}, "cursor": "c1"}


def _member(email: str, role: str) -> dict[str, Any]:
    return {"userId": "usr-1", "name": "x", "email": email, "status": "active", "role": role, "mfaEnabled": True}


def _service(name: str, owner_id: str) -> dict[str, Any]:
    return {"service": {"id": f"srv-{name}", "name": name, "ownerId": owner_id, "type": "web_service"}, "cursor": "c"}


def _postgres(name: str, owner_id: str) -> dict[str, Any]:
    owner = {"id": owner_id, "name": "x", "email": "x@example.invalid", "type": "team"}
    return {"postgres": {"id": f"dpg-{name}", "name": name, "owner": owner}, "cursor": "c"}


def _routes(roles: dict[str, str]) -> dict[str, Answer]:
    routes = {
        "/v1/users": _USER,
        "/v1/owners": Answer(200, [_owner("tea-prod", "Production", "team"), _owner("tea-docs", "Docs", "team")]),
        "/v1/services": Answer(200, [_service("api", "tea-prod"), _service("handbook", "tea-docs")]),
        "/v1/postgres": Answer(200, [_postgres("main-db", "tea-prod")]),
    }
    for owner_id, role in roles.items():
        members = [_member("ana@example.invalid", "ADMIN"), _member("lee@example.invalid", role)]
        routes[f"/v1/owners/{owner_id}/members"] = Answer(200, members)
    return routes


def test_an_admin_key_may_delete_every_service_and_database_of_the_workspace(fake_server: StartServer) -> None:
    secret = token("{{render}}")
    routes = _routes({"tea-prod": "ADMIN", "tea-docs": "WORKSPACE_VIEWER"})
    probed = probe(fake_server, "render", "api-key", secret, routes, described_by=None)
    assert probed.fake.violations == []
    scope = probed.scope
    assert (scope.access, scope.destructive) == (Access.ADMIN, True)
    assert scope.destructive_actions == (
        "render:postgres.delete (main-db) in workspace Production",
        "render:services.delete (api) in workspace Production",
    )
    assert scope.evidence == (
        "GET /v1/users: lee@example.invalid; an API key acts as its user in every workspace, with no scopes",
        "workspaces: Production (ADMIN), Docs (WORKSPACE_VIEWER)",
    )
    assert probed.credential.severity is Severity.CRITICAL


def test_a_developer_may_delete_outside_protected_environments(fake_server: StartServer) -> None:
    secret = token("{{render}}")
    probed = probe(
        fake_server, "render", "api-key", secret, _routes({"tea-prod": "DEVELOPER", "tea-docs": "WORKSPACE_VIEWER"}),
        described_by=None,
    )  # fmt: skip
    assert probed.fake.violations == []
    scope = probed.scope
    assert (scope.access, scope.destructive) == (Access.WRITE, True)
    assert scope.destructive_actions == (
        "render:postgres.delete (main-db) in workspace Production, outside protected environments",
        "render:services.delete (api) in workspace Production, outside protected environments",
    )
    assert probed.credential.severity is Severity.HIGH


def test_a_viewer_everywhere_only_reads(fake_server: StartServer) -> None:
    secret = token("{{render}}")
    routes = _routes({"tea-prod": "WORKSPACE_VIEWER", "tea-docs": "WORKSPACE_BILLING"})
    probed = probe(fake_server, "render", "api-key", secret, routes, described_by=None)
    assert probed.fake.violations == []
    scope = probed.scope
    assert (scope.access, scope.destructive, scope.destructive_actions) == (Access.READ, False, ())
    assert scope.evidence[1] == "workspaces: Production (WORKSPACE_VIEWER), Docs (WORKSPACE_BILLING)"


def test_a_role_that_cannot_be_read_is_taken_as_admin(fake_server: StartServer) -> None:
    secret = token("{{render}}")
    routes = _routes({"tea-docs": "WORKSPACE_VIEWER"})
    routes["/v1/owners/tea-prod/members"] = Answer(403, {"id": "forbidden", "message": "forbidden"})
    probed = probe(fake_server, "render", "api-key", secret, routes, described_by=None)
    assert probed.fake.violations == []
    scope = probed.scope
    assert (scope.access, scope.destructive) == (Access.ADMIN, True)
    assert scope.evidence[1] == (
        "workspaces: Production (ADMIN, taken as such: its role is not readable), Docs (WORKSPACE_VIEWER)"
    )


def test_an_unauthorized_key_is_revoked(fake_server: StartServer) -> None:
    secret = token("{{render}}")
    routes = {"/v1/users": Answer(401, {"id": "unauthorized", "message": "unauthorized"})}
    probed = probe(fake_server, "render", "api-key", secret, routes, described_by=None)
    assert probed.fake.violations == []
    assert probed.scope.access is Access.NONE
    assert probed.scope.evidence == (
        "live check: GET /v1/users: HTTP 401 — the credential is rejected (revoked, expired or invalid)",
    )
