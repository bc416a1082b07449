"""Railway: account, workspace and project tokens are all bare UUIDs, so the name, header or file tells them
apart; legacy `rw_Fe26.2` sessions carry their expiry; OAuth tokens come from the CLI's config file, where any
token under `user` is the CLI's account-level login."""

from __future__ import annotations

import re

from credscope.detect.decoding import iron_expiry_ms
from credscope.model import Scope
from credscope.scope.facts import add, context_values, date, expired, from_kind, names, paths
from credscope.scope.infer import Subject

VOLUME_DELETE_NOTE = (
    "volumeDelete takes no environment: it removes the volume and its backups in every environment of the project"
)
_CONFIG_FILE = re.compile(r"(?:^|/)\.railway/config(?:-[a-z]+)?\.json$")
_API_TOKEN_NAME = re.compile(r"(?i)railway_api_token|railway_(?:account|api)_?(?:token|key)")


def infer(subject: Subject) -> Scope:
    credential = subject.credential
    match credential.kind:
        case "cli-session":
            return _legacy_session(subject)
        case "oauth-token":
            return _oauth(subject)
        case "project-token":
            return from_kind(subject, "project-token", _how_named(subject))
        case "workspace-token":
            return from_kind(subject, "workspace-token", (*_how_named(subject), VOLUME_DELETE_NOTE))
        case "account-token":
            return from_kind(subject, "account-token", (*_how_named(subject), VOLUME_DELETE_NOTE))
        case other:
            return from_kind(subject, other)


def _how_named(subject: Subject) -> tuple[str, ...]:
    """Why this UUID is taken for this kind of token: the name, header or file it came from."""
    login = _cli_login(subject)
    if login is not None and subject.credential.kind == "account-token":
        return (login,)
    found: list[str] = []
    for name in names(subject.credential):
        lowered = name.lower()
        if lowered == "railway_token":
            found.append("assigned to RAILWAY_TOKEN, which the Railway CLI sends as Project-Access-Token")
        elif lowered == "project-access-token":
            found.append("sent in the Project-Access-Token header: a project token")
        elif _API_TOKEN_NAME.fullmatch(name):
            found.append(f"assigned to {name}, which the Railway CLI sends as a Bearer account or workspace token")
        elif lowered in ("authorization", "bearer"):
            found.append("sent as a Bearer token: an account or workspace token (Railway refuses project tokens there)")
        else:
            found.append(f"assigned to {name}")
    if subject.credential.kind == "account-token" and not found:
        found.append("used beside backboard.railway with no name: taken as an account token, the widest kind")
    if subject.credential.kind == "account-token":
        found.append("account and workspace tokens look alike; only a live query (query { me }) tells them apart")
    return tuple(found)


def _cli_login(subject: Subject) -> str | None:
    """Why a value in the Railway CLI's config file is an account-level login, whatever its format."""
    for location in subject.credential.locations:
        key = location.context.get("key_path", "")
        if location.context.get("store") == "railway-config" and key.startswith("user."):
            linked = location.context.get("linked_projects")
            return (
                f"{key} in the Railway CLI config ({location.path}): the CLI sends it as its Bearer token, with its"
                " user's account-wide power (a workspace or project token is never kept there)"
                + (f"; directories are linked there to {linked}" if linked else "")
            )
    return None


def _legacy_session(subject: Subject) -> Scope:
    expiry_ms = iron_expiry_ms(subject.credential.secret)
    what = "legacy Railway CLI session (rw_Fe26.2)"
    if expiry_ms is not None:
        gone = expired(subject, expiry_ms / 1000, what)
        if gone is not None:
            return gone
    scope = from_kind(
        subject,
        "cli-session",
        (f"{what}: sent as a Bearer token with the user's full account power", VOLUME_DELETE_NOTE),
    )
    if expiry_ms is None:
        return add(scope, ("the iron seal carries no expiry",))
    return add(scope, (f"the iron seal expires {date(expiry_ms / 1000)}",), {"expires": date(expiry_ms / 1000)})


def _oauth(subject: Subject) -> Scope:
    field = next(iter(context_values(subject.credential, "field")), "accessToken")
    in_config = any(_CONFIG_FILE.search(path) for path in paths(subject.credential))
    where = "in the Railway CLI config file" if in_config else "an OAuth token"
    if field == "refreshToken":
        evidence = (
            f"refreshToken {where}: rotates and lasts about a year; it mints access tokens with the CLI's scopes"
            " workspace:admin project:admin",
        )
    else:
        evidence = (
            f"accessToken {where}: the CLI asks for scopes workspace:admin project:admin; it lasts one hour"
            " (tokenExpiresAt beside it)",
        )
    return from_kind(subject, "oauth-token", (*evidence, VOLUME_DELETE_NOTE), {"token": field})
