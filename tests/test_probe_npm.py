"""npm's probe against a fake shaped from the registry's documented answers (npm publishes no OpenAPI description):
`GET /-/whoami` {username}; `GET /-/npm/v1/tokens` {objects: [{key, token, readonly, automation, cidr_whitelist,
created, updated}], total, urls} for classic tokens, with {name, permissions: [{name, action}], scopes: [{type,
name}], expiry, bypass_2fa} for granular ones (npm-profile's listTokens, the registry's token API);
`GET /-/user/{user}/package` {package: "read-write" | "read-only"} (libnpmaccess); errors {error}."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from servers.documented import StartServer, probe
from servers.openapi import Answer

from credscope.model import Access, Severity

from helpers import token

pytest.importorskip("httpx")

_PACKAGES = Answer(200, {"@rentals/sdk": "read-write", "rentals-cli": "read-write", "left-pad-fork": "read-only"})


def _tokens(*entries: dict[str, Any]) -> Answer:
    return Answer(200, {"objects": list(entries), "total": len(entries), "urls": {}})


def _classic(secret: str, readonly: bool, *, by_key: bool = True) -> dict[str, Any]:
    key = hashlib.sha512(secret.encode()).hexdigest() if by_key else "0" * 128
    return {"key": key, "token": secret[:6] + "…", "readonly": readonly, "automation": False, "cidr_whitelist": None}


def _routes(tokens: Answer) -> dict[str, Answer]:
    return {
        "/-/whoami": Answer(200, {"username": "lee"}),
        "/-/user/lee/package": _PACKAGES,
        "/-/npm/v1/tokens": tokens,
    }


def test_a_publish_token_may_unpublish_the_users_packages(fake_server: StartServer) -> None:
    secret = token("{{npm}}")
    other = token("{{npm}}")
    tokens = _tokens(_classic(other, True), _classic(secret, False))
    probed = probe(fake_server, "npm", "access-token", secret, _routes(tokens), described_by=None)
    assert probed.fake.violations == []
    scope = probed.scope
    assert (scope.access, scope.destructive) == (Access.WRITE, True)
    assert scope.destructive_actions == ("npm:package:unpublish (@rentals/sdk, rentals-cli)",)
    assert scope.evidence == (
        "GET /-/whoami: lee",
        "lee may publish 2 packages: @rentals/sdk, rentals-cli",
        "the token: classic, publish",
    )
    assert probed.credential.severity is Severity.HIGH


def test_a_read_only_token_found_by_its_prefix_only_reads(fake_server: StartServer) -> None:
    secret = token("{{npm}}")
    probed = probe(
        fake_server, "npm", "access-token", secret, _routes(_tokens(_classic(secret, True, by_key=False))),
        described_by=None,
    )  # fmt: skip
    assert probed.fake.violations == []
    scope = probed.scope
    assert (scope.access, scope.destructive, scope.destructive_actions) == (Access.READ, False, ())
    assert scope.evidence[-1] == "the token: classic, read-only"


def test_a_granular_token_with_org_write_is_admin(fake_server: StartServer) -> None:
    secret = token("{{npm}}")
    entry = {
        "key": hashlib.sha512(secret.encode()).hexdigest(),
        "token": secret[:6] + "…",
        "name": "release",
        "permissions": [{"name": "package", "action": "write"}, {"name": "org", "action": "write"}],
        "scopes": [{"type": "org", "name": "rentals"}],
        "bypass_2fa": True,
    }
    probed = probe(fake_server, "npm", "access-token", secret, _routes(_tokens(entry)), described_by=None)
    assert probed.fake.violations == []
    scope = probed.scope
    assert (scope.access, scope.destructive) == (Access.ADMIN, True)
    assert scope.evidence[-1] == "the token: granular 'release': package:write, org:write on org rentals"


def test_a_token_that_may_not_list_tokens_is_unknown(fake_server: StartServer) -> None:
    secret = token("{{npm}}")
    routes = _routes(Answer(403, {"error": "granular access tokens cannot manage tokens"}))
    probed = probe(fake_server, "npm", "access-token", secret, routes, described_by=None)
    assert probed.fake.violations == []
    scope = probed.scope
    assert (scope.access, scope.destructive) == (Access.UNKNOWN, None)
    assert scope.evidence[-2:] == (
        "GET /-/npm/v1/tokens: HTTP 403 — its own permissions are not readable",
        "unknown: the provider does not reveal this without a write (whether the token is read-only or may publish"
        " and unpublish)",
    )
    assert probed.credential.severity is Severity.HIGH


def test_a_legacy_token_npm_no_longer_honours_is_revoked(fake_server: StartServer) -> None:
    secret = token("{{npm:legacy}}")
    routes = {"/-/whoami": Answer(401, {"error": "Unauthorized"})}
    probed = probe(
        fake_server, "npm", "legacy-token", secret, routes, described_by=None,
        context={"registry": "//registry.npmjs.org/"},
    )  # fmt: skip
    assert probed.fake.violations == []
    assert probed.scope.access is Access.NONE
    assert probed.scope.evidence == (
        "live check: GET /-/whoami: HTTP 401 — the credential is rejected (revoked, expired or invalid)",
    )


def test_a_token_of_another_registry_is_never_sent_to_npm(fake_server: StartServer) -> None:
    secret = token("{{npm:legacy}}")
    probed = probe(
        fake_server, "npm", "legacy-token", secret, {}, described_by=None,
        context={"registry": "//npm.internal.example.net/"},
    )  # fmt: skip
    assert probed.requests == []
    assert probed.scope.evidence[-1] == (
        "not checked live: a token of another registry is checked only at its registry, whose host comes from"
        " scanned text"
    )
