"""Verdicts that hold against the providers' real answers (issue 16): fakes that answer from each provider's own
API description (tests/descriptions.py), error shapes included, and one exact verdict per case. The direction that
matters: a live credential is never called revoked, nor more harmless than the answers show."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest
from servers.http import FakeServer, Responder
from servers.openapi import Answer, SchemaFake, available, track, undocumented_fields
from servers.openapi import description as description_of

from credscope.catalogue import Catalogue, builtin_provider_dir, load_provider
from credscope.model import Access, Credential, Location, Reach, Scope, ScopeSource, fingerprint_of
from credscope.probes.client import Answer as ClientAnswer
from credscope.probes.client import ProviderSession
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
    reads: list[tuple[str, int, set[str]]] = []
    original = ProviderSession._send

    def send(self: ProviderSession, method: str, path: str, *args: Any) -> ClientAnswer:
        answer = original(self, method, path, *args)
        seen: set[str] = set()
        reads.append((path, answer.status, seen))
        return _Read(answer.status, answer.headers, answer.body, seen)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ProviderSession, "_send", send)
        [checked], _ = verify([credential], catalogue, settings, ProbeRegistry())
    # Every field the probe read from an answer is one the description (or the answer's named schema) describes.
    if not available(description or provider):
        return checked.scope, fake  # the description is not here (tests/descriptions.py): nothing to check against
    spec = description_of(description or provider)
    for path, status, seen in reads:
        operation = spec.operation("GET", path)
        answer = routes.get(path)
        if operation is None or answer is None:
            continue
        documented = spec.response_schema(operation, status)
        schema = spec.schema(answer.described_by) if answer.described_by else (documented or (None, None))[1]
        if schema is not None:
            fake.violations.extend(
                f"GET {path} → {status}: reads undescribed {f}" for f in undocumented_fields(spec, schema, seen)
            )
    return checked.scope, fake


class _Read(ClientAnswer):
    """The probe client's answer, whose JSON records what the probe reads."""

    def __init__(self, status: int, headers: Mapping[str, str], body: bytes, seen: set[str]) -> None:
        super().__init__(status, headers, body)
        object.__setattr__(self, "_seen", seen)

    def json(self) -> Any:
        return track(super().json(), "", self._seen)  # type: ignore[attr-defined]


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
        "unknown: the provider does not reveal this without a write (its permission setting (All, Restricted, Read"
        " only): whether it may write or delete files, assistants, vector stores)",
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


# -- 7. GitHub App user tokens, Vercel's token metadata, GitLab's associations ----------------------------------

_INSTALLATION = {
    "id": 41,
    "account": {
        "login": "rentals",
        "id": 7,
        "node_id": "MDEyOk9yZ2FuaXphdGlvbjc=",
        "avatar_url": "https://avatars.example.invalid/u/7",
        "gravatar_id": "",
        "url": "https://api.github.com/users/rentals",
        "html_url": "https://github.com/rentals",
        "followers_url": "https://api.github.com/users/rentals/followers",
        "following_url": "https://api.github.com/users/rentals/following{/other_user}",
        "gists_url": "https://api.github.com/users/rentals/gists{/gist_id}",
        "starred_url": "https://api.github.com/users/rentals/starred{/owner}{/repo}",
        "subscriptions_url": "https://api.github.com/users/rentals/subscriptions",
        "organizations_url": "https://api.github.com/users/rentals/orgs",
        "repos_url": "https://api.github.com/users/rentals/repos",
        "events_url": "https://api.github.com/users/rentals/events{/privacy}",
        "received_events_url": "https://api.github.com/users/rentals/received_events",
        "type": "Organization",
        "site_admin": False,
    },
    "repository_selection": "all",
    "access_tokens_url": "https://api.github.com/app/installations/41/access_tokens",
    "repositories_url": "https://api.github.com/installation/repositories",
    "html_url": "https://github.com/organizations/rentals/settings/installations/41",
    "app_id": 9,
    "target_id": 7,
    "target_type": "Organization",
    "permissions": {"administration": "write", "contents": "write", "metadata": "read"},
    "events": ["push"],
    "created_at": "2026-01-05T10:00:00Z",
    "updated_at": "2026-01-05T10:00:00Z",
    "single_file_name": None,
    "app_slug": "deploy-bot",
    "suspended_by": None,
    "suspended_at": None,
}


def _github_user(login: str) -> dict[str, Any]:
    base = "https://api.github.com/users/" + login
    return {
        "login": login, "id": 1, "node_id": "MDQ6VXNlcjE=", "avatar_url": "https://avatars.example.invalid/u/1",
        "gravatar_id": "", "url": base, "html_url": "https://github.com/" + login,
        "followers_url": base + "/followers", "following_url": base + "/following{/other_user}",
        "gists_url": base + "/gists{/gist_id}", "starred_url": base + "/starred{/owner}{/repo}",
        "subscriptions_url": base + "/subscriptions", "organizations_url": base + "/orgs", "repos_url": base + "/repos",
        "events_url": base + "/events{/privacy}", "received_events_url": base + "/received_events", "type": "User",
        "site_admin": False, "name": None, "company": None, "blog": None, "location": None, "email": None,
        "hireable": None, "bio": None, "public_repos": 2, "public_gists": 0, "followers": 0, "following": 0,
        "created_at": "2020-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
        "private_gists": 0, "total_private_repos": 1, "owned_private_repos": 1, "disk_usage": 10,
        "collaborators": 0, "two_factor_authentication": True, "user_view_type": "private",
    }  # fmt: skip


_GITHUB_API = ("authorization", "")  # checked below by the token itself


