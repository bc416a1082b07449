"""Reading what a Railway token reaches, piece by piece, keeping whatever could be read.

Railway's schema is non-null from `project` down to the volume-instance connections, so one field the token may
not read ("Not Authorized": a restricted environment, another environment of a project token) turns the whole
answer into `data: null`. So a refused page of projects is read again project by project, a refused project
environment by environment; pages are followed to the end; and what still cannot be read comes back as a reason
beside what could, never as an empty list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from credscope.probes.client import Answer, ProviderSession

PAGE = 100  # projects (or instances) asked for per request
MAX_PAGES = 50  # then stop, and say the list was cut

_CONNECTION = "pageInfo { hasNextPage endCursor }"
_REACH = """
fragment CredscopeReach on Project {
  id name
  environments { edges { node { id name canAccess
    volumeInstances { edges { node { volumeId } } pageInfo { hasNextPage } } } } pageInfo { hasNextPage } }
  services { edges { node { id name } } pageInfo { hasNextPage } }
  volumes { edges { node { id name } } pageInfo { hasNextPage } }
  members @include(if: $withRoles) { id email role }
}
"""
ME = "query CredscopeMe { me { id email name } }"
WORKSPACES = "query CredscopeWorkspaces { me { workspaces { id name } } }"
API_TOKEN = "query CredscopeApiToken { apiToken { workspaces { id name } } }"
PROJECT_TOKEN = (
    "query CredscopeProjectToken { projectToken { projectId environmentId"
    " project { id name } environment { id name } } }"
)
MEMBERS = "query CredscopeMembers($id: String!) { workspace(workspaceId: $id) { members { id email role } } }"
WORKSPACE_PROJECTS = (
    "query CredscopeWorkspaceProjects($id: String!, $after: String, $withRoles: Boolean!) {"
    f" workspace(workspaceId: $id) {{ projects(first: {PAGE}, after: $after) {{"
    f" edges {{ node {{ ...CredscopeReach }} }} {_CONNECTION} }} }} }}" + _REACH
)
WORKSPACE_PROJECT_IDS = (
    "query CredscopeWorkspaceProjectIds($id: String!, $after: String) {"
    f" workspace(workspaceId: $id) {{ projects(first: {PAGE}, after: $after) {{ edges {{ node {{ id name }} }}"
    f" {_CONNECTION} }} }} }}"
)
# Projects shared with the user one by one, in workspaces they are not a member of (and an OAuth grant of
# single projects): `me { workspaces }` never lists them.
EXTERNAL = (
    "query CredscopeExternal($withRoles: Boolean!) { externalWorkspaces { id name projects { ...CredscopeReach } } }"
    + _REACH
)
EXTERNAL_IDS = "query CredscopeExternalIds { externalWorkspaces { id name projects { id name } } }"
PROJECT = (
    "query CredscopeProject($id: String!, $withRoles: Boolean!) { project(id: $id) { ...CredscopeReach } }" + _REACH
)
PROJECT_OUTLINE = (
    "query CredscopeProjectOutline($id: String!) { project(id: $id) { id name"
    " environments { edges { node { id name canAccess } } pageInfo { hasNextPage } }"
    " services { edges { node { id name } } pageInfo { hasNextPage } }"
    " volumes { edges { node { id name } } pageInfo { hasNextPage } } } }"
)
PROJECT_MEMBERS = "query CredscopeProjectMembers($id: String!) { project(id: $id) { members { id email role } } }"
# One environment's own instances: what the Railway CLI reads under a project token (EnvironmentInstances).
ENVIRONMENT_VOLUMES = (
    "query CredscopeEnvironmentVolumes($id: String!, $projectId: String!, $after: String) {"
    f" environment(id: $id, projectId: $projectId) {{ volumeInstances(first: {PAGE}, after: $after) {{"
    f" edges {{ node {{ volumeId volume {{ id name }} }} }} {_CONNECTION} }} }} }}"
)
ENVIRONMENT_SERVICES = (
    "query CredscopeEnvironmentServices($id: String!, $projectId: String!, $after: String) {"
    f" environment(id: $id, projectId: $projectId) {{ serviceInstances(first: {PAGE}, after: $after) {{"
    f" edges {{ node {{ serviceId serviceName }} }} {_CONNECTION} }} }} }}"
)
DOCUMENTS = (
    ME,
    WORKSPACES,
    API_TOKEN,
    PROJECT_TOKEN,
    MEMBERS,
    WORKSPACE_PROJECTS,
    WORKSPACE_PROJECT_IDS,
    EXTERNAL,
    EXTERNAL_IDS,
    PROJECT,
    PROJECT_OUTLINE,
    PROJECT_MEMBERS,
    ENVIRONMENT_VOLUMES,
    ENVIRONMENT_SERVICES,
)


@dataclass(frozen=True)
class Reply:
    answer: Answer
    data: Mapping[str, Any] | None  # what came back, possibly partial
    errors: str | None  # the errors' messages, or why there is no data


@dataclass(frozen=True)
class Member:
    id: str
    email: str
    role: str  # ADMIN, MEMBER, VIEWER


@dataclass(frozen=True)
class Project:
    id: str
    name: str
    environments: tuple[str, ...]
    services: tuple[str, ...]
    volumes: tuple[tuple[str, tuple[str, ...]], ...]  # volume name, environments holding an instance of it
    members: tuple[Member, ...] | None  # None: not asked for, or refused (then said in `gaps`)
    gaps: tuple[str, ...] = ()  # what of the project could not be read, and why
    outlined: bool = True  # False: not even its services and volumes could be read

    def role_of(self, user_id: str, email: str) -> str | None:
        for member in self.members or ():
            if member.id == user_id or (email and member.email.lower() == email.lower()):
                return member.role
        return None


@dataclass(frozen=True)
class Listing:
    """What a list of projects gave: the projects read, and why the list stops short, if it does."""

    projects: tuple[Project, ...]
    cut: str | None = None


class Reader:
    """Read-only GraphQL with one token's headers, through the guarded session."""

    def __init__(self, session: ProviderSession, headers: Mapping[str, str]) -> None:
        self.session = session
        self.headers = headers

    def ask(self, document: str, operation: str, variables: Mapping[str, Any] | None = None) -> Reply:
        answer = self.session.graphql(document, self.headers, variables, operation=operation)
        if answer.status != 200:
            return Reply(answer, None, f"{operation}: HTTP {answer.status}")
        body = answer.json()
        if not isinstance(body, dict):
            return Reply(answer, None, f"{operation}: the answer is not a JSON object")
        data = body.get("data") if isinstance(body.get("data"), dict) else None
        errors = [e for e in body.get("errors") or () if isinstance(e, dict)]
        if errors:
            messages = "; ".join(dict.fromkeys(str(e.get("message", "")) for e in errors)) or "error"
            return Reply(answer, data, f"{operation}: {messages}")
        return Reply(answer, data, None if data is not None else f"{operation}: no data")

    def workspace_projects(self, workspace_id: str, with_roles: bool) -> Listing:
        """Every project of a workspace, page after page; a refused page is read again project by project."""
        projects: list[Project] = []
        after: str | None = None
        for _ in range(MAX_PAGES):
            variables = {"id": workspace_id, "after": after}
            whole = self.ask(WORKSPACE_PROJECTS, "CredscopeWorkspaceProjects", {**variables, "withRoles": with_roles})
            page = at(whole.data, "workspace", "projects")
            if isinstance(page, dict):
                projects.extend(project_from(node, with_roles) for node in nodes(page))
            else:
                listed = self.ask(WORKSPACE_PROJECT_IDS, "CredscopeWorkspaceProjectIds", variables)
                page = at(listed.data, "workspace", "projects")
                if not isinstance(page, dict):
                    return Listing(tuple(projects), listed.errors or whole.errors)
                projects.extend(self.project(node, with_roles) for node in nodes(page))
            if not _more(page):
                return Listing(tuple(projects))
            after = at(page, "pageInfo", "endCursor")
            if not isinstance(after, str):
                return Listing(tuple(projects), "CredscopeWorkspaceProjects: more pages, but no cursor to ask for")
        return Listing(tuple(projects), f"listing stopped after {MAX_PAGES} pages of {PAGE} projects")

    def external(self) -> tuple[tuple[tuple[str, Listing], ...], str | None]:
        """(workspace name, its projects shared with the user) for each external workspace, or why not."""
        whole = self.ask(EXTERNAL, "CredscopeExternal", {"withRoles": True})
        shared = at(whole.data, "externalWorkspaces")
        read_whole = isinstance(shared, list)
        if not read_whole:
            listed = self.ask(EXTERNAL_IDS, "CredscopeExternalIds")
            shared = at(listed.data, "externalWorkspaces")
            if not isinstance(shared, list):
                return (), listed.errors or whole.errors
        found: list[tuple[str, Listing]] = []
        for workspace in dicts(shared):
            projects = dicts(workspace.get("projects"))
            read = (project_from(p, True) if read_whole else self.project(p, True) for p in projects)
            found.append((text(workspace, "name", "id"), Listing(tuple(read))))
        return tuple(found), None

    def project(self, node: Mapping[str, Any], with_roles: bool) -> Project:
        """One project on its own; if refused, its outline and then each environment it may read."""
        project_id, name = str(node.get("id") or ""), text(node, "name", "id")
        whole = self.ask(PROJECT, "CredscopeProject", {"id": project_id, "withRoles": with_roles})
        found = at(whole.data, "project")
        if isinstance(found, dict):
            return project_from(found, with_roles)
        outline = self.ask(PROJECT_OUTLINE, "CredscopeProjectOutline", {"id": project_id})
        found = at(outline.data, "project")
        if not isinstance(found, dict):
            gap = f"its environments, services and volumes could not be read ({outline.errors or whole.errors})"
            return Project(project_id, name, (), (), (), None, (gap,), outlined=False)
        gaps = list(_truncated(found))
        holders: dict[str, list[str]] = {}
        environments: list[str] = []
        for environment in nodes(found.get("environments")):
            env_name = text(environment, "name", "id")
            environments.append(env_name)
            if environment.get("canAccess") is False:
                gaps.append(f"environment {env_name}: Railway says the token may not read it (canAccess false)")
                continue
            instances, refused = self.environment_volumes(project_id, str(environment.get("id") or ""))
            for volume_id, _ in instances:
                holders.setdefault(volume_id, []).append(env_name)
            if refused:
                gaps.append(f"environment {env_name}: its volumes could not be read ({refused})")
        members: tuple[Member, ...] | None = None
        if with_roles:
            asked = self.ask(PROJECT_MEMBERS, "CredscopeProjectMembers", {"id": project_id})
            listed = at(asked.data, "project", "members")
            if isinstance(listed, list):
                members = _members(listed)
            else:
                gaps.append(f"its members could not be read ({asked.errors})")
        return Project(
            project_id,
            text(found, "name", "id"),
            tuple(environments),
            _names(found.get("services")),
            _volumes(found.get("volumes"), holders),
            members,
            tuple(gaps),
        )

    def environment_volumes(self, project_id: str, environment_id: str) -> tuple[list[tuple[str, str]], str | None]:
        """(volume id, volume name) of each volume instance in one environment, and why the list stops short."""
        variables = {"id": environment_id, "projectId": project_id}
        found, why = self._pages(ENVIRONMENT_VOLUMES, "CredscopeEnvironmentVolumes", variables, "volumeInstances")
        volumes = [(str(n.get("volumeId") or ""), text(n.get("volume") or {}, "name", "id") or "?") for n in found]
        return volumes, why

    def environment_services(self, project_id: str, environment_id: str) -> tuple[list[str], str | None]:
        variables = {"id": environment_id, "projectId": project_id}
        found, why = self._pages(ENVIRONMENT_SERVICES, "CredscopeEnvironmentServices", variables, "serviceInstances")
        return [text(n, "serviceName", "serviceId") for n in found], why

    def _pages(
        self, document: str, operation: str, variables: Mapping[str, Any], field: str
    ) -> tuple[list[Mapping[str, Any]], str | None]:
        found: list[Mapping[str, Any]] = []
        after: str | None = None
        for _ in range(MAX_PAGES):
            reply = self.ask(document, operation, {**variables, "after": after})
            page = at(reply.data, "environment", field)
            if not isinstance(page, dict):
                return found, reply.errors or f"{operation}: no answer"
            found.extend(nodes(page))
            if not _more(page):
                return found, None
            after = at(page, "pageInfo", "endCursor")
            if not isinstance(after, str):
                return found, f"{operation}: more pages, but no cursor to ask for"
        return found, f"listing stopped after {MAX_PAGES} pages of {PAGE}"


