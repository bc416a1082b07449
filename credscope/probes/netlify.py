"""Netlify: a personal access token acts as its user, with no scopes of its own. `GET /user` names the user,
`GET /accounts` the teams and their owners (only a team's Owner may delete or transfer its sites), `GET /sites` the
sites the token reaches.
"""

from __future__ import annotations

from typing import Any

from credscope.model import Access, Credential, Scope
from credscope.probes.base import bearer, capability_scope, get_object, limited, unexpected
from credscope.probes.client import ProviderSession


def probe(credential: Credential, session: ProviderSession) -> Scope:
    headers = bearer(credential.secret)
    _, user = get_object(session, "/api/v1/user", headers)
    user_id = str(user.get("id", ""))
    identity = {k: str(user[k]) for k in ("email", "id") if user.get(k)}
    who = user.get("email") or user.get("full_name") or "?"
    evidence = [f"GET /api/v1/user: {who}; a personal access token acts as its user, with no scopes of its own"]
    status, listing = _list(session, "/api/v1/accounts", headers, {})
    teams = [t for t in listing if isinstance(t, dict)]
    _, sites_listing = _list(session, "/api/v1/sites", headers, {"filter": "all", "per_page": "100"})
    sites: dict[str, list[str]] = {}
    for site in (s for s in sites_listing if isinstance(s, dict)):
        sites.setdefault(str(site.get("account_slug") or "?"), []).append(str(site.get("name", "?")))
    if status != 200 or not user_id or not teams:
        # Whether the user owns the teams it reaches cannot be read: an Owner's worst case stands.
        why = f"HTTP {status}" if status != 200 else "no team listed" if user_id else "the user's id is not readable"
        evidence.append(f"GET /api/v1/accounts: {why} — whether it owns its teams is unknown: taken as Owner")
        actions = [f"netlify:sites.delete ({_sites(names)}) in team {slug}" for slug, names in sorted(sites.items())]
        return capability_scope(
            session.provider, ["sites.delete"], evidence, identity, Access.ADMIN, actions or ["netlify:sites.delete"]
        )
    owned = [t for t in teams if user_id and user_id in [str(o) for o in t.get("owner_ids") or []]]
    others = [t for t in teams if t not in owned]
    if owned:
        evidence.append("Owner of " + ", ".join(_team(t) for t in owned) + ": may delete or transfer their sites")
    if others:
        evidence.append("member, not Owner, of " + ", ".join(_team(t) for t in others))
    if sites:
        evidence.append(
            "reaches sites: " + "; ".join(f"{slug}: {_sites(names)}" for slug, names in sorted(sites.items()))
        )
    if not owned:
        return capability_scope(session.provider, ["deploys.create", "env.update"], evidence, identity, Access.WRITE)
    actions = [f"netlify:sites.delete ({_sites(sites.get(str(t.get('slug')), []))}) in team {_team(t)}" for t in owned]
    return capability_scope(session.provider, ["sites.delete"], evidence, identity, Access.ADMIN, actions)


def _list(
    session: ProviderSession, path: str, headers: dict[str, str], params: dict[str, str]
) -> tuple[int, list[Any]]:
    """A Netlify listing is a bare JSON array; a refusal (403) comes back as its status with nothing listed."""
    answer = session.get(path, headers, params or None)
    if 300 <= answer.status < 400:
        raise unexpected(answer, f"GET {path}")
    body = answer.json() if answer.status == 200 else None
    return answer.status, body if isinstance(body, list) else []


def _team(team: dict[str, Any]) -> str:
    return str(team.get("name") or team.get("slug") or "?")


def _sites(names: list[str]) -> str:
    return ", ".join(limited(sorted(names), 10)) if names else "no site listed"
