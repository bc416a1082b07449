"""Datadog's probe against a fake answering from Datadog's own OpenAPI descriptions (v1 /api/v1/validate; v2 the
current user's application keys and a user's permissions, see tests/descriptions.py). An application
key is found by its last four characters; no scopes means its user's permissions; a 403 is never revoked (a key of
another Datadog site gets the same answer)."""

from __future__ import annotations

from typing import Any

import pytest
from servers.documented import Authorized, StartServer, documented, item, probe
from servers.http import Received
from servers.openapi import Answer

from credscope.model import Access, Severity

from helpers import token

pytest.importorskip("httpx")
pytest.importorskip("openapi_schema_validator")

USER = "00000000-0000-0000-0000-000000000001"
_KEYS = "/api/v2/current_user/application_keys"
_FORBIDDEN = Answer(403, {"errors": ["Forbidden"]})


def _both(api_key: str, app_key: str) -> Authorized:
    def authorized(received: Received) -> bool:
        return received.headers.get("dd-api-key") == api_key and received.headers.get("dd-application-key") == app_key

    return authorized


def _key(name: str, last4: str, scopes: list[str] | None) -> dict[str, Any]:
    attributes = {"name": name, "last4": last4, "scopes": scopes, "created_at": "2026-01-05T10:00:00.000Z"}
    owned_by = {"data": {"id": USER, "type": "users"}}
    return item("datadog", _KEYS, "data", id=f"key-{last4}", type="application_keys", attributes=attributes,
                relationships={"owned_by": owned_by})  # fmt: skip


def _listing(*keys: dict[str, Any]) -> Answer:
    return Answer(200, documented("datadog", _KEYS, 200, data=list(keys)))


def _permissions(*names: str) -> Answer:
    rows = [{"id": f"p{i}", "type": "permissions", "attributes": {"name": name}} for i, name in enumerate(names)]
    return Answer(200, {"data": rows})


def test_an_unscoped_application_key_has_its_users_permissions(fake_server: StartServer) -> None:
    api_key, app_key = token("{{datadog}}"), token("{{datadog:app}}")
    routes = {
        _KEYS: _listing(_key("other", "zzzz", ["dashboards_read"]), _key("terraform", app_key[-4:], None)),
        f"/api/v2/users/{USER}/permissions": _permissions("dashboards_read", "dashboards_write", "logs_delete_data"),
    }
    probed = probe(
        fake_server, "datadog", "application-key", app_key, routes, described_by="datadog",
        authorized=_both(api_key, app_key), parts={"api_key": api_key},
    )  # fmt: skip
    assert probed.fake.violations == []
    scope = probed.scope
    assert (scope.access, scope.destructive) == (Access.ADMIN, True)
    assert scope.destructive_actions == ("datadog:dashboards.delete", "datadog:logs_delete_data")
    assert scope.evidence == (
        "application key 'terraform': no scopes — every permission of its user",
        "its user's permissions: dashboards_read, dashboards_write, logs_delete_data",
    )
    assert probed.credential.severity is Severity.CRITICAL


def test_a_scoped_application_key_is_judged_by_its_scopes(fake_server: StartServer) -> None:
    api_key, app_key = token("{{datadog}}"), token("{{datadog:app}}")
    routes = {_KEYS: _listing(_key("dashboards", app_key[-4:], ["dashboards_read"]))}
    probed = probe(
        fake_server, "datadog", "application-key", app_key, routes, described_by="datadog",
        authorized=_both(api_key, app_key), parts={"api_key": api_key},
    )  # fmt: skip
    assert probed.fake.violations == []
    assert (probed.scope.access, probed.scope.destructive) == (Access.READ, False)
    assert probed.scope.evidence == ("application key 'dashboards': scoped to dashboards_read",)


def test_a_refused_application_key_is_unknown_never_revoked(fake_server: StartServer) -> None:
    api_key, app_key = token("{{datadog}}"), token("{{datadog:app}}")
    probed = probe(
        fake_server, "datadog", "application-key", app_key, {_KEYS: _FORBIDDEN}, described_by="datadog",
        authorized=_both(api_key, app_key), parts={"api_key": api_key},
    )  # fmt: skip
    assert probed.fake.violations == []
    scope = probed.scope
    assert (scope.access, scope.destructive) == (Access.UNKNOWN, None)
    assert scope.evidence == (
        f"GET {_KEYS}: HTTP 403 (Forbidden) — refused at this site; a key of another Datadog site (EU, US3, US5,"
        " AP1, AP2, US1-FED) is refused here alike: whether it is live is unknown",
    )
    assert probed.credential.severity is Severity.HIGH


def test_a_valid_api_key_only_submits_data(fake_server: StartServer) -> None:
    api_key = token("{{datadog}}")
    probed = probe(
        fake_server, "datadog", "api-key", api_key, {"/api/v1/validate": Answer(200, {"valid": True})},
        described_by="datadog", authorized=lambda r: r.headers.get("dd-api-key") == api_key,
    )  # fmt: skip
    assert probed.fake.violations == []
    assert (probed.scope.access, probed.scope.destructive) == (Access.WRITE, False)


def test_a_refused_api_key_is_unknown_never_revoked(fake_server: StartServer) -> None:
    api_key = token("{{datadog}}")
    probed = probe(
        fake_server, "datadog", "api-key", api_key, {"/api/v1/validate": _FORBIDDEN},
        described_by="datadog", authorized=lambda r: r.headers.get("dd-api-key") == api_key,
    )  # fmt: skip
    assert probed.fake.violations == []
    assert probed.scope.access is Access.UNKNOWN
    assert probed.scope.evidence[0].startswith("GET /api/v1/validate: HTTP 403 (Forbidden) at this site; a key of")


def test_an_application_key_without_its_api_key_is_not_sent(fake_server: StartServer) -> None:
    app_key = token("{{datadog:app}}")
    probed = probe(fake_server, "datadog", "application-key", app_key, {}, described_by="datadog")
    assert probed.requests == []
    assert probed.scope.evidence[-1] == (
        "not checked live: an application key is used only with an API key, which was not found beside it"
    )
