"""DigitalOcean: `GET /v2/account` names the account and team; a token's scopes are not readable back."""

from __future__ import annotations

from typing import Any

from credscope.model import Credential, Scope
from credscope.probes.base import NotProbed, bearer, get_object, undetermined
from credscope.probes.client import ProviderSession


def probe(credential: Credential, session: ProviderSession) -> Scope:
    if credential.kind == "refresh-token":
        raise NotProbed("a refresh token is never sent: using it would rotate it")
    _, body = get_object(session, "/v2/account", bearer(credential.secret))
    account: dict[str, Any] = body.get("account") or {}
    team = (account.get("team") or {}).get("name", "")
    evidence = [
        f"GET /v2/account: {account.get('email', '?')} (status {account.get('status', '?')})"
        + (f", team {team}" if team else ""),
        "DigitalOcean does not report a token's scopes to a read call: full-access tokens can delete droplets,"
        " databases and volumes",
    ]
    identity = {"email": str(account.get("email", "")), "team": str(team)}
    return undetermined(evidence, identity)
