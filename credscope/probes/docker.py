"""Docker Hub: a personal or organization access token is checked the way `docker login` checks it — the registry's
token service (`GET https://auth.docker.io/token`, HTTP Basic with the username beside the token) is asked for
pull and push on a repository of the token's own namespace, and grants what the token may do; the access it grants
is read from the short-lived registry token it answers with, which is then dropped.

Read-only tokens are granted pull only. Whether a token that may push is "Read & Write" or "Read, Write & Delete"
is not readable without deleting something, so its worst case (deleting repositories and tags) stands.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from credscope.model import Access, Credential, Scope
from credscope.probes.base import NotProbed, capability_scope, get_object
from credscope.probes.client import ProviderSession

_HUB = {"", "docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"}
# A repository name no one uses: asking for access to it reads nothing and changes nothing.
_PROBE_REPOSITORY = "credscope-scope-check"


def probe(credential: Credential, session: ProviderSession) -> Scope:
    if credential.kind.startswith("swarm-"):
        raise NotProbed("a Docker Swarm token works only against the swarm's own managers, whose address is not probed")
    if credential.kind not in ("personal-access-token", "organization-access-token"):
        raise NotProbed("a registry login is checked only by its registry, whose host comes from scanned text")
    usernames = {loc.context.get("username", "") for loc in credential.locations} - {""}
    registries = {_host(loc.context.get("registry", "")) for loc in credential.locations}
    if not registries <= _HUB:
        raise NotProbed("a token kept for another registry is checked only there, a host from scanned text")
    if len(usernames) != 1:
        raise NotProbed("a Docker Hub token is checked only with its username, which was not found beside it")
    [username] = usernames
    basic = base64.b64encode(f"{username}:{credential.secret}".encode()).decode()
    repository = f"{username.lower()}/{_PROBE_REPOSITORY}"
    params = {"service": "registry.docker.io", "scope": f"repository:{repository}:pull,push"}
    _, answer = get_object(session, "/token", {"Authorization": f"Basic {basic}"}, params=params)
    actions = _granted(answer, repository)
    evidence = [f"GET auth.docker.io/token as {username}: granted {', '.join(actions) or 'nothing'} on {repository}"]
    identity = {"username": username}
    if "push" in actions:
        evidence.append(
            "it may push: whether it may also delete (Read, Write & Delete) is not readable without deleting — taken"
            " as the worst case"
        )
        worst = f"docker:repo:admin (delete repositories and tags of {username}), unless the token is Read & Write"
        return capability_scope(session.provider, ["repo:write"], evidence, identity, Access.WRITE, [worst])
    return capability_scope(session.provider, ["repo:read"], evidence, identity, Access.READ)


def _granted(answer: dict[str, Any], repository: str) -> list[str]:
    """The actions the registry token grants on `repository` (its JWT `access` claim; the signature is not ours to
    check, only what it says)."""
    jwt = str(answer.get("token") or answer.get("access_token") or "")
    try:
        payload = jwt.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return []
    granted: list[str] = []
    for entry in claims.get("access") or [] if isinstance(claims, dict) else []:
        if isinstance(entry, dict) and entry.get("type") == "repository" and entry.get("name") == repository:
            granted += [str(a) for a in entry.get("actions") or []]
    return sorted(set(granted))


def _host(registry: str) -> str:
    return registry.removeprefix("https://").removeprefix("http://").split("/", 1)[0].lower()
