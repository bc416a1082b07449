"""Railway: tell account, workspace and project tokens apart with read-only queries, then judge what each reaches.

`me` answers only account (and OAuth/CLI session) tokens, `apiToken { workspaces }` account and workspace
tokens, `projectToken` (sent in the Project-Access-Token header) only project tokens. A user's power is their
workspace role *and* their project roles: a workspace Member or Viewer is ADMIN of the projects they created or
were given, and projects shared one by one live under `externalWorkspaces`. What cannot be read is said, and
makes the verdict unknown rather than safe. Variables and tokens are never read: the YAML forbids the fields
that return them, and the guard refuses any document that names one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from credscope.model import Access, Credential, Scope
from credscope.probes.base import NotProbed, bearer, limited, queried, revoked, unexpected
from credscope.probes.client import ProviderSession
from credscope.probes.railway_reach import (
    API_TOKEN,
    ME,
    MEMBERS,
    PROJECT_TOKEN,
    WORKSPACES,
    Listing,
    Project,
    Reader,
    Reply,
    at,
    dicts,
    text,
)

_DENIED = ("not authorized", "unauthorized", "invalid token", "token not found", "authentication")
_ORDER = (Access.NONE, Access.READ, Access.WRITE, Access.ADMIN)


@dataclass
class _Verdict:
    """What the answers add up to; `unknown` holds what could not be read, which keeps the verdict from
    being lower than the token's kind could be."""

    ceiling: Access  # the most its kind can be: admin for Bearer tokens, write for a project token
    access: Access = Access.READ  # the token works, so it reads at least
    actions: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    def at_least(self, access: Access) -> None:
        self.access = max(self.access, access, key=_ORDER.index)

    def cannot_read(self, what: str) -> None:
        self.unknown.append(what)

    def scope(self, identity: Mapping[str, str]) -> Scope:
        access = self.access
        if self.unknown and access is not self.ceiling:
            access = Access.UNKNOWN  # some part could raise it: the parts read are a floor, not the answer
        # What could not be read comes last and is never cut off by a long list of what could.
        evidence = (*limited(self.evidence), *limited((f"unknown: {what}" for what in self.unknown), 10))
        scope = queried(access, limited(self.actions), evidence, identity)
        # Nothing named and something unread: whether it can destroy is unknown, not "no".
        return scope if self.actions or not self.unknown else replace(scope, destructive=None)


def probe(credential: Credential, session: ProviderSession) -> Scope:
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
        scope = attempt(credential, session, denials)
        if scope is not None:
            return scope
    raise revoked("Railway refused the token as account, workspace and project token: " + "; ".join(denials))


def _classify(reply: Reply, key: str, denials: list[str]) -> Mapping[str, object] | None:
    """The object a classifying query returned, or None (and why, in `denials`) when Railway refused the token."""
    if reply.answer.status not in (200, 401, 403):
        raise unexpected(reply.answer, reply.errors or key)
    found = (reply.data or {}).get(key)
    if isinstance(found, dict) and not (reply.errors and any(w in reply.errors.lower() for w in _DENIED)):
        return found
    denials.append(reply.errors or f"{key}: no answer")
    return None


def _as_account(credential: Credential, session: ProviderSession, denials: list[str]) -> Scope | None:
    reader = Reader(session, bearer(credential.secret))
    me = _classify(reader.ask(ME, "CredscopeMe"), "me", denials)
    if me is None:
        return None
    user_id, email = str(me.get("id") or ""), str(me.get("email") or me.get("name") or me.get("id") or "")
    oauth = credential.kind == "oauth-token"
    verdict = _Verdict(Access.ADMIN)
    verdict.evidence.append(
        "Railway answered me: an OAuth token; it acts with its user's roles, capped by the scopes granted"
        if oauth
        else "Railway answered me: an account token"
    )
    listed = reader.ask(WORKSPACES, "CredscopeWorkspaces")
    member_of = at(listed.data, "me", "workspaces")
    if isinstance(member_of, list):
        for workspace in dicts(member_of):
            _user_workspace(reader, verdict, workspace, user_id, email)
    else:
        verdict.cannot_read(f"the workspaces of {email} ({listed.errors})")
    shared, refused = reader.external()
    for workspace_name, listing in shared:
        for project in listing.projects:
            _shared_project(verdict, project, workspace_name, user_id, email)
    if refused:
        verdict.cannot_read(f"the projects shared with {email} outside their workspaces ({refused})")
    if member_of == [] and not shared and not refused:
        verdict.evidence.append("the token reaches no workspace and no project")
    return verdict.scope({"token": "oauth" if oauth else "account", "user": email})


