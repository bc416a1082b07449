"""A Railway backboard fake that answers from Railway's real schema (../shared/research/railway-schema.graphql).

Every request is parsed, validated and executed by graphql-core against that schema, with resolvers that apply
Railway's documented rules (railway.md §1.3, §2): workspace roles ADMIN/MEMBER/VIEWER, project roles beside them,
projects shared one by one under `externalWorkspaces`, OAuth grants of single workspaces or projects, restricted
environments only workspace admins may read, project tokens bound to one environment. A refusal is a GraphQL
error "Not Authorized" raised where Railway raises it, so null propagation does what it does on the real
server: most of the schema is non-null, and one refused field turns `data` into null. Errors arrive inside
HTTP 200, like backboard's; a document that does not validate is a 400.

A mutation, or a document naming a field the provider YAML forbids, is answered with an error and recorded, so
a test can prove none ever arrives.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pytest

from servers.http import FakeServer, Received, Reply, json_reply

NOT_AUTHORIZED = "Not Authorized"


@dataclass(frozen=True)
class Env:
    id: str
    name: str
    restricted: bool = False  # Enterprise environment RBAC: only workspace admins may read it


@dataclass(frozen=True)
class Service:
    id: str
    name: str


@dataclass(frozen=True)
class Volume:
    id: str
    name: str
    environments: tuple[str, ...]  # ids of the environments holding an instance of it


@dataclass(frozen=True)
class ProjectSpec:
    id: str
    name: str
    workspace: str
    environments: tuple[Env, ...]
    services: tuple[Service, ...] = ()
    volumes: tuple[Volume, ...] = ()
    roles: Mapping[str, str] = field(default_factory=dict)  # user id → project role (creator: ADMIN)


@dataclass(frozen=True)
class WorkspaceSpec:
    id: str
    name: str
    members: Mapping[str, str]  # user id → workspace role


@dataclass(frozen=True)
class User:
    id: str
    email: str
    name: str


@dataclass(frozen=True)
class Caller:
    """Who a token is: `account` and `oauth` act as `user` (OAuth only within `granted` workspaces and
    projects), `workspace` as one workspace, `project` as one environment of one project."""

    kind: str
    user: str | None = None
    workspace: str | None = None
    project: str | None = None
    environment: str | None = None
    granted: frozenset[str] = frozenset()


@dataclass
class World:
    users: tuple[User, ...]
    workspaces: tuple[WorkspaceSpec, ...]
    projects: tuple[ProjectSpec, ...]
    tokens: dict[str, Caller] = field(default_factory=dict)
    # "Type.field" → the error that field raises for every caller (e.g. 2FA enforcement on User.workspaces).
    refused: dict[str, str] = field(default_factory=dict)

    def workspace(self, workspace_id: str) -> WorkspaceSpec | None:
        return next((w for w in self.workspaces if w.id == workspace_id), None)

    def project(self, project_id: str) -> ProjectSpec | None:
        return next((p for p in self.projects if p.id == project_id), None)

    def user(self, user_id: str | None) -> User | None:
        return next((u for u in self.users if u.id == user_id), None)


@dataclass(frozen=True)
class _EnvView:
    project: ProjectSpec
    env: Env

    @property
    def id(self) -> str:
        return self.env.id

    @property
    def name(self) -> str:
        return self.env.name

    @property
    def projectId(self) -> str:
        return self.project.id


class _Refused(Exception):
    pass


class Backboard:
    """The resolvers: Railway's visibility rules over a World, for one caller at a time."""

    def __init__(self, world: World) -> None:
        self.world = world

    def resolve(self, source: Any, info: Any, **args: Any) -> Any:
        from graphql import GraphQLError

        key = f"{info.parent_type.name}.{info.field_name}"
        if key in self.world.refused:
            raise GraphQLError(self.world.refused[key])
        handler: Callable[..., Any] | None = getattr(self, "_" + key.replace(".", "_"), None)
        if handler is not None:
            try:
                return handler(source, info.context, **args)
            except _Refused as refused:
                raise GraphQLError(str(refused) or NOT_AUTHORIZED) from None
        if isinstance(source, Mapping):
            return source.get(info.field_name)
        return getattr(source, info.field_name, None)

    # -- who sees what ----------------------------------------------------------------------------------------

    def workspace_role(self, caller: Caller | None, workspace_id: str) -> str | None:
        if caller is None:
            return None
        if caller.kind == "workspace":
            return "ADMIN" if caller.workspace == workspace_id else None
        if caller.kind in ("account", "oauth"):
            if caller.kind == "oauth" and workspace_id not in caller.granted:
                return None
            workspace = self.world.workspace(workspace_id)
            return workspace.members.get(caller.user or "") if workspace else None
        return None

    def project_role(self, caller: Caller | None, project: ProjectSpec) -> str | None:
        """The caller's own project role (not the one its workspace role gives)."""
        if caller is None or caller.kind not in ("account", "oauth"):
            return None
        if caller.kind == "oauth" and not {project.id, project.workspace} & caller.granted:
            return None
        return project.roles.get(caller.user or "")

    def sees(self, caller: Caller | None, project: ProjectSpec) -> bool:
        if caller is not None and caller.kind == "project":
            return caller.project == project.id
        return bool(self.workspace_role(caller, project.workspace) or self.project_role(caller, project))

    def can_access(self, caller: Caller | None, view: _EnvView) -> bool:
        if not self.sees(caller, view.project):
            return False
        if caller is not None and caller.kind == "project":
            return caller.environment == view.env.id
        return not view.env.restricted or self.workspace_role(caller, view.project.workspace) == "ADMIN"

    # -- Query ------------------------------------------------------------------------------------------------

    def _Query_me(self, _: Any, caller: Caller | None) -> Any:
        if caller is None or caller.kind not in ("account", "oauth"):
            raise _Refused
        return self.world.user(caller.user)

    def _User_workspaces(self, user: User, caller: Caller | None) -> Any:
        return [w for w in self.world.workspaces if self.workspace_role(caller, w.id)]

    def _Query_apiToken(self, _: Any, caller: Caller | None) -> Any:
        if caller is None or caller.kind == "project":
            raise _Refused
        listed = [w for w in self.world.workspaces if self.workspace_role(caller, w.id)]
        return {"workspaces": [{"id": w.id, "name": w.name} for w in listed]}

    def _Query_projectToken(self, _: Any, caller: Caller | None) -> Any:
        if caller is None or caller.kind != "project":
            raise _Refused("Project Token not found")
        project = self.world.project(caller.project or "")
        assert project is not None
        env = next(e for e in project.environments if e.id == caller.environment)
        return {
            "id": "ptk-1",
            "name": "deploy",
            "projectId": project.id,
            "environmentId": env.id,
            "project": project,
            "environment": _EnvView(project, env),
        }

    def _Query_workspace(self, _: Any, caller: Caller | None, workspaceId: str) -> Any:
        if not self.workspace_role(caller, workspaceId):
            raise _Refused
        return self.world.workspace(workspaceId)

    def _Query_externalWorkspaces(self, _: Any, caller: Caller | None, projectId: str | None = None) -> Any:
        if caller is None or caller.kind not in ("account", "oauth"):
            raise _Refused
        found = []
        for workspace in self.world.workspaces:
            if self.workspace_role(caller, workspace.id):
                continue
            shared = [p for p in self.world.projects if p.workspace == workspace.id and self.project_role(caller, p)]
            shared = [p for p in shared if projectId in (None, p.id)]
            if shared:
                found.append({"id": workspace.id, "name": workspace.name, "projects": shared})
        return found

    def _Query_project(self, _: Any, caller: Caller | None, id: str) -> Any:
        project = self.world.project(id)
        if project is None:
            raise _Refused("Project not found")
        if not self.sees(caller, project):
            raise _Refused
        return project

    def _Query_environment(self, _: Any, caller: Caller | None, id: str, projectId: str | None = None) -> Any:
        for project in self.world.projects:
            for env in project.environments:
                if env.id == id and projectId in (None, project.id):
                    if not self.sees(caller, project):
                        raise _Refused
                    return _EnvView(project, env)
        raise _Refused("Environment not found")

    # -- objects ----------------------------------------------------------------------------------------------

    def _Workspace_members(self, workspace: WorkspaceSpec, caller: Caller | None) -> Any:
        return [self._member(user_id, role) for user_id, role in workspace.members.items()]

    def _Workspace_projects(self, workspace: WorkspaceSpec, caller: Caller | None, **page: Any) -> Any:
        return connection([p for p in self.world.projects if p.workspace == workspace.id], **page)

    def _Project_members(self, project: ProjectSpec, caller: Caller | None) -> Any:
        if caller is None or caller.kind == "project":
            raise _Refused
        return [self._member(user_id, role) for user_id, role in project.roles.items()]

    def _Project_environments(self, project: ProjectSpec, caller: Caller | None, **page: Any) -> Any:
        page.pop("isEphemeral", None)
        page.pop("sort", None)
        return connection([_EnvView(project, env) for env in project.environments], **page)

    def _Project_services(self, project: ProjectSpec, caller: Caller | None, **page: Any) -> Any:
        return connection([{"id": s.id, "name": s.name} for s in project.services], **page)

    def _Project_volumes(self, project: ProjectSpec, caller: Caller | None, **page: Any) -> Any:
        return connection([{"id": v.id, "name": v.name, "projectId": project.id} for v in project.volumes], **page)

    def _Environment_canAccess(self, view: _EnvView, caller: Caller | None) -> Any:
        return self.can_access(caller, view)

    def _Environment_volumeInstances(self, view: _EnvView, caller: Caller | None, **page: Any) -> Any:
        if not self.can_access(caller, view):
            raise _Refused
        held = [v for v in view.project.volumes if view.env.id in v.environments]
        instances = [
            {
                "id": f"vi-{v.id}-{view.env.id}",
                "volumeId": v.id,
                "environmentId": view.env.id,
                "volume": {"id": v.id, "name": v.name, "projectId": view.project.id},
            }
            for v in held
        ]
        return connection(instances, **page)

    def _Environment_serviceInstances(self, view: _EnvView, caller: Caller | None, **page: Any) -> Any:
        if not self.can_access(caller, view):
            raise _Refused
        instances = [
            {"id": f"si-{s.id}-{view.env.id}", "serviceId": s.id, "serviceName": s.name, "environmentId": view.env.id}
            for s in view.project.services
        ]
        return connection(instances, **page)

    def _member(self, user_id: str, role: str) -> dict[str, Any]:
        user = self.world.user(user_id)
        assert user is not None, user_id
        return {"id": user.id, "email": user.email, "name": user.name, "role": role}


