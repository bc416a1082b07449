"""MongoDB Atlas Administration API: a programmatic API key (public key and private key) authenticates with HTTP
Digest, so each read is sent twice — once bare, to receive the server's challenge, then answered with the keys.
`GET /api/atlas/v2/orgs` names the organizations the key reaches and `GET /api/atlas/v2/orgs/{orgId}/apiKeys` its
own roles (the key is found by its public key): Organization Owner deletes every project and cluster, Project Owner
and Project Cluster Manager delete clusters, read-only roles read.

Only a key whose public key was found beside it can be checked. A service account secret is used by exchanging it,
with its client id, for an access token: a POST the read-only guard does not send.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Any
from urllib.parse import urlencode

from credscope.model import Access, Credential, Scope
from credscope.probes.base import NotProbed, ProbeFailure, capability_scope, json_object, revoked, undetermined
from credscope.probes.client import Answer, ProviderSession

_ACCEPT = {"Accept": "application/vnd.atlas.2023-01-01+json"}
_CHALLENGE = re.compile(r'(\w+)="?([^",]*)"?')
# role -> (access, capability of the provider's table, or "")
_ROLES: dict[str, tuple[Access, str]] = {
    "ORG_OWNER": (Access.ADMIN, "projects:delete"),
    "GROUP_OWNER": (Access.ADMIN, "clusters:delete"),
    "GROUP_CLUSTER_MANAGER": (Access.WRITE, "clusters:delete"),
    "GROUP_DATA_ACCESS_ADMIN": (Access.ADMIN, "database-users:create"),
    "GROUP_DATA_ACCESS_READ_WRITE": (Access.WRITE, ""),
    "ORG_PROJECT_CREATOR": (Access.WRITE, ""),
    "ORG_GROUP_CREATOR": (Access.WRITE, ""),
}
_ORDER = (Access.READ, Access.WRITE, Access.ADMIN)


def probe(credential: Credential, session: ProviderSession) -> Scope:
    if credential.kind == "service-account-secret":
        raise NotProbed(
            "a service account secret is used by exchanging it, with its client id, for an access token: a POST the"
            " read-only guard does not send"
        )
    public_key = credential.parts.get("public_key", "")
    if not public_key:
        raise NotProbed("a private API key is used only with its public key, which was not found beside it")
    status, organizations = _get(session, "/api/atlas/v2/orgs", public_key, credential.secret)
    if status != 200:
        raise ProbeFailure(f"GET /api/atlas/v2/orgs: HTTP {status}{_said(organizations)} — the key may be live but is"
                           " refused here (an IP access list refuses a live key too)")  # fmt: skip
    listed = [o for o in organizations.get("results") or [] if isinstance(o, dict)]
    evidence = [f"GET /api/atlas/v2/orgs: {', '.join(str(o.get('name') or o.get('id')) for o in listed) or 'none'}"]
    identity = {"public_key": public_key}
    roles: list[str] = []
    for organization in listed[:10]:
        path = f"/api/atlas/v2/orgs/{organization.get('id')}/apiKeys"
        status, keys = _get(session, path, public_key, credential.secret, {"itemsPerPage": "500"})
        mine = [k for k in keys.get("results") or [] if isinstance(k, dict) and k.get("publicKey") == public_key]
        if status != 200 or not mine:
            evidence.append(f"{organization.get('name')}: its roles are not readable (HTTP {status})")
            return undetermined(evidence, identity)
        roles += [str(r.get("roleName")) for k in mine for r in k.get("roles") or [] if isinstance(r, dict)]
    evidence.append(f"roles: {', '.join(sorted(set(roles))) or 'none'}")
    access, capabilities = Access.READ, ["projects:list"]
    for role in set(roles):
        level, capability = _ROLES.get(role, (Access.READ, ""))
        access = max(access, level, key=_ORDER.index)
        capabilities += [capability] if capability else []
    if "ORG_OWNER" in roles:
        capabilities.append("clusters:delete")
    return capability_scope(session.provider, capabilities, evidence, identity, access)


def _get(
    session: ProviderSession, path: str, user: str, password: str, params: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    """GET with HTTP Digest: the bare request's 401 carries the challenge; the answer to it is the real read."""
    challenge = session.get(path, _ACCEPT, params)
    header = challenge.headers.get("www-authenticate", "")
    if challenge.status != 401 or not header.lower().startswith("digest"):
        return challenge.status, _body(challenge)
    fields = dict(_CHALLENGE.findall(header))
    uri = path + (f"?{urlencode(params)}" if params else "")
    authorization = _digest(fields, user, password, uri)
    answer = session.get(path, {**_ACCEPT, "Authorization": authorization}, params)
    if answer.status == 401:
        raise revoked(f"GET {path}: HTTP 401{_said(_body(answer))} — the public and private key are rejected together")
    return answer.status, _body(answer)


def _digest(fields: dict[str, str], user: str, password: str, uri: str) -> str:
    """RFC 7616 with MD5 and qop=auth, as Atlas asks for it."""
    realm, nonce = fields.get("realm", ""), fields.get("nonce", "")
    cnonce, count = secrets.token_hex(8), "00000001"
    ha1 = hashlib.md5(f"{user}:{realm}:{password}".encode(), usedforsecurity=False).hexdigest()
    ha2 = hashlib.md5(f"GET:{uri}".encode(), usedforsecurity=False).hexdigest()
    response = hashlib.md5(f"{ha1}:{nonce}:{count}:{cnonce}:auth:{ha2}".encode(), usedforsecurity=False).hexdigest()
    return (
        f'Digest username="{user}", realm="{realm}", nonce="{nonce}", uri="{uri}", algorithm=MD5, qop=auth,'
        f' nc={count}, cnonce="{cnonce}", response="{response}"'
    )


def _body(answer: Answer) -> dict[str, Any]:
    try:
        return json_object(answer, "answer")
    except ProbeFailure:
        return {}


def _said(body: dict[str, Any]) -> str:
    return f", {body.get('errorCode')}: {str(body.get('detail', ''))[:160]}" if body.get("errorCode") else ""
