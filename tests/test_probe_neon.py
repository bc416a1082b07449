"""Neon's probe against a fake answering from Neon's own OpenAPI description (tests/descriptions.py):
an organization key is admin on its organization's projects; a personal key acts as its user, whose role in each
organization decides (only admins delete projects); a key of another kind keeps its worst case."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from descriptions import openapi_files, require
from servers.documented import StartServer, documented, item, probe
from servers.http import Received
from servers.openapi import Answer

from credscope.model import Access, Severity

from helpers import token

require("neon", *openapi_files("neon"), module=True)  # its fakes answer from the description

pytest.importorskip("httpx")
pytest.importorskip("openapi_schema_validator")

USER_ID = "b107d689-6dd2-4c9a-8b9e-0b25e457cf56"
_ERROR = {"code": "", "message": "authentication required"}


def _project(name: str, org_id: str | None) -> dict[str, Any]:
    extra = {"org_id": org_id} if org_id else {}
    return item("neon", "/projects", "projects", id=f"{name}-123456", name=name, **extra)


def _projects(by_org: dict[str, list[str]], own: list[str]) -> Callable[[Received], Answer]:
    """GET /projects answers by its org_id parameter."""

    def answer(received: Received) -> Answer:
        org = received.path.partition("org_id=")[2].partition("&")[0]
        names = by_org.get(org, []) if org else own
        rows = [_project(n, org or None) for n in names]
        return Answer(200, documented("neon", "/projects", 200, projects=rows))

    return answer


def _auth(method: str, account: str) -> Answer:
    return Answer(200, {"account_id": account, "auth_method": method})


def _member(role: str, user_id: str = USER_ID) -> dict[str, Any]:
    member = {"id": "d57833f2-d308-4ede-9d2e-468d9d013d1b", "user_id": user_id, "org_id": "org-rentals", "role": role}
    return {"member": member, "user": {"email": "lee@example.invalid"}}


def _routes(role: str, own: list[str]) -> dict[str, Any]:
    user = documented("neon", "/users/me", 200, id=USER_ID, email="lee@example.invalid")
    organization = documented("neon", "/users/me/organizations", 200)
    org = {**item("neon", "/users/me/organizations", "organizations"), "id": "org-rentals", "name": "Rentals"}
    organization["organizations"] = [org]
    return {
        "/api/v2/auth": _auth("api_key_user", USER_ID),
        "/api/v2/users/me": Answer(200, user),
        "/api/v2/users/me/organizations": Answer(200, organization),
        "/api/v2/organizations/org-rentals/members": Answer(200, {"members": [_member("admin", "x"), _member(role)]}),
        "/api/v2/projects": _projects({"org-rentals": ["billing", "orders"]}, own),
    }


def test_a_personal_key_of_an_organization_admin_may_delete_its_projects(fake_server: StartServer) -> None:
    secret = token("{{neon}}")
    probed = probe(fake_server, "neon", "api-key", secret, _routes("admin", ["scratch"]), described_by="neon")
    assert probed.fake.violations == []
    scope = probed.scope
    assert (scope.access, scope.destructive) == (Access.ADMIN, True)
    assert scope.destructive_actions == (
        "neon:projects.delete (scratch) in the user's own account",
        "neon:projects.delete (billing, orders) in organization Rentals",
    )
    assert scope.evidence == (
        f"GET /auth: api_key_user, account {USER_ID}",
        "a personal key of lee@example.invalid: it acts as its user",
        "organization Rentals: admin; projects billing, orders",
    )
    assert scope.identity == {"email": "lee@example.invalid"}
    assert probed.credential.severity is Severity.CRITICAL


def test_a_personal_key_of_a_member_deletes_branches_not_projects(fake_server: StartServer) -> None:
    secret = token("{{neon}}")
    probed = probe(fake_server, "neon", "api-key", secret, _routes("member", []), described_by="neon")
    assert probed.fake.violations == []
    scope = probed.scope
    assert (scope.access, scope.destructive) == (Access.WRITE, True)
    assert scope.destructive_actions == ("neon:branches.delete (billing, orders) in organization Rentals",)
    assert probed.credential.severity is Severity.HIGH


def test_an_organization_key_is_admin_on_every_project(fake_server: StartServer) -> None:
    secret = token("{{neon}}")
    routes = {
        "/api/v2/auth": _auth("api_key_org", "org-rentals"),
        "/api/v2/projects": _projects({"org-rentals": ["billing", "orders"]}, []),
    }
    probed = probe(fake_server, "neon", "api-key", secret, routes, described_by="neon")
    assert probed.fake.violations == []
    scope = probed.scope
    assert (scope.access, scope.destructive) == (Access.ADMIN, True)
    assert scope.destructive_actions == ("neon:projects.delete (billing, orders) in organization org-rentals",)
    assert scope.evidence[1] == "an organization key: admin on every project of org-rentals: billing, orders"


def test_a_key_of_an_unnamed_kind_keeps_its_worst_case(fake_server: StartServer) -> None:
    secret = token("{{neon}}")
    routes = {
        "/api/v2/auth": Answer(404, {"code": "", "message": "not found"}),
        "/api/v2/projects": _projects({}, ["checkout"]),
    }
    probed = probe(fake_server, "neon", "api-key", secret, routes, described_by="neon")
    assert probed.fake.violations == []
    scope = probed.scope
    assert (scope.access, scope.destructive) == (Access.ADMIN, True)
    assert scope.destructive_actions == ("neon:projects.delete (checkout)",)
    assert scope.evidence == (
        "GET /auth: HTTP 404",
        "reaches projects: checkout; whether it may delete them is not readable: its worst case",
    )


def test_an_unauthorized_key_is_revoked(fake_server: StartServer) -> None:
    secret = token("{{neon}}")
    probed = probe(fake_server, "neon", "api-key", secret, {"/api/v2/auth": Answer(401, _ERROR)}, described_by="neon")
    assert probed.fake.violations == []
    assert probed.scope.access is Access.NONE
    assert probed.scope.evidence == (
        "live check: GET /api/v2/auth: HTTP 401 — the credential is rejected (revoked, expired or invalid)",
    )
