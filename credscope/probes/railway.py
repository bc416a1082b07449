"""Railway: tell account, workspace and project tokens apart with read-only queries, then list what each reaches.

`me` answers only account (and OAuth/CLI session) tokens, `apiToken { workspaces }` account and workspace
tokens, `projectToken` (sent in the Project-Access-Token header) only project tokens. Variables are never read:
the YAML forbids the fields that return them, and the guard refuses any document that names one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from credscope.model import Access, Credential, Scope
from credscope.probes.base import NotProbed, bearer, json_object, limited, queried, revoked, unexpected
from credscope.probes.client import ProviderSession

ME = "query CredscopeMe { me { id email name } }"
API_TOKEN = "query CredscopeApiToken { apiToken { workspaces { id name } } }"
PROJECT_TOKEN = (
    "query CredscopeProjectToken { projectToken { projectId environmentId"
    " project { id name } environment { id name } } }"
)
_PROJECT_FIELDS = """
  id name
  environments { edges { node { id name volumeInstances { edges { node { volumeId } } } } } }
  services { edges { node { id name } } }
  volumes { edges { node { id name } } }
"""
WORKSPACES = "query CredscopeWorkspaces { me { workspaces { id name } } }"
WORKSPACE = (
    "query CredscopeWorkspace($id: String!) { workspace(workspaceId: $id) { id name"
    " projects(first: 100) { edges { node {" + _PROJECT_FIELDS + "} } } } }"
)
# Apart from the reach, so that a workspace whose member list is hidden still shows what the token reaches.
MEMBERS = "query CredscopeMembers($id: String!) { workspace(workspaceId: $id) { members { email role } } }"
PROJECT = "query CredscopeProject($id: String!) { project(id: $id) {" + _PROJECT_FIELDS + "} }"

_DENIED = ("not authorized", "unauthorized", "invalid token", "token not found", "authentication")


@dataclass(frozen=True)
class _Project:
    name: str
    environments: tuple[str, ...]
    services: tuple[str, ...]
    volumes: tuple[tuple[str, tuple[str, ...]], ...]  # volume name, environments holding an instance


def probe(credential: Credential, session: ProviderSession) -> Scope:
    token = credential.secret
    if credential.kind == "oauth-token" and any(
        loc.context.get("field") == "refreshToken" for loc in credential.locations
    ):
        raise NotProbed("a refresh token is never sent anywhere: using it would rotate it")
    order = (
        (_as_project, _as_account, _as_workspace)
        if credential.kind == "project-token"
        else (_as_account, _as_workspace, _as_project)
    )
    denials: list[str] = []
    for attempt in order:
        scope = attempt(session, token, denials)
        if scope is not None:
            return scope
    raise revoked("Railway refused the token as account, workspace and project token: " + "; ".join(denials))


def _query(
    session: ProviderSession,
    document: str,
    headers: Mapping[str, str],
    operation: str,
    variables: Mapping[str, Any] | None = None,
) -> tuple[Any, str | None]:
    """(data, None) on success, (None, reason) when Railway refuses this token for this query."""
    answer = session.graphql(document, headers, variables, operation=operation)
    if answer.status in (401, 403):
        return None, f"{operation}: HTTP {answer.status}"
    if answer.status != 200:
        raise unexpected(answer, operation)
    body = json_object(answer, operation)
    errors = body.get("errors") or []
    data = body.get("data")
    if errors:
        message = "; ".join(str(e.get("message", "")) for e in errors if isinstance(e, dict)) or "error"
        if any(word in message.lower() for word in _DENIED) or not data:
            return None, f"{operation}: {message}"
    return data, None


def _as_account(session: ProviderSession, token: str, denials: list[str]) -> Scope | None:
    data, denied = _query(session, ME, bearer(token), "CredscopeMe")
    me = (data or {}).get("me")
    if not isinstance(me, dict):
        denials.append(denied or "me: no user")
        return None
    listed, _ = _query(session, WORKSPACES, bearer(token), "CredscopeWorkspaces")
    workspaces = _list(((listed or {}).get("me") or {}).get("workspaces"))
    email = str(me.get("email") or me.get("name") or me.get("id") or "")
    identity = {"token": "account", "user": email}
    return _workspace_scope(session, token, workspaces, identity, "account token", email)


def _as_workspace(session: ProviderSession, token: str, denials: list[str]) -> Scope | None:
    data, denied = _query(session, API_TOKEN, bearer(token), "CredscopeApiToken")
    workspaces = _list(((data or {}).get("apiToken") or {}).get("workspaces"))
    if not workspaces:
        denials.append(denied or "apiToken: no workspace")
        return None
    identity = {"token": "workspace", "workspace": ", ".join(str(w.get("name", "")) for w in workspaces)}
    return _workspace_scope(session, token, workspaces, identity, "workspace token", None)


def _as_project(session: ProviderSession, token: str, denials: list[str]) -> Scope | None:
    headers = {"Project-Access-Token": token}
    data, denied = _query(session, PROJECT_TOKEN, headers, "CredscopeProjectToken")
    info = (data or {}).get("projectToken")
    if not isinstance(info, dict):
        denials.append(denied or "projectToken: no project")
        return None
    project_id = str(info.get("projectId") or (info.get("project") or {}).get("id") or "")
    environment = str((info.get("environment") or {}).get("name") or info.get("environmentId") or "")
    found, _ = _query(session, PROJECT, headers, "CredscopeProject", {"id": project_id})
    project = _project((found or {}).get("project") or info.get("project") or {"name": project_id})
    identity = {"token": "project", "project": project.name, "environment": environment}
    actions: list[str] = []
    evidence = [f"Railway answered projectToken: a project token for {project.name} ({environment})"]
    for service in project.services:
        actions.append(f"railway:serviceDelete {service} ({project.name}, {environment})")
        evidence.append(f"can delete service {service} in project {project.name} ({environment})")
    for volume, environments in project.volumes:
        if environment in environments or not environments:
            actions.append(f"railway:environmentPatchCommit volume {volume} isDeleted ({project.name}, {environment})")
            evidence.append(f"can delete volume {volume} in project {project.name} ({environment})")
    evidence.append("a project token cannot delete the project or other environments")
    return queried(Access.WRITE, limited(actions), limited(evidence), identity, destructive=bool(actions) or None)


def _workspace_scope(
    session: ProviderSession,
    token: str,
    workspaces: Sequence[Mapping[str, Any]],
    identity: dict[str, str],
    what: str,
    email: str | None,
) -> Scope:
    actions: list[str] = []
    evidence = [f"Railway answered {'me' if email is not None else 'apiToken'}: an {what}"]
    if email is None:
        evidence[0] = f"Railway answered apiToken but not me: a {what}"
    access = Access.READ
    for workspace in workspaces:
        data, denied = _query(session, WORKSPACE, bearer(token), "CredscopeWorkspace", {"id": str(workspace.get("id"))})
        details = (data or {}).get("workspace") or {}
        name = str(details.get("name") or workspace.get("name") or workspace.get("id"))
        if denied and not details:
            # Listing is refused but the token works: as wide as the kind can be, and said so.
            evidence.append(f"workspace {name}: its projects could not be listed ({denied}); taken as Admin")
            access = Access.ADMIN
            continue
        role = "ADMIN" if email is None else _member_role(session, token, str(workspace.get("id")), email)
        if role in ("ADMIN", None):
            access = Access.ADMIN
            why = "the token's user is ADMIN" if role else "the role cannot be read; taken as Admin"
            if email is None:
                why = "a workspace token reaches every resource of its workspace"
            evidence.append(f"workspace {name}: {why}")
            for project in _projects(details):
                actions.append(f"railway:projectDelete {project.name}")
                evidence.append(f"can delete project {project.name} (workspace {name})")
                for volume, environments in project.volumes:
                    places = ", ".join(environments or project.environments)
                    actions.append(f"railway:volumeDelete {volume} ({project.name})")
                    evidence.append(f"can delete volume {volume} in project {project.name} ({places})")
                    if len(environments) > 1:
                        evidence.append(
                            f"volume {volume} is shared by {places}: volumeDelete takes no environment and removes"
                            " it, with its backups, from all of them"
                        )
                for service in project.services:
                    actions.append(f"railway:serviceDelete {service} ({project.name})")
        elif role == "MEMBER":
            access = Access.WRITE if access is Access.READ else access
            evidence.append(f"workspace {name}: MEMBER — can change services and variables, not delete them")
        else:
            evidence.append(f"workspace {name}: {role} — read only")
    if not workspaces:
        evidence.append("the token reaches no workspace")
    return queried(access, limited(actions), limited(evidence), identity)


def _member_role(session: ProviderSession, token: str, workspace_id: str, email: str) -> str | None:
    """The token's user's role in a workspace (ADMIN, MEMBER, VIEWER), or None when it cannot be read."""
    data, _ = _query(session, MEMBERS, bearer(token), "CredscopeMembers", {"id": workspace_id})
    for member in _list(((data or {}).get("workspace") or {}).get("members")):
        if str(member.get("email", "")).lower() == email.lower():
            return str(member.get("role", "")).upper() or None
    return None


def _projects(workspace: Mapping[str, Any]) -> list[_Project]:
    return [_project(edge.get("node") or {}) for edge in _list((workspace.get("projects") or {}).get("edges"))]


def _project(node: Mapping[str, Any]) -> _Project:
    environments: list[str] = []
    holders: dict[str, list[str]] = {}
    for env in _nodes(node.get("environments")):
        env_name = str(env.get("name", ""))
        environments.append(env_name)
        for instance in _nodes(env.get("volumeInstances")):
            holders.setdefault(str(instance.get("volumeId")), []).append(env_name)
    volumes = tuple(
        (str(v.get("name") or v.get("id")), tuple(holders.get(str(v.get("id")), ())))
        for v in _nodes(node.get("volumes"))
    )
    services = tuple(str(s.get("name") or s.get("id")) for s in _nodes(node.get("services")))
    return _Project(str(node.get("name") or node.get("id") or "?"), tuple(environments), services, volumes)


def _nodes(connection: Any) -> list[Mapping[str, Any]]:
    edges = connection.get("edges") if isinstance(connection, dict) else None
    return [edge["node"] for edge in _list(edges) if isinstance(edge.get("node"), dict)]


def _list(value: Any) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []
