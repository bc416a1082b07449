"""Docker Hub's probe against a fake of the registry token service, shaped from the Docker Registry token
authentication specification (distribution/distribution docs/spec/auth/token.md: `GET /token?service=…&scope=…`
answers {token, access_token, expires_in, issued_at}, the token a JWT whose `access` claim lists the actions
granted) and Docker Hub's answer to wrong credentials (401 {"details": "incorrect username or password"})."""

from __future__ import annotations

import base64
import json

import pytest
from servers.documented import Authorized, StartServer, probe
from servers.http import Received
from servers.openapi import Answer

from credscope.model import Access, Severity

from helpers import token

pytest.importorskip("httpx")


def _jwt(claims: dict[str, object]) -> str:
    def part(value: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.{part('signature')}"


def _granting(*actions: str) -> Answer:
    access = [{"type": "repository", "name": "lee/credscope-scope-check", "actions": list(actions)}]
    jwt = _jwt({"iss": "auth.docker.io", "sub": "lee", "aud": "registry.docker.io", "access": access})
    return Answer(200, {"token": jwt, "access_token": jwt, "expires_in": 300, "issued_at": "2026-01-05T10:00:00Z"})


def _basic(username: str, secret: str) -> Authorized:
    expected = "Basic " + base64.b64encode(f"{username}:{secret}".encode()).decode()

    def authorized(received: Received) -> bool:
        asked = "scope=repository%3Alee%2Fcredscope-scope-check%3Apull%2Cpush" in received.path
        return received.headers.get("authorization") == expected and asked

    return authorized


_CONTEXT = {"registry": "https://index.docker.io/v1/", "username": "lee", "store": "docker-config"}


def test_a_token_that_may_push_keeps_deleting_as_its_worst_case(fake_server: StartServer) -> None:
    secret = token("{{docker}}")
    probed = probe(
        fake_server, "docker", "personal-access-token", secret, {"/token": _granting("pull", "push")},
        described_by=None, authorized=_basic("lee", secret), context=_CONTEXT,
    )  # fmt: skip
    assert probed.fake.violations == []
    scope = probed.scope
    assert (scope.access, scope.destructive) == (Access.WRITE, True)
    assert scope.destructive_actions == (
        "docker:repo:admin (delete repositories and tags of lee), unless the token is Read & Write",
    )
    assert scope.evidence == (
        "GET auth.docker.io/token as lee: granted pull, push on lee/credscope-scope-check",
        "it may push: whether it may also delete (Read, Write & Delete) is not readable without deleting — taken as"
        " the worst case",
    )
    assert probed.credential.severity is Severity.HIGH


def test_a_read_only_token_is_granted_pull_only(fake_server: StartServer) -> None:
    secret = token("{{docker}}")
    probed = probe(
        fake_server, "docker", "personal-access-token", secret, {"/token": _granting("pull")},
        described_by=None, authorized=_basic("lee", secret), context=_CONTEXT,
    )  # fmt: skip
    assert probed.fake.violations == []
    assert (probed.scope.access, probed.scope.destructive, probed.scope.destructive_actions) == (
        Access.READ,
        False,
        (),
    )


def test_wrong_credentials_are_revoked(fake_server: StartServer) -> None:
    secret = token("{{docker}}")
    routes = {"/token": Answer(401, {"details": "incorrect username or password"})}
    probed = probe(
        fake_server, "docker", "personal-access-token", secret, routes,
        described_by=None, authorized=_basic("lee", secret), context=_CONTEXT,
    )  # fmt: skip
    assert probed.fake.violations == []
    assert probed.scope.access is Access.NONE
    assert probed.scope.evidence == (
        "live check: GET /token: HTTP 401 — the credential is rejected (revoked, expired or invalid)",
    )


@pytest.mark.parametrize(
    ("context", "reason"),
    [
        ({"name": "DOCKER_TOKEN"}, "a Docker Hub token is checked only with its username, which was not found beside"
         " it"),
        ({"registry": "ghcr.io", "username": "lee"}, "a token kept for another registry is checked only there, a host"
         " from scanned text"),
    ],
)  # fmt: skip
def test_without_its_username_or_for_another_registry_nothing_is_sent(
    context: dict[str, str], reason: str, fake_server: StartServer
) -> None:
    def never(_: Received) -> bool:
        return False

    secret = token("{{docker}}")
    probed = probe(
        fake_server, "docker", "personal-access-token", secret, {}, described_by=None, authorized=never,
        context=context,
    )  # fmt: skip
    assert probed.requests == []
    assert probed.scope.evidence[-1] == f"not checked live: {reason}"