def connection(items: Sequence[Any], first: int | None = None, after: str | None = None, **_: Any) -> dict[str, Any]:
    """A Relay connection over `items`, cursors being positions; without `first`, everything."""
    start = int(after) + 1 if after else 0
    end = len(items) if first is None else min(len(items), start + first)
    edges = [{"cursor": str(index), "node": items[index]} for index in range(start, end)]
    return {
        "edges": edges,
        "pageInfo": {
            "hasNextPage": end < len(items),
            "hasPreviousPage": start > 0,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }


@dataclass
class RailwayFake:
    """The world served, the tokens of the default world by kind; `server.requests` shows what arrived."""

    world: World
    account: str = ""
    workspace: str = ""
    project: str = ""
    revoked: str = ""
    server: FakeServer = field(init=False)
    mutations: list[str] = field(default_factory=list)
    secret_requests: list[str] = field(default_factory=list)  # documents naming a field the YAML forbids
    invalid: list[str] = field(default_factory=list)  # documents the real schema rejects

    def respond(self, received: Received) -> Reply:
        from graphql import GraphQLError, OperationDefinitionNode, OperationType, execute_sync, parse, validate
        from railway_schema import schema

        if received.method != "POST" or received.path != "/graphql/v2":
            return json_reply(404, b'{"message":"not found"}')
        payload = json.loads(received.body)
        try:
            document = parse(payload["query"])
        except GraphQLError as error:
            self.invalid.append(payload["query"])
            return json_reply(400, json.dumps({"errors": [error.formatted]}).encode())
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode) and definition.operation is not OperationType.QUERY:
                self.mutations.append(payload["query"])
                return json_reply(200, b'{"errors":[{"message":"mutations are not served here"}]}')
        named = _names(document) & _forbidden()
        if named:
            self.secret_requests.append(payload["query"])
            return json_reply(200, json.dumps({"errors": [{"message": f"secret fields {sorted(named)}"}]}).encode())
        problems = validate(schema(), document)
        if problems:
            self.invalid.append(payload["query"])
            return json_reply(400, json.dumps({"errors": [p.formatted for p in problems]}).encode())
        result = execute_sync(
            schema(),
            document,
            context_value=self._caller(received),
            variable_values=payload.get("variables"),
            operation_name=payload.get("operationName"),
            field_resolver=Backboard(self.world).resolve,
        )
        return json_reply(200, json.dumps(result.formatted).encode())

    def _caller(self, received: Received) -> Caller | None:
        """The Project-Access-Token header takes only project tokens, Bearer only the others (Railway answers
        a project token sent as Bearer "Not Authorized")."""
        if "project-access-token" in received.headers:
            caller = self.world.tokens.get(received.headers["project-access-token"])
            return caller if caller is not None and caller.kind == "project" else None
        bearer = received.headers.get("authorization", "").removeprefix("Bearer ")
        caller = self.world.tokens.get(bearer)
        return caller if caller is not None and caller.kind != "project" else None


