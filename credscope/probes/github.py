"""GitHub: `GET /user` names the token's user and, for classic and OAuth tokens, its scopes (X-OAuth-Scopes);
installation tokens (ghs_) list their repositories instead. Fine-grained permissions cannot be read back."""

from __future__ import annotations

from credscope.model import Access, Credential, Scope
from credscope.probes.base import (
    NotProbed,
    bearer,
    json_object,
    queried,
    revoked,
    undetermined,
    unexpected,
    unrevealed,
)
from credscope.probes.client import ProviderSession

_API = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
# scope -> (access, destructive action or "")
SCOPES: dict[str, tuple[Access, str]] = {
    "site_admin": (Access.ADMIN, "github:site_admin (the whole GitHub Enterprise instance)"),
    "admin:enterprise": (Access.ADMIN, "github:admin:enterprise"),
    "admin:org": (Access.ADMIN, "github:admin:org (remove members, delete teams, change org settings)"),
    "delete_repo": (Access.ADMIN, "github:delete_repo (delete any repository the user administers)"),
    "delete:packages": (Access.WRITE, "github:delete:packages"),
    "repo": (Access.WRITE, "github:repo (force-push and delete branches in every private repository)"),
    "public_repo": (Access.WRITE, "github:public_repo (force-push and delete branches in public repositories)"),
    "workflow": (Access.WRITE, ""),
    "write:packages": (Access.WRITE, ""),
    "admin:repo_hook": (Access.WRITE, ""),
    "admin:org_hook": (Access.WRITE, ""),
    "admin:public_key": (Access.WRITE, ""),
    "admin:gpg_key": (Access.WRITE, ""),
    "admin:ssh_signing_key": (Access.WRITE, ""),
    "write:org": (Access.WRITE, ""),
    "write:discussion": (Access.WRITE, ""),
    "gist": (Access.WRITE, ""),
    "user": (Access.WRITE, ""),
    "codespace": (Access.WRITE, ""),
    "project": (Access.WRITE, ""),
}
_ORDER = (Access.NONE, Access.READ, Access.WRITE, Access.ADMIN)


def probe(credential: Credential, session: ProviderSession) -> Scope:
    token = credential.secret
    headers = {**_API, **bearer(token)}
    if token.startswith("ghr_"):
        raise NotProbed("a refresh token is not an API credential; it is never sent")
    if token.startswith("ghs_"):
        return _installation(session, headers)
    answer = session.get("/user", headers)
    if answer.status == 401:
        raise revoked("GET /user: 401 Bad credentials (revoked, expired or never valid)")
    if answer.status != 200:
        raise unexpected(answer, "GET /user")
    user = json_object(answer, "GET /user")
    login = str(user.get("login", ""))
    identity = {"user": login, "token": _token_type(token)}
    if "x-oauth-scopes" not in answer.headers:
        evidence = [f"GET /user: authenticates as {login}; a fine-grained token, whose permissions GitHub does not"
                    " report to a read-only call"]  # fmt: skip
        return unrevealed("a fine-grained token's repository and organization permissions", evidence, identity)
    scopes = [s.strip() for s in answer.headers["x-oauth-scopes"].split(",") if s.strip()]
    if token.startswith("ghu_") and not scopes:
        # A GitHub App user token has no OAuth scopes (GitHub may send the header empty): it acts with its app's
        # installation permissions, limited to what its user may do. Those permissions are readable.
        return _app_user_token(session, headers, login, identity)
    access = Access.READ
    actions: list[str] = []
    for scope in scopes:
        level, action = SCOPES.get(scope, (Access.READ, ""))
        access = max(access, level, key=_ORDER.index)
        if action:
            actions.append(action)
    if user.get("site_admin") is True:
        access = Access.ADMIN
        actions.append("github:site_admin (the whole GitHub Enterprise instance)")
    shown = ", ".join(scopes) if scopes else "none (public data only)"
    evidence = [f"GET /user: authenticates as {login}; X-OAuth-Scopes: {shown}"]
    return queried(access, actions, evidence, identity)


