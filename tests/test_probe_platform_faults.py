"""The probes of the destructive platforms (issue 16), each through the real probe client, when the provider answers
nothing useful: rate-limited beyond what credscope waits, or failing with 5xx after the retries. Neither proves
anything about the credential, so it stays unknown with the reason — never revoked, never less than what its kind
could do."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pytest
from servers.documented import StartServer, probe
from servers.http import Received
from servers.openapi import Answer

from credscope.model import Access, Severity

from helpers import token

pytest.importorskip("httpx")


@dataclass(frozen=True)
class Platform:
    provider: str
    kind: str
    template: str
    parts: Mapping[str, str] = field(default_factory=dict)
    context: Mapping[str, str] | None = None  # where it was found (a username, a registry)


PLATFORMS = [
    Platform("digitalocean", "personal-access-token", "{{digitalocean:dop}}"),
    Platform("netlify", "personal-access-token", "{{netlify}}"),
    Platform("render", "api-key", "{{render}}"),
    Platform("heroku", "api-key", "{{heroku}}"),
    Platform("terraform-cloud", "api-token", "{{terraform}}"),
    Platform("neon", "api-key", "{{neon}}"),
    Platform("npm", "access-token", "{{npm}}"),
    Platform("flyio", "oauth-token", "{{fly:fo1}}"),
    Platform("planetscale", "oauth-token", "{{planetscale:oauth}}"),
    Platform("docker", "personal-access-token", "{{docker}}", context={"username": "lee"}),
    Platform("mongodb-atlas", "api-key", "{{uuid4}}", {"public_key": "qwertyui"}),
    Platform("datadog", "application-key", "{{datadog:app}}", {"api_key": "0123456789abcdef" * 2}),
    Platform("twilio", "auth-token", "{{twilio:token}}", {"account_sid": "AC" + "0123456789abcdef" * 2}),
]


def _everything(answer: Answer) -> dict[str, object]:
    """Every path answers the same: the fake's routes are looked up by path, so a mapping that always hits."""

    class _All(dict[str, object]):
        def get(self, key: object, default: object = None) -> object:
            return answer

    return _All()


def _any_auth(_: Received) -> bool:
    return True


@pytest.mark.parametrize("platform", PLATFORMS, ids=[p.provider for p in PLATFORMS])
def test_rate_limited_beyond_the_wait_is_unknown_not_revoked(platform: Platform, fake_server: StartServer) -> None:
    secret = token(platform.template)
    routes = _everything(Answer(429, {"message": "slow down"}, {"Retry-After": "3600"}))
    probed = probe(
        fake_server,
        platform.provider,
        platform.kind,
        secret,
        routes,  # type: ignore[arg-type]
        described_by=None,
        authorized=_any_auth,
        parts=platform.parts,
        context=platform.context,
    )
    scope = probed.scope
    assert scope.access is Access.UNKNOWN
    assert (
        scope.evidence[0]
        == "live check failed: rate-limited (HTTP 429, Retry-After 3600s is longer than credscope waits)"
    )
    assert len(probed.requests) == 1
    assert probed.credential.severity in (Severity.HIGH, Severity.CRITICAL)


@pytest.mark.parametrize("platform", PLATFORMS, ids=[p.provider for p in PLATFORMS])
def test_server_errors_after_the_retries_are_unknown_not_revoked(platform: Platform, fake_server: StartServer) -> None:
    secret = token(platform.template)
    routes = _everything(Answer(503, {"message": "unavailable"}))
    probed = probe(
        fake_server,
        platform.provider,
        platform.kind,
        secret,
        routes,  # type: ignore[arg-type]
        described_by=None,
        authorized=_any_auth,
        parts=platform.parts,
        context=platform.context,
    )
    scope = probed.scope
    assert scope.access is Access.UNKNOWN
    assert scope.evidence[0] == "live check failed: server error (HTTP 503) after 3 attempt(s)"
    assert len(probed.requests) == 3
    assert probed.credential.severity in (Severity.HIGH, Severity.CRITICAL)
