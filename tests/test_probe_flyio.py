"""Fly.io's probe against a fake that validates and executes each document against Fly.io's real GraphQL schema
(tests/descriptions.py): a session token is judged by the organizations it reaches (every
member may destroy an organization's apps), a macaroon stays unknown (its caveats decide), and only
"You must be authenticated" (or HTTP 401) is revoked."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest
from descriptions import FLYIO_SCHEMA, require
from servers.flyio import FlyFake
from servers.http import FakeServer, Responder

from credscope.catalogue import Catalogue, builtin_provider_dir, load_provider
from credscope.model import Access, Credential, Location, Reach, Scope, Severity, fingerprint_of
from credscope.probes.flyio import QUERY
from credscope.probes.guard import check_graphql_document, parse_reads
from credscope.probes.registry import ProbeRegistry
from credscope.probes.runner import verify
from credscope.probes.settings import ProbeSettings
from credscope.scope.infer import assess
from credscope.scope.registry import builtin_inferences

from helpers import token

require("flyio", FLYIO_SCHEMA, module=True)  # its fakes answer from the description

pytest.importorskip("httpx")
pytest.importorskip("graphql")
StartServer = Callable[[Responder], FakeServer]


def _organization(slug: str, role: str, *apps: str) -> dict[str, Any]:
    nodes = [{"name": name} for name in apps]
    return {
        "slug": slug,
        "name": slug.title(),
        "type": "SHARED",
        "viewerRole": role,
        "apps": {"totalCount": len(nodes), "nodes": nodes},
    }


def _root(typename: str, *organizations: dict[str, Any]) -> dict[str, Any]:
    viewer = {"__typename": typename, "email": "lee@example.invalid", "avatarUrl": "", "trust": "UNKNOWN"}
    return {"viewer": viewer, "organizations": {"totalCount": len(organizations), "nodes": list(organizations)}}


def _verify(
    fake_server: StartServer, kind: str, secret: str, root: Mapping[str, Any], **fake: Any
) -> tuple[Credential, FlyFake]:
    authorization = f"Bearer {secret}" if kind == "oauth-token" else secret
    responder = FlyFake(authorization, root, **fake)
    server = fake_server(responder)
    catalogue = Catalogue({"flyio": load_provider(builtin_provider_dir() / "flyio.yaml")})
    location = Location(path="fly.env", line=1, column=1, reach=Reach.TRACKED, context={"name": "FLY_API_TOKEN"})
    found = Credential(fingerprint_of(secret), "flyio", kind, "rule", secret, (location,))
    credential = assess(found, catalogue, builtin_inferences())
    settings = ProbeSettings(timeout=5, endpoints={"flyio": server.url})
    [checked], _ = verify([credential], catalogue, settings, ProbeRegistry())
    return checked, responder


def test_the_document_is_a_query_the_guard_lets_out_and_the_schema_validates() -> None:
    from graphql import build_schema, parse, validate
    from servers.flyio import SCHEMA

    [read] = parse_reads("flyio.yaml", load_provider(builtin_provider_dir() / "flyio.yaml").reads)
    check_graphql_document("flyio", QUERY, read.forbidden)  # type: ignore[union-attr]
    assert validate(build_schema(SCHEMA.read_text()), parse(QUERY)) == []
    # The fields that hand out tokens and secrets are refused whatever a future document asks.
    assert {"accessTokens", "token", "secrets", "limitedAccessTokens"} <= read.forbidden  # type: ignore[union-attr]


def test_a_session_token_of_an_organization_admin_may_destroy_its_apps(fake_server: StartServer) -> None:
    secret = token("{{fly:fo1}}")
    root = _root("User", _organization("rentals", "ADMIN", "api", "worker"), _organization("docs", "MEMBER", "site"))
    checked, fake = _verify(fake_server, "oauth-token", secret, root)
    assert fake.violations == []
    scope: Scope = checked.scope
    assert (scope.access, scope.destructive) == (Access.ADMIN, True)
    assert scope.destructive_actions == (
        "flyio:apps.delete (api, worker) in rentals",
        "flyio:apps.delete (site) in docs",
    )
    assert scope.evidence == (
        "viewer: User lee@example.invalid",
        "reaches rentals (ADMIN, 2 apps: api, worker); docs (MEMBER, 1 apps: site)",
    )
    assert checked.severity is Severity.CRITICAL


def test_a_member_may_still_destroy_the_organizations_apps(fake_server: StartServer) -> None:
    secret = token("{{fly:fo1}}")
    checked, fake = _verify(fake_server, "oauth-token", secret, _root("User", _organization("docs", "MEMBER", "site")))
    assert fake.violations == []
    assert (checked.scope.access, checked.scope.destructive) == (Access.WRITE, True)
    assert checked.scope.destructive_actions == ("flyio:apps.delete (site) in docs",)


def test_a_macaroon_is_unknown_its_caveats_decide(fake_server: StartServer) -> None:
    secret = token("{{fly}}")
    checked, fake = _verify(
        fake_server, "macaroon-token", secret, _root("Macaroon", _organization("rentals", "ADMIN", "api"))
    )
    assert fake.violations == []
    scope = checked.scope
    assert (scope.access, scope.destructive) == (Access.UNKNOWN, None)
    assert scope.evidence[-1] == (
        "a macaroon's caveats (org, deploy or read-only token) are inside the token and not decoded here; Fly.io"
        " answers reads alike for all of them: what it may destroy is unknown"
    )
    assert scope.potential_actions == ("flyio:apps.delete", "flyio:volumes.delete")
    assert checked.severity is Severity.HIGH


def test_organizations_refused_to_a_session_token_keep_its_worst_case(fake_server: StartServer) -> None:
    secret = token("{{fly:fo1}}")
    root = _root("User")
    checked, fake = _verify(fake_server, "oauth-token", secret, root, refused={"organizations": "Not authorized"})
    assert fake.violations == []
    assert (checked.scope.access, checked.scope.destructive) == (Access.ADMIN, True)
    assert checked.scope.evidence[-1] == "partly refused: Not authorized"


def test_not_authenticated_is_revoked(fake_server: StartServer) -> None:
    secret = token("{{fly:fo1}}")
    refused = {"viewer": "You must be authenticated to view this."}
    checked, fake = _verify(fake_server, "oauth-token", secret, _root("User"), refused=refused)
    assert fake.violations == []
    assert checked.scope.access is Access.NONE
    assert checked.scope.evidence == (
        "live check: CredscopeFlyViewer: You must be authenticated to view this. — the token is rejected (revoked,"
        " expired or invalid)",
    )