def project_from(node: Mapping[str, Any], with_roles: bool) -> Project:
    """A project read whole (the CredscopeReach fragment)."""
    environments: list[str] = []
    holders: dict[str, list[str]] = {}
    for environment in nodes(node.get("environments")):
        env_name = text(environment, "name", "id")
        environments.append(env_name)
        for instance in nodes(environment.get("volumeInstances")):
            holders.setdefault(str(instance.get("volumeId")), []).append(env_name)
    members = _members(node["members"]) if with_roles and isinstance(node.get("members"), list) else None
    return Project(
        str(node.get("id") or ""),
        text(node, "name", "id"),
        tuple(environments),
        _names(node.get("services")),
        _volumes(node.get("volumes"), holders),
        members,
        _truncated(node),
    )


def _truncated(node: Mapping[str, Any]) -> tuple[str, ...]:
    """A connection Railway says has more than it gave: said, not silently taken as the whole list."""
    cut = [
        f"only the first {len(nodes(node.get(field)))} {field} were listed"
        for field in ("environments", "services", "volumes")
        if _more(node.get(field))
    ]
    for environment in nodes(node.get("environments")):
        if _more(environment.get("volumeInstances")):
            cut.append(f"environment {text(environment, 'name', 'id')}: only some of its volumes were listed")
    return tuple(cut)


