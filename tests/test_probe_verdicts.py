"""Verdicts that hold against the providers' real answers (issue 16): fakes that answer from each provider's own
API description (tests/data/openapi), error shapes included, and one exact verdict per case. The direction that
matters: a live credential is never called revoked, nor more harmless than the answers show."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest
from servers.http import FakeServer, Responder
from servers.openapi import Answer, SchemaFake

from credscope.catalogue import Catalogue, builtin_provider_dir, load_provider
from credscope.model import Access, Credential, Location, Reach, Scope, ScopeSource, fingerprint_of
from credscope.probes.registry import ProbeRegistry
from credscope.probes.runner import verify
from credscope.probes.settings import ProbeSettings

from helpers import token

pytest.importorskip("httpx")
pytest.importorskip("openapi_schema_validator")
StartServer = Callable[[Responder], FakeServer]

ACCOUNT = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
TOKEN_ID = "ed17574386854bf78a67040be0a770b0"
_CF_INVALID = {
    "success": False,
    "errors": [{"code": 1000, "message": "Invalid API Token"}],
    "messages": [],
    "result": None,
}
_CF_UNAUTHORIZED = {
    "success": False,
    "errors": [{"code": 9109, "message": "Unauthorized to access requested resource"}],
    "messages": [],
    "result": None,
}
# Cloudflare describes every 4XX as allOf(a success: true answer, the failure shape): no body meets both halves.
_CF_FAILURE = {
    "described_by": "#/components/schemas/iam_api-response-common-failure",
    "why_undescribed": "the 4XX schema is allOf(success: true …, success: false …), which no body satisfies",
}


def _cf(result: Any) -> dict[str, Any]:
    return {"success": True, "errors": [], "messages": [], "result": result}


def _verified(
    fake_server: StartServer,
    provider: str,
    kind: str,
    secret: str,
    routes: Mapping[str, Answer],
    *,
    auth: tuple[str, str] | None = None,
    parts: Mapping[str, str] | None = None,
    description: str | None = None,
) -> tuple[Scope, SchemaFake]:
    header, value = auth or ("authorization", f"Bearer {secret}")
    fake = SchemaFake(description or provider, routes, (header, value))
    server = fake_server(fake)
    catalogue = Catalogue({provider: load_provider(builtin_provider_dir() / f"{provider}.yaml")})
    location = Location(path=".env", line=2, column=1, reach=Reach.TRACKED, context={"name": "TOKEN"})
    credential = Credential(fingerprint_of(secret), provider, kind, "rule", secret, (location,), parts=parts or {})
    settings = ProbeSettings(timeout=5, endpoints={provider: server.url})
    [checked], _ = verify([credential], catalogue, settings, ProbeRegistry())
    return checked.scope, fake


# -- 1. Cloudflare account-owned tokens --------------------------------------------------------------------------

_POLICIES = _cf(
    {
        "id": TOKEN_ID,
        "name": "ci deploy",
        "status": "active",
        "policies": [
            {
                "id": "f267e341f3dd4697bd3b9f71dd96247f",
                "effect": "allow",
                "permission_groups": [{"id": "c8fed203ed3043cba015a93ad1616f1f", "name": "DNS Write"}],
                "resources": {f"com.cloudflare.api.account.{ACCOUNT}": "*"},
            }
        ],
    }
)


def test_account_token_verifies_at_the_account_named_beside_it(fake_server: StartServer) -> None:
    secret = token("{{cloudflare:cfat}}")
    routes = {
        "/client/v4/user/tokens/verify": Answer(401, _CF_INVALID, **_CF_FAILURE),
        f"/client/v4/accounts/{ACCOUNT}/tokens/verify": Answer(200, _cf({"id": TOKEN_ID, "status": "active"})),
        f"/client/v4/accounts/{ACCOUNT}/tokens/{TOKEN_ID}": Answer(200, _POLICIES),
    }
    scope, fake = _verified(
        fake_server, "cloudflare", "account-api-token", secret, routes, parts={"account_id": ACCOUNT}
    )
    assert fake.violations == []
    assert scope.access is Access.WRITE
    assert scope.destructive is True
    assert scope.destructive_actions == ("cloudflare:DNS Write",)
    assert scope.evidence == (
        f"an account-owned token of account {ACCOUNT} (named beside it), active",
        "the token is active; permission groups: DNS Write",
    )
    assert scope.identity == {"token_id": TOKEN_ID, "account_id": ACCOUNT}


def test_account_token_finds_its_account_by_listing_accounts(fake_server: StartServer) -> None:
    secret = token("{{cloudflare:cfat}}")
    listing = {**_cf([{"id": ACCOUNT, "name": "Rentals"}]), "result_info": {"page": 1, "per_page": 50, "count": 1}}
    routes = {
        "/client/v4/accounts": Answer(200, listing),
        f"/client/v4/accounts/{ACCOUNT}/tokens/verify": Answer(200, _cf({"id": TOKEN_ID, "status": "active"})),
        f"/client/v4/accounts/{ACCOUNT}/tokens/{TOKEN_ID}": Answer(200, _POLICIES),
    }
    scope, fake = _verified(fake_server, "cloudflare", "account-api-token", secret, routes)
    assert fake.violations == []
    assert (scope.access, scope.destructive) == (Access.WRITE, True)
    assert scope.evidence[:2] == (
        "GET /accounts lists: Rentals",
        f"an account-owned token of account {ACCOUNT} (listed by GET /accounts), active",
    )


def test_account_token_without_an_account_is_unknown_never_revoked(fake_server: StartServer) -> None:
    secret = token("{{cloudflare:cfat}}")
    routes = {
        "/client/v4/user/tokens/verify": Answer(401, _CF_INVALID, **_CF_FAILURE),
        "/client/v4/accounts": Answer(403, _CF_UNAUTHORIZED, **_CF_FAILURE),
    }
    scope, fake = _verified(fake_server, "cloudflare", "account-api-token", secret, routes)
    assert fake.violations == []
    assert scope.access is Access.UNKNOWN
    assert scope.destructive is None
    assert scope.scope_source is ScopeSource.QUERIED
    assert scope.evidence == (
        "GET /accounts: HTTP 403, 9109 Unauthorized to access requested resource",
        "an account-owned token verifies only at its account (/accounts/{account_id}/tokens/verify), and no account"
        " id was found beside it nor listed by GET /accounts: whether it is live, and what it may do, is unknown",
    )


def test_unprefixed_token_rejected_by_the_user_endpoint_is_tried_at_its_account(fake_server: StartServer) -> None:
    secret = token("{{cloudflare:legacy-token}}")
    routes = {
        "/client/v4/user/tokens/verify": Answer(401, _CF_INVALID, **_CF_FAILURE),
        f"/client/v4/accounts/{ACCOUNT}/tokens/verify": Answer(200, _cf({"id": TOKEN_ID, "status": "active"})),
        f"/client/v4/accounts/{ACCOUNT}/tokens/{TOKEN_ID}": Answer(200, _POLICIES),
    }
    scope, fake = _verified(fake_server, "cloudflare", "api-token", secret, routes, parts={"account_id": ACCOUNT})
    assert fake.violations == []
    assert (scope.access, scope.destructive) == (Access.WRITE, True)
    assert scope.evidence[0] == "user/tokens/verify: HTTP 401, 1000 Invalid API Token: not a live user token"


def test_account_token_its_account_rejects_is_revoked(fake_server: StartServer) -> None:
    secret = token("{{cloudflare:cfat}}")
    routes = {f"/client/v4/accounts/{ACCOUNT}/tokens/verify": Answer(401, _CF_INVALID, **_CF_FAILURE)}
    scope, fake = _verified(
        fake_server, "cloudflare", "account-api-token", secret, routes, parts={"account_id": ACCOUNT}
    )
    assert fake.violations == []
    assert scope.access is Access.NONE
    assert scope.evidence == (
        f"live check: accounts/{ACCOUNT}/tokens/verify: HTTP 401, 1000 Invalid API Token; the account the token is"
        " kept with rejects it: revoked or expired",
    )


def test_user_token_rejected_by_the_user_endpoint_is_revoked(fake_server: StartServer) -> None:
    secret = token("{{cloudflare:cfut}}")
    routes = {"/client/v4/user/tokens/verify": Answer(401, _CF_INVALID, **_CF_FAILURE)}
    scope, fake = _verified(fake_server, "cloudflare", "user-api-token", secret, routes)
    assert fake.violations == []
    assert scope.access is Access.NONE
    assert scope.evidence == (
        "live check: user/tokens/verify: HTTP 401, 1000 Invalid API Token — the user token is rejected",
    )


# -- 2. A valid key that lacks one permission is not a revoked key -----------------------------------------------

_OPENAI_MISSING = {
    "error": {
        "message": "You have insufficient permissions for this operation. Missing scopes: api.model.read. Check that"
        " you have the correct role in your organization (Reader, Writer, Owner) and project (Member, Owner), and if"
        " you're using a restricted API key, that it has the necessary scopes.",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }
}
_OPENAI_INVALID = {
    "error": {
        "message": "Incorrect API key provided: sk-proj-****abcd. You can find your API key at"
        " https://platform.openai.com/account/api-keys.",
        "type": "invalid_request_error",
        "param": None,
        "code": "invalid_api_key",
    }
}
# OpenAI describes its error body once (ErrorResponse) without tying it to a status.
_OPENAI_ERROR = {
    "described_by": "#/components/schemas/ErrorResponse",
    "why_undescribed": "OpenAI's operations list only their 200 answer; errors are ErrorResponse",
}


def test_openai_restricted_key_without_models_read_is_valid_not_revoked(fake_server: StartServer) -> None:
    secret = token("{{openai:proj}}")
    routes = {"/v1/models": Answer(401, _OPENAI_MISSING, **_OPENAI_ERROR)}
    scope, fake = _verified(fake_server, "openai", "project-key", secret, routes)
    assert fake.violations == []
    assert scope.access is Access.UNKNOWN
    assert scope.destructive is None
    assert scope.scope_source is ScopeSource.QUERIED
    assert scope.evidence == (
        "GET /v1/models: HTTP 401, insufficient permissions — a valid restricted key (it lacks api.model.read)",
        "what else it may do (write or delete files, assistants, vector stores) is not readable without trying a write",
    )


def test_openai_admin_key_missing_a_scope_is_valid_not_revoked(fake_server: StartServer) -> None:
    secret = token("{{openai:admin}}")
    body = {"error": {**_OPENAI_MISSING["error"], "message": "Missing scopes: api.management.read"}}
    routes = {"/v1/organization/projects": Answer(401, body, **_OPENAI_ERROR)}
    scope, fake = _verified(fake_server, "openai", "admin-key", secret, routes)
    assert fake.violations == []
    assert scope.access is Access.UNKNOWN
    assert scope.evidence[0] == (
        "GET /v1/organization/projects: HTTP 401, insufficient permissions — a valid restricted key (it lacks"
        " api.management.read)"
    )


def test_openai_invalid_key_is_revoked(fake_server: StartServer) -> None:
    secret = token("{{openai:proj}}")
    routes = {"/v1/models": Answer(401, _OPENAI_INVALID, **_OPENAI_ERROR)}
    scope, fake = _verified(fake_server, "openai", "project-key", secret, routes)
    assert fake.violations == []
    assert scope.access is Access.NONE
    assert scope.evidence == (
        "live check: GET /v1/models: HTTP 401 — the credential is rejected (revoked, expired or invalid)",
    )