def _as_workspace(credential: Credential, session: ProviderSession, denials: list[str]) -> Scope | None:
    reader = Reader(session, bearer(credential.secret))
    context = _classify(reader.ask(API_TOKEN, "CredscopeApiToken"), "apiToken", denials)
    workspaces = dicts((context or {}).get("workspaces"))
    if not workspaces:
        if context is not None:
            denials.append("apiToken: no workspace")
        return None
    verdict = _Verdict(Access.ADMIN, Access.ADMIN)
    verdict.evidence.append("Railway answered apiToken but not me: a workspace token")
    for workspace in workspaces:
        name = text(workspace, "name", "id")
        verdict.evidence.append(f"workspace {name}: a workspace token reaches every resource of its workspace")
        listing = reader.workspace_projects(str(workspace.get("id") or ""), with_roles=False)
        _can_delete_all(verdict, listing, name)
    names = ", ".join(text(w, "name", "id") for w in workspaces)
    return verdict.scope({"token": "workspace", "workspace": names})


def _as_project(credential: Credential, session: ProviderSession, denials: list[str]) -> Scope | None:
    reader = Reader(session, {"Project-Access-Token": credential.secret})
    info = _classify(reader.ask(PROJECT_TOKEN, "CredscopeProjectToken"), "projectToken", denials)
    if info is None:
        return None
    project_node, environment_node = info.get("project"), info.get("environment")
    project_id = str(info.get("projectId") or "")
    environment_id = str(info.get("environmentId") or "")
    project = text(project_node, "name", "id") if isinstance(project_node, dict) else project_id
    environment = text(environment_node, "name", "id") if isinstance(environment_node, dict) else environment_id
    verdict = _Verdict(Access.WRITE, Access.WRITE)
    verdict.evidence.append(f"Railway answered projectToken: a project token for {project} ({environment})")
    # Only its own environment: asking for the project's other environments is refused, and blanks the answer.
    services, refused_services = reader.environment_services(project_id, environment_id)
    for service in services:
        verdict.actions.append(f"railway:serviceDelete {service} ({project}, {environment})")
        verdict.evidence.append(f"can delete service {service} in project {project} ({environment})")
    if refused_services:
        verdict.cannot_read(f"the services of {project} ({environment}) ({refused_services})")
    volumes, refused_volumes = reader.environment_volumes(project_id, environment_id)
    for _, volume in volumes:
        verdict.actions.append(f"railway:environmentPatchCommit volume {volume} isDeleted ({project}, {environment})")
        verdict.evidence.append(f"can delete volume {volume} in project {project} ({environment})")
    if refused_volumes:
        verdict.cannot_read(f"the volumes of {project} ({environment}) ({refused_volumes})")
    if not (services or volumes or verdict.unknown):
        verdict.evidence.append(f"environment {environment} holds no service and no volume")
    verdict.evidence.append("a project token cannot delete the project or other environments")
    return verdict.scope({"token": "project", "project": project, "environment": environment})