def _more(connection: Any) -> bool:
    return at(connection, "pageInfo", "hasNextPage") is True


def _names(connection: Any) -> tuple[str, ...]:
    return tuple(text(n, "name", "id") for n in nodes(connection))


def _volumes(connection: Any, holders: Mapping[str, Sequence[str]]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((text(v, "name", "id"), tuple(holders.get(str(v.get("id")), ()))) for v in nodes(connection))


def _members(listed: Sequence[Any]) -> tuple[Member, ...]:
    return tuple(
        Member(str(m.get("id") or ""), str(m.get("email") or ""), str(m.get("role") or "").upper())
        for m in dicts(listed)
    )


def at(data: Mapping[str, Any] | None, *path: str) -> Any:
    """The value at `path` in an answer, or None wherever an object is missing (or is not an object)."""
    value: Any = data
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def nodes(connection: Any) -> list[Mapping[str, Any]]:
    edges = connection.get("edges") if isinstance(connection, dict) else None
    return [edge["node"] for edge in dicts(edges) if isinstance(edge.get("node"), dict)]


def dicts(value: Any) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def text(node: Mapping[str, Any], *keys: str) -> str:
    """The first of `keys` that holds a value, as text."""
    for key in keys:
        if node.get(key):
            return str(node[key])
    return ""
