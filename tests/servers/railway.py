"""A Railway GraphQL fake shaped from the documented responses (railway.md §2): account, workspace and project
tokens, one workspace with a production volume shared with staging, errors inside HTTP 200 like backboard.

Incoming documents are parsed with graphql-core; a mutation is answered with an error and recorded, so a test
can prove none ever arrives.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from servers.http import FakeServer, Received, Reply, json_reply

PROJECT_RENTALS = {
    "id": "prj-rentals",
    "name": "rentals",
    "environments": {
        "edges": [
            {
                "node": {
                    "id": "env-prod",
                    "name": "production",
                    "volumeInstances": {"edges": [{"node": {"volumeId": "vol-pg"}}]},
                }
            },
            {
                "node": {
                    "id": "env-staging",
                    "name": "staging",
                    "volumeInstances": {"edges": [{"node": {"volumeId": "vol-pg"}}]},
                }
            },
        ]
    },
    "services": {"edges": [{"node": {"id": "svc-api", "name": "api"}}, {"node": {"id": "svc-pg", "name": "postgres"}}]},
    "volumes": {"edges": [{"node": {"id": "vol-pg", "name": "pg-data"}}]},
}
PROJECT_BLOG = {
    "id": "prj-blog",
    "name": "blog",
    "environments": {"edges": [{"node": {"id": "env-blog", "name": "production", "volumeInstances": {"edges": []}}}]},
    "services": {"edges": [{"node": {"id": "svc-blog", "name": "web"}}]},
    "volumes": {"edges": []},
}
WORKSPACES = {
    "ws-rentals": {
        "id": "ws-rentals",
        "name": "Rentals Co",
        "members": [{"email": "alice@example.invalid", "role": "ADMIN"}],
        "projects": {"edges": [{"node": PROJECT_RENTALS}]},
    },
    "ws-side": {
        "id": "ws-side",
        "name": "Side",
        "members": [{"email": "alice@example.invalid", "role": "VIEWER"}],
        "projects": {"edges": [{"node": PROJECT_BLOG}]},
    },
}


@dataclass
class RailwayFake:
    """Tokens by kind; `server.requests` shows what arrived."""

    account: str
    workspace: str
    project: str
    revoked: str
    server: FakeServer = field(init=False)
    mutations: list[str] = field(default_factory=list)

    def respond(self, received: Received) -> Reply:
        from graphql import OperationDefinitionNode, OperationType, parse
        from graphql.language import FieldNode

        if received.method != "POST" or received.path != "/graphql/v2":
            return json_reply(404, b'{"message":"not found"}')
        payload = json.loads(received.body)
        document = parse(payload["query"])
        variables = payload.get("variables") or {}
        data: dict[str, Any] = {}
        errors: list[dict[str, str]] = []
        for definition in document.definitions:
            if not isinstance(definition, OperationDefinitionNode):
                continue
            if definition.operation is not OperationType.QUERY:
                self.mutations.append(payload["query"])
                return json_reply(200, b'{"errors":[{"message":"mutations are not served here"}]}')
            for selection in definition.selection_set.selections:
                assert isinstance(selection, FieldNode)
                value, error = self._field(selection, received, variables)
                if error:
                    errors.append({"message": error})
                else:
                    data[selection.name.value] = value
        body: dict[str, Any] = {"data": data or None}
        if errors:
            body["errors"] = errors
        return json_reply(200, json.dumps(body).encode())

    def _field(self, node: Any, received: Received, variables: dict[str, Any]) -> tuple[Any, str | None]:
        bearer = received.headers.get("authorization", "").removeprefix("Bearer ")
        project_header = received.headers.get("project-access-token", "")
        name = node.name.value
        arguments = _arguments(node, variables)
        if name == "projectToken":
            if project_header == self.project:
                return {
                    "projectId": "prj-rentals",
                    "environmentId": "env-prod",
                    "project": {"id": "prj-rentals", "name": "rentals"},
                    "environment": {"id": "env-prod", "name": "production"},
                }, None
            return None, "Project Token not found"
        if project_header:
            if project_header == self.project and name == "project" and arguments.get("id") == "prj-rentals":
                return PROJECT_RENTALS, None
            return None, "Not Authorized"
        if name == "me":
            if bearer != self.account:
                return None, "Not Authorized"
            return {
                "id": "usr-alice",
                "email": "alice@example.invalid",
                "name": "Alice",
                "workspaces": [{"id": w["id"], "name": w["name"]} for w in WORKSPACES.values()],
            }, None
        if name == "apiToken":
            if bearer == self.account:
                return {"workspaces": [{"id": w["id"], "name": w["name"]} for w in WORKSPACES.values()]}, None
            if bearer == self.workspace:
                return {"workspaces": [{"id": "ws-rentals", "name": "Rentals Co"}]}, None
            return None, "Not Authorized"
        if name == "workspace":
            wanted = arguments.get("workspaceId")
            allowed = list(WORKSPACES) if bearer == self.account else ["ws-rentals"] if bearer == self.workspace else []
            if wanted in allowed:
                return WORKSPACES[wanted], None
            return None, "Not Authorized"
        return None, f"Cannot query field {name!r}"


def _arguments(node: Any, variables: dict[str, Any]) -> dict[str, Any]:
    from graphql.language import StringValueNode, VariableNode

    found: dict[str, Any] = {}
    for argument in node.arguments or ():
        value = argument.value
        if isinstance(value, VariableNode):
            found[argument.name.value] = variables.get(value.name.value)
        elif isinstance(value, StringValueNode):
            found[argument.name.value] = value.value
    return found


@pytest.fixture
def railway_fake() -> Iterator[RailwayFake]:
    pytest.importorskip("graphql")
    from helpers import token

    fake = RailwayFake(*(token("{{uuid4}}") for _ in range(4)))
    with FakeServer(fake.respond) as server:
        fake.server = server
        yield fake
