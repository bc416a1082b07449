"""A Fly.io GraphQL fake that answers from Fly.io's real schema (flyctl's gql/schema.graphql; no registry package
ships it, so it is used where one was put by hand: tests/descriptions.py).

Each request is parsed, validated and executed by graphql-core against that schema; the scenario gives the root
value (plain dicts, `__typename` choosing the `Principal` a viewer is) and, optionally, fields that raise the
error Fly.io raises there. A document that does not validate, or that is not a query, is a violation and a 400.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from descriptions import FLYIO_SCHEMA as SCHEMA
from descriptions import require

from servers.http import Received, Reply, json_reply


@cache
def schema() -> Any:
    from graphql import build_schema

    require("flyio", SCHEMA)
    return build_schema(SCHEMA.read_text())


@dataclass
class FlyFake:
    """Answers POST /graphql for one token; `refused` names root fields answered with an error instead."""

    authorization: str
    root: Mapping[str, Any]
    refused: Mapping[str, str] = field(default_factory=dict)
    status: int = 200
    violations: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)

    def __call__(self, received: Received) -> Reply:
        from graphql import OperationType, execute_sync, parse, validate
        from graphql.language import OperationDefinitionNode

        if received.method != "POST" or received.path != "/graphql":
            self.violations.append(f"{received.method} {received.path}: not the GraphQL endpoint")
            return json_reply(404, b"{}")
        if received.headers.get("authorization") != self.authorization:
            self.violations.append("a request without the token in Authorization")
        payload = json.loads(received.body)
        document = parse(payload["query"])
        self.documents.append(payload["query"])
        problems = validate(schema(), document)
        if problems:
            self.violations.extend(str(p.message) for p in problems)
            return json_reply(400, json.dumps({"errors": [{"message": p.message} for p in problems]}).encode())
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode) and definition.operation is not OperationType.QUERY:
                self.violations.append(f"a {definition.operation.value} was sent")
        if self.status != 200:
            return json_reply(self.status, json.dumps(self.root).encode())
        root = dict(self.root)
        for name, message in self.refused.items():
            root[name] = _Refusal(message)
        result = execute_sync(schema(), document, root_value=root, variable_values=payload.get("variables"))
        answer: dict[str, Any] = {"data": result.data}
        if result.errors:
            answer["errors"] = [{"message": e.message, "path": e.path} for e in result.errors]
        return json_reply(200, json.dumps(answer).encode())


class _Refusal:
    """A root field that raises when resolved, as Fly.io's API does for what the token may not see."""

    def __init__(self, message: str) -> None:
        self.message = message

    def __call__(self, *_: Any, **__: Any) -> Any:
        raise PermissionError(self.message)
