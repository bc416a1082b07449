"""MongoDB Atlas's probe against a fake of the Administration API shaped from its documentation (HTTP Digest with
the public key as user and the private key as password, challenge `Digest realm="MMS Public API", …, qop="auth"`;
`GET /api/atlas/v2/orgs` and `GET /api/atlas/v2/orgs/{orgId}/apiKeys` answer {results, totalCount}, keys with
{id, publicKey, desc, roles: [{roleName, orgId | groupId}]}; errors {error, errorCode, reason, detail}). MongoDB's
own OpenAPI description (mongodb/openapi) is larger than what could be brought here. The fake checks each digest
against the private key, so the private key itself is never seen on the wire."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any

import pytest
from servers.documented import StartServer, probe
from servers.http import Received
from servers.openapi import Answer

from credscope.model import Access, Severity

from helpers import token

pytest.importorskip("httpx")

PUBLIC = "qwertyui"
ORG = "5f1a2b3c4d5e6f7a8b9c0d1e"
_CHALLENGE = 'Digest realm="MMS Public API", domain="", nonce="Yz5ZmQq4d1nB", algorithm=MD5, qop="auth", stale=false'


def _digest(private: str, answer: Answer) -> Callable[[Received], Answer]:
    """Challenge a bare request; answer one whose digest the private key produces; refuse any other."""

    def respond(received: Received) -> Answer:
        header = received.headers.get("authorization", "")
        assert private not in header and private not in received.path
        if not header:
            return Answer(401, _error(401, "UNAUTHORIZED"), {"WWW-Authenticate": _CHALLENGE})
        fields = dict(re.findall(r'(\w+)="?([^",]*)"?', header))
        ha1 = hashlib.md5(f"{fields['username']}:MMS Public API:{private}".encode()).hexdigest()
        ha2 = hashlib.md5(f"GET:{received.path}".encode()).hexdigest()
        expected = hashlib.md5(
            f"{ha1}:{fields['nonce']}:{fields['nc']}:{fields['cnonce']}:{fields['qop']}:{ha2}".encode()
        ).hexdigest()
        if fields.get("username") != PUBLIC or fields.get("response") != expected or fields.get("uri") != received.path:
            return Answer(401, _error(401, "UNAUTHORIZED"))
        return answer

    return respond


def _error(status: int, code: str) -> dict[str, Any]:
    return {"error": status, "errorCode": code, "reason": "Unauthorized", "detail": "You are not authorized."}


def _routes(private: str, roles: list[dict[str, str]]) -> dict[str, Callable[[Received], Answer]]:
    keys = [
        {"id": "k1", "publicKey": "asdfghjk", "desc": "ci", "roles": [{"roleName": "ORG_OWNER", "orgId": ORG}]},
        {"id": "k2", "publicKey": PUBLIC, "desc": "ops", "roles": roles},
    ]
    return {
        "/api/atlas/v2/orgs": _digest(
            private, Answer(200, {"results": [{"id": ORG, "name": "Rentals"}], "totalCount": 1})
        ),
        f"/api/atlas/v2/orgs/{ORG}/apiKeys": _digest(private, Answer(200, {"results": keys, "totalCount": 2})),
    }


def _check(private: str, fake_server: StartServer, routes: dict[str, Callable[[Received], Answer]]) -> Any:
    return probe(
        fake_server, "mongodb-atlas", "api-key", private, routes, described_by=None,
        authorized=lambda _: True, parts={"public_key": PUBLIC},
    )  # fmt: skip


def test_an_organization_owner_key_may_delete_projects_and_clusters(fake_server: StartServer) -> None:
    private = token("{{uuid4}}")
    probed = _check(private, fake_server, _routes(private, [{"roleName": "ORG_OWNER", "orgId": ORG}]))
    assert probed.fake.violations == []
    scope = probed.scope
    assert (scope.access, scope.destructive) == (Access.ADMIN, True)
    assert scope.destructive_actions == ("mongodb-atlas:projects:delete", "mongodb-atlas:clusters:delete")
    assert scope.evidence == ("GET /api/atlas/v2/orgs: Rentals", "roles: ORG_OWNER")
    assert probed.credential.severity is Severity.CRITICAL


def test_a_cluster_manager_deletes_clusters(fake_server: StartServer) -> None:
    private = token("{{uuid4}}")
    roles = [{"roleName": "ORG_MEMBER", "orgId": ORG}, {"roleName": "GROUP_CLUSTER_MANAGER", "groupId": "g1"}]
    probed = _check(private, fake_server, _routes(private, roles))
    assert probed.fake.violations == []
    assert (probed.scope.access, probed.scope.destructive) == (Access.WRITE, True)
    assert probed.scope.destructive_actions == ("mongodb-atlas:clusters:delete",)


def test_a_read_only_key_reads(fake_server: StartServer) -> None:
    private = token("{{uuid4}}")
    probed = _check(private, fake_server, _routes(private, [{"roleName": "ORG_READ_ONLY", "orgId": ORG}]))
    assert probed.fake.violations == []
    assert (probed.scope.access, probed.scope.destructive) == (Access.READ, False)


def test_roles_that_cannot_be_read_are_unknown(fake_server: StartServer) -> None:
    private = token("{{uuid4}}")
    routes = _routes(private, [])
    routes[f"/api/atlas/v2/orgs/{ORG}/apiKeys"] = _digest(private, Answer(403, _error(403, "USER_UNAUTHORIZED")))
    probed = _check(private, fake_server, routes)
    assert probed.fake.violations == []
    assert (probed.scope.access, probed.scope.destructive) == (Access.UNKNOWN, None)
    assert probed.scope.evidence[-1] == "Rentals: its roles are not readable (HTTP 403)"
    assert probed.credential.severity is Severity.HIGH


def test_a_wrong_private_key_is_revoked(fake_server: StartServer) -> None:
    private = token("{{uuid4}}")
    probed = _check(private, fake_server, _routes(token("{{uuid4}}"), []))
    assert probed.fake.violations == []
    assert probed.scope.access is Access.NONE
    assert probed.scope.evidence == (
        "live check: GET /api/atlas/v2/orgs: HTTP 401, UNAUTHORIZED: You are not authorized. — the public and private"
        " key are rejected together",
    )


def test_an_access_list_refusal_is_unknown(fake_server: StartServer) -> None:
    private = token("{{uuid4}}")
    routes = _routes(private, [])
    routes["/api/atlas/v2/orgs"] = _digest(private, Answer(403, _error(403, "IP_ADDRESS_NOT_ON_ACCESS_LIST")))
    probed = _check(private, fake_server, routes)
    assert probed.fake.violations == []
    assert probed.scope.access is Access.UNKNOWN
    assert probed.scope.evidence[0].startswith(
        "live check failed: GET /api/atlas/v2/orgs: HTTP 403, IP_ADDRESS_NOT_ON_ACCESS_LIST"
    )


@pytest.mark.parametrize(
    ("kind", "parts", "reason"),
    [
        ("api-key", {}, "a private API key is used only with its public key, which was not found beside it"),
        ("service-account-secret", {}, "a service account secret is used by exchanging it, with its client id, for an"
         " access token: a POST the read-only guard does not send"),
    ],
)  # fmt: skip
def test_what_cannot_be_checked_read_only_is_never_sent(
    kind: str, parts: dict[str, str], reason: str, fake_server: StartServer
) -> None:
    secret = token("{{uuid4}}") if kind == "api-key" else "mdb_sa_sk_" + token("{{random:alnum:40}}")
    probed = probe(fake_server, "mongodb-atlas", kind, secret, {}, described_by=None, parts=parts)
    assert probed.requests == []
    assert probed.scope.evidence[-1] == f"not checked live: {reason}"