def test_github_app_user_token_with_an_empty_scopes_header_reads_its_installations(fake_server: StartServer) -> None:
    secret = token("{{github:ghu}}")
    routes = {
        "/user": Answer(200, _github_user("octo"), {"X-OAuth-Scopes": ""}),
        "/user/installations": Answer(200, {"total_count": 1, "installations": [_INSTALLATION]}),
    }
    scope, fake = _verified(fake_server, "github", "user-to-server-token", secret, routes)
    assert fake.violations == []
    assert scope.access is Access.ADMIN
    assert scope.destructive is True
    assert scope.destructive_actions == (
        "github:administration:write (delete repositories, change their settings) on rentals",
        "github:contents:write (force-push and delete branches) on rentals",
    )
    assert scope.evidence == (
        "GET /user: authenticates as octo; a GitHub App user token, acting with its app's installation permissions as"
        " far as its user may (at most these)",
        "GET /user/installations: deploy-bot on rentals (all repositories): administration:write, contents:write,"
        " metadata:read",
    )


def test_github_app_user_token_without_installations_is_unknown_not_public_only(fake_server: StartServer) -> None:
    secret = token("{{github:ghu}}")
    routes = {
        "/user": Answer(200, _github_user("octo"), {"X-OAuth-Scopes": ""}),
        "/user/installations": Answer(200, {"total_count": 0, "installations": []}),
    }
    scope, fake = _verified(fake_server, "github", "user-to-server-token", secret, routes)
    assert fake.violations == []
    assert (scope.access, scope.destructive) == (Access.UNKNOWN, None)
    assert scope.evidence[-1] == (
        "GET /user/installations: the app is installed on no account this user reaches; its account-level"
        " permissions are not readable"
    )


_VERCEL_USER = {
    "user": {
        "id": "R6efeCJQ2HKXywuasPDc0fOWB", "email": "lee@example.invalid", "name": "Lee", "username": "lee",
        "avatar": None, "defaultTeamId": "team_rentals", "version": "northstar", "createdAt": 1611796915677,
        "softBlock": None, "billing": None, "resourceConfig": {}, "stagingPrefix": "lee",
        "hasTrialAvailable": False,
    }
}  # fmt: skip


def _vercel_team(team_id: str, name: str, role: str) -> dict[str, Any]:
    return {
        "id": team_id, "slug": name.lower(), "name": name, "avatar": None, "createdAt": 1611796915677,
        "membership": {
            "role": role, "confirmed": True, "created": 1611796915677, "createdAt": 1611796915677, "teamId": team_id,
        },
        "limited": True, "limitedBy": ["scope"],
    }  # fmt: skip


def test_vercel_token_scoped_to_one_team_is_judged_by_that_team(fake_server: StartServer) -> None:
    secret = token("{{vercel:vcp}}")
    current = {
        "token": {
            "id": "5d9f2ebd38ddca62e5d51e9c1704c72530bdc8bfdd41e782a6687c48399e8391",
            "name": "ci",
            "type": "token",
            "origin": "manual",
            "scopes": [{"type": "team", "teamId": "team_docs", "origin": "manual", "createdAt": 1632816536002}],
            "expiresAt": 1893456000000,
            "activeAt": 1632816536002,
            "createdAt": 1632816536002,
        }
    }
    teams = {
        "teams": [_vercel_team("team_rentals", "Rentals", "OWNER"), _vercel_team("team_docs", "Docs", "DEVELOPER")],
        "pagination": {"count": 2, "next": None, "prev": None},
    }
    routes = {
        "/v2/user": Answer(200, _VERCEL_USER),
        "/v5/user/tokens/current": Answer(200, current),
        "/v2/teams": Answer(200, teams),
    }
    scope, fake = _verified(fake_server, "vercel", "personal-token", secret, routes)
    assert fake.violations == []
    assert scope.access is Access.WRITE
    assert "vercel:projects.delete" not in scope.destructive_actions
    assert scope.evidence[:2] == (
        "GET /v2/user: lee; teams: Docs (DEVELOPER)",
        "GET /v5/user/tokens/current: token 'ci' (token, from manual) scoped to teams team_docs, expires 2030-01-01",
    )


def test_vercel_forbidden_but_known_token_is_not_revoked(fake_server: StartServer) -> None:
    secret = token("{{vercel:vcp}}")
    forbidden = {"error": {"code": "forbidden", "message": "You don't have permission to access this resource."}}
    reason = "Vercel documents 403 with a description only; its error body is {error: {code, message}}"
    routes = {
        "/v2/user": Answer(403, forbidden, why_undescribed=reason),
        "/v5/user/tokens/current": Answer(403, forbidden, why_undescribed=reason),
        "/v2/teams": Answer(403, forbidden, why_undescribed=reason),
    }
    scope, fake = _verified(fake_server, "vercel", "personal-token", secret, routes)
    assert fake.violations == []
    assert scope.access is not Access.NONE
    assert scope.access is Access.ADMIN  # nothing narrows it: the worst case of a working token stands
    assert scope.evidence[0] == "GET /v2/user: ?"


def test_vercel_invalid_token_is_revoked(fake_server: StartServer) -> None:
    secret = token("{{vercel:vcp}}")
    invalid = {"error": {"code": "forbidden", "message": "Not authorized", "invalidToken": True}}
    routes = {"/v2/user": Answer(403, invalid, why_undescribed="Vercel documents 403 with a description only")}
    scope, fake = _verified(fake_server, "vercel", "personal-token", secret, routes)
    assert fake.violations == []
    assert scope.access is Access.NONE