def _installation(session: ProviderSession, headers: dict[str, str]) -> Scope:
    answer = session.get("/installation/repositories", headers, {"per_page": "100"})
    if answer.status == 401:
        raise revoked("GET /installation/repositories: 401 (installation token expired or revoked)")
    if answer.status != 200:
        raise unexpected(answer, "GET /installation/repositories")
    body = json_object(answer, "GET /installation/repositories")
    repositories = [str(r.get("full_name")) for r in body.get("repositories", []) if isinstance(r, dict)]
    shown = ", ".join(repositories[:20]) + (" …" if len(repositories) > 20 else "")
    evidence = [
        f"an app installation token reaching {body.get('total_count', len(repositories))} repositories: {shown}",
        "installation permissions are not reported to a read-only call",
    ]
    return unrevealed("an installation token's permissions", evidence, {"token": "installation"})


# Installation permissions (GitHub App permission names) that hand over the account or destroy.
_APP_ADMIN = {"administration", "organization_administration", "members", "organization_secrets", "secrets"}
_APP_DESTRUCTIVE = {
    "administration": "github:administration:write (delete repositories, change their settings)",
    "organization_administration": "github:organization_administration:write (change the organisation's settings)",
    "contents": "github:contents:write (force-push and delete branches)",
    "packages": "github:packages:write (delete packages)",
    "environments": "github:environments:write (delete deployment environments)",
    "workflows": "github:workflows:write (rewrite CI workflows)",
}


def _app_user_token(session: ProviderSession, headers: dict[str, str], login: str, identity: dict[str, str]) -> Scope:
    answer = session.get("/user/installations", headers, {"per_page": "100"})
    if answer.status != 200:
        if answer.status in (401, 403, 404):
            evidence = [
                f"GET /user: authenticates as {login}; a GitHub App user token",
                f"GET /user/installations: HTTP {answer.status}; the app's permissions are not readable",
            ]
            return undetermined(evidence, identity)
        raise unexpected(answer, "GET /user/installations")
    body = json_object(answer, "GET /user/installations")
    installations = [i for i in body.get("installations", []) if isinstance(i, dict)]
    if not installations:
        evidence = [
            f"GET /user: authenticates as {login}; a GitHub App user token",
            "GET /user/installations: the app is installed on no account this user reaches; its account-level"
            " permissions are not readable",
        ]
        return undetermined(evidence, identity)
    access = Access.READ
    actions: list[str] = []
    described: list[str] = []
    for installation in installations:
        permissions = installation.get("permissions") or {}
        account = (installation.get("account") or {}).get("login") or (installation.get("account") or {}).get("slug")
        written = sorted(p for p, level in permissions.items() if level in ("write", "admin"))
        for name in written:
            level = Access.ADMIN if name in _APP_ADMIN else Access.WRITE
            access = max(access, level, key=_ORDER.index)
            if name in _APP_DESTRUCTIVE:
                actions.append(f"{_APP_DESTRUCTIVE[name]} on {account}")
        shown = ", ".join(f"{p}:{permissions[p]}" for p in sorted(permissions)) or "none"
        selection = installation.get("repository_selection", "?")
        described.append(f"{installation.get('app_slug', '?')} on {account} ({selection} repositories): {shown}")
    evidence = [
        f"GET /user: authenticates as {login}; a GitHub App user token, acting with its app's installation"
        " permissions as far as its user may (at most these)",
        "GET /user/installations: " + "; ".join(described),
    ]
    return queried(access, actions, evidence, identity)


def _token_type(token: str) -> str:
    prefixes = {
        "ghp_": "classic personal access token",
        "gho_": "OAuth token",
        "ghu_": "GitHub App user token",
        "ghr_": "refresh token",
        "github_pat_": "fine-grained personal access token",
    }
    return next((kind for prefix, kind in prefixes.items() if token.startswith(prefix)), "token")