def _names(document: Any) -> set[str]:
    from graphql.language import ArgumentNode, FieldNode, Visitor, visit

    named: set[str] = set()

    class Names(Visitor):
        def enter_field(self, node: FieldNode, *_: object) -> None:
            named.add(node.name.value)

        def enter_argument(self, node: ArgumentNode, *_: object) -> None:
            named.add(node.name.value)

    visit(document, Names())
    return named


@cache
def _forbidden() -> frozenset[str]:
    from credscope.catalogue import builtin_provider_dir, load_provider
    from credscope.probes.guard import HttpRead, parse_reads

    provider = load_provider(builtin_provider_dir() / "railway.yaml")
    reads = parse_reads(provider.source, provider.reads)
    return frozenset().union(*(r.forbidden for r in reads if isinstance(r, HttpRead)))


# -- the default world: the incident's shape ------------------------------------------------------------------

ALICE = User("usr-alice", "alice@example.invalid", "Alice")
RENTALS = ProjectSpec(
    "prj-rentals",
    "rentals",
    "ws-rentals",
    (Env("env-prod", "production"), Env("env-staging", "staging")),
    (Service("svc-api", "api"), Service("svc-pg", "postgres")),
    (Volume("vol-pg", "pg-data", ("env-prod", "env-staging")),),
    {"usr-alice": "ADMIN"},
)
BLOG = ProjectSpec("prj-blog", "blog", "ws-side", (Env("env-blog", "production"),), (Service("svc-blog", "web"),))