def _user_workspace(
    reader: Reader, verdict: _Verdict, workspace: Mapping[str, object], user_id: str, email: str
) -> None:
    """A workspace the user belongs to: their workspace role, then their role in each of its projects."""
    workspace_id, name = str(workspace.get("id") or ""), text(workspace, "name", "id")
    role = _workspace_role(reader, workspace_id, user_id, email)
    if role in ("ADMIN", None):
        why = "the token's user is ADMIN" if role else "the role cannot be read; taken as Admin"
        verdict.evidence.append(f"workspace {name}: {why}")
        verdict.at_least(Access.ADMIN)
        _can_delete_all(verdict, reader.workspace_projects(workspace_id, with_roles=False), name)
        return
    if role == "MEMBER":
        verdict.at_least(Access.WRITE)
        verdict.evidence.append(f"workspace {name}: MEMBER — can change services and variables, not delete them")
    else:
        verdict.evidence.append(f"workspace {name}: {role} — read only")
    listing = reader.workspace_projects(workspace_id, with_roles=True)
    for project in listing.projects:
        _project_role(verdict, project, f"project {project.name} (workspace {name})", user_id, email, role)
    if listing.cut:
        verdict.cannot_read(f"workspace {name}: {_rest(listing)}, and the user's role in them ({listing.cut})")


def _shared_project(verdict: _Verdict, project: Project, workspace: str, user_id: str, email: str) -> None:
    """A project shared with the user in a workspace they are not a member of: only the project role counts."""
    _project_role(verdict, project, f"project {project.name} (shared from workspace {workspace})", user_id, email, None)


def _project_role(
    verdict: _Verdict, project: Project, where: str, user_id: str, email: str, workspace_role: str | None
) -> None:
    if project.members is None:
        verdict.cannot_read(f"{where}: the user's role in it ({'; '.join(project.gaps) or 'not answered'})")
        return
    role = project.role_of(user_id, email)
    if role == "ADMIN":
        verdict.at_least(Access.ADMIN)
        verdict.evidence.append(f"{where}: {email} is ADMIN of the project")
        _can_delete(verdict, project, where)
    elif role == "MEMBER":
        verdict.at_least(Access.WRITE)
        if workspace_role != "MEMBER":
            verdict.evidence.append(f"{where}: MEMBER of the project — can change it, not delete it")
    elif role == "VIEWER" and workspace_role is None:
        verdict.evidence.append(f"{where}: VIEWER of the project — read only")


def _can_delete_all(verdict: _Verdict, listing: Listing, workspace: str) -> None:
    for project in listing.projects:
        _can_delete(verdict, project, f"project {project.name} (workspace {workspace})")
    if listing.cut:
        verdict.cannot_read(f"workspace {workspace}: {_rest(listing)} ({listing.cut})")


def _rest(listing: Listing) -> str:
    return "the rest of its projects" if listing.projects else "its projects"


def _can_delete(verdict: _Verdict, project: Project, where: str) -> None:
    """What an ADMIN of the project (or of its workspace) can delete in it; what could not be read, said."""
    verdict.actions.append(f"railway:projectDelete {project.name}")
    verdict.evidence.append(f"can delete {where}")
    for volume, environments in project.volumes:
        places = ", ".join(environments or project.environments)
        verdict.actions.append(f"railway:volumeDelete {volume} ({project.name})")
        verdict.evidence.append(f"can delete volume {volume} in project {project.name} ({places})")
        if len(environments) > 1:
            verdict.evidence.append(
                f"volume {volume} is shared by {places}: volumeDelete takes no environment and removes"
                " it, with its backups, from all of them"
            )
    verdict.actions.extend(f"railway:serviceDelete {service} ({project.name})" for service in project.services)
    for gap in _gaps(project):
        verdict.cannot_read(f"{where}: {gap}")


def _gaps(project: Project) -> Iterable[str]:
    # Members were not asked for here: only what says what can be deleted matters.
    return (gap for gap in project.gaps if not gap.startswith("its members"))


def _workspace_role(reader: Reader, workspace_id: str, user_id: str, email: str) -> str | None:
    """The user's role in a workspace (ADMIN, MEMBER, VIEWER), or None when it cannot be read."""
    reply = reader.ask(MEMBERS, "CredscopeMembers", {"id": workspace_id})
    workspace = (reply.data or {}).get("workspace")
    for member in dicts(workspace.get("members") if isinstance(workspace, dict) else None):
        if str(member.get("id") or "") == user_id or str(member.get("email", "")).lower() == email.lower():
            return str(member.get("role", "")).upper() or None
    return None