def default_world() -> World:
    """Alice is ADMIN of Rentals Co (a production volume shared with staging) and VIEWER of Side."""
    return World(
        users=(ALICE,),
        workspaces=(
            WorkspaceSpec("ws-rentals", "Rentals Co", {"usr-alice": "ADMIN"}),
            WorkspaceSpec("ws-side", "Side", {"usr-alice": "VIEWER"}),
        ),
        projects=(RENTALS, BLOG),
    )


def serve(world: World, **tokens: str) -> Iterator[RailwayFake]:
    fake = RailwayFake(world, **tokens)
    with FakeServer(fake.respond) as server:
        fake.server = server
        yield fake


@pytest.fixture
def railway_fake() -> Iterator[RailwayFake]:
    """The default world, with an account token (Alice), a workspace token (Rentals Co), a project token
    (rentals, production) and a token Railway does not know."""
    pytest.importorskip("graphql")
    from helpers import token

    account, workspace, project, revoked = (token("{{uuid4}}") for _ in range(4))
    world = default_world()
    world.tokens.update(
        {
            account: Caller("account", user="usr-alice"),
            workspace: Caller("workspace", workspace="ws-rentals"),
            project: Caller("project", project="prj-rentals", environment="env-prod"),
        }
    )
    yield from serve(world, account=account, workspace=workspace, project=project, revoked=revoked)


@pytest.fixture
def railway_world() -> Iterator[Callable[[World], RailwayFake]]:
    """Serve a world of the test's own making; every server started is stopped when the test ends."""
    pytest.importorskip("graphql")
    running: list[Iterator[RailwayFake]] = []

    def start(world: World) -> RailwayFake:
        served = serve(world)
        running.append(served)
        return next(served)

    yield start
    for served in running:
        next(served, None)
