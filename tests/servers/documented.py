"""One probe, run through the real runner and probe client against a local fake that answers as its provider
documents: from the provider's API description (tests/descriptions.py) when it publishes one, else from shapes its API
reference gives (the scenario says so). Every request must carry the credential and be one the provider's YAML
declares; every field the probe reads from a described answer must be one the description describes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from credscope.catalogue import Catalogue, builtin_provider_dir, load_provider
from credscope.model import Credential, Location, Reach, Scope, fingerprint_of
from credscope.probes.client import Answer as ClientAnswer
from credscope.probes.client import ProviderSession
from credscope.probes.guard import HttpRead, parse_reads
from credscope.probes.registry import ProbeRegistry
from credscope.probes.runner import verify
from credscope.probes.settings import ProbeSettings
from credscope.scope.infer import assess
from credscope.scope.registry import builtin_inferences
from servers.http import FakeServer, Received, Reply, Responder, json_reply
from servers.openapi import Answer, available, description, track, undocumented_fields

StartServer = Callable[[Responder], FakeServer]
Route = Answer | Callable[[Received], Answer]
Authorized = Callable[[Received], bool]


def bearer(secret: str) -> Authorized:
    return lambda received: received.headers.get("authorization") == f"Bearer {secret}"


def header(name: str, value: str) -> Authorized:
    return lambda received: received.headers.get(name) == value


@dataclass
class DocumentedFake:
    """Answers `routes` (request path, no query → Answer, or a function of the request giving one)."""

    described_by: str | None  # its OpenAPI description's name (tests/descriptions.py); None: none published
    routes: Mapping[str, Route]
    authorized: Authorized
    violations: list[str] = field(default_factory=list)

    def __call__(self, received: Received) -> Reply:
        path = received.path.split("?", 1)[0]
        where = f"{received.method} {path}"
        if not self.authorized(received):
            self.violations.append(f"{where}: sent without the credential")
        route = self.routes.get(path)
        if route is None:
            self.violations.append(f"{where}: the scenario has no answer for it")
            return json_reply(404, b'{"message": "Not Found"}')
        answer = route(received) if callable(route) else route
        if self.described_by is not None and available(self.described_by):
            self._check(received.method, path, answer)
        body = answer.body if isinstance(answer.body, bytes) else json.dumps(answer.body).encode()
        return json_reply(answer.status, body, **answer.headers)

    def _check(self, method: str, path: str, answer: Answer) -> None:
        assert self.described_by is not None
        spec = description(self.described_by)
        where = f"{method} {path} → {answer.status}"
        operation = spec.operation(method, path)
        if operation is None:
            self.violations.append(f"{where}: not an operation of the {self.described_by} description")
            return
        documented = spec.response_schema(operation, answer.status)
        schema: Any = documented[1] if documented is not None else None
        if answer.described_by:
            if not answer.why_undescribed:
                self.violations.append(f"{where}: an answer checked against another schema needs its reason")
            schema = spec.schema(answer.described_by)
        elif schema is None:
            if answer.why_undescribed:
                return  # the description leaves this answer's body out, and the scenario says why
            what = "documents no such answer" if documented is None else "gives this answer no body"
            self.violations.append(f"{where}: the description {what}; say which schema shapes it")
            return
        self.violations.extend(f"{where}: {error}" for error in spec.validate(schema, answer.body))


@dataclass(frozen=True)
class Probed:
    credential: Credential  # as the runner left it: scope, severity
    fake: DocumentedFake
    requests: list[Received]

    @property
    def scope(self) -> Scope:
        return self.credential.scope


def probe(
    fake_server: StartServer,
    provider: str,
    kind: str,
    secret: str,
    routes: Mapping[str, Route],
    *,
    described_by: str | None,
    authorized: Authorized | None = None,
    parts: Mapping[str, str] | None = None,
    context: Mapping[str, str] | None = None,
    timeout: float = 5,
) -> Probed:
    """Assess the credential offline, as a scan does, then verify it against the fake."""
    fake = DocumentedFake(described_by, routes, authorized or bearer(secret))
    server = fake_server(fake)
    catalogue = Catalogue({provider: load_provider(builtin_provider_dir() / f"{provider}.yaml")})
    location = Location(path=".env", line=2, column=1, reach=Reach.TRACKED, context=context or {"name": "TOKEN"})
    found = Credential(fingerprint_of(secret), provider, kind, "rule", secret, (location,), parts=parts or {})
    credential = assess(found, catalogue, builtin_inferences())
    settings = ProbeSettings(timeout=timeout, endpoints={provider: server.url})
    reads: list[tuple[str, int, set[str]]] = []
    original = ProviderSession._send

    def send(self: ProviderSession, method: str, path: str, *args: Any) -> ClientAnswer:
        answer = original(self, method, path, *args)
        seen: set[str] = set()
        reads.append((path, answer.status, seen))
        return _Read(answer.status, answer.headers, answer.body, seen)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ProviderSession, "_send", send)
        [checked], _ = verify([credential], catalogue, settings, ProbeRegistry())
    # Every request that arrived is one the provider's YAML declares as a read (the guard's own rule, checked again
    # on what the server saw).
    declared = parse_reads(provider, catalogue.providers[provider].reads)
    for received in server.requests:
        path = received.path.split("?", 1)[0]
        if not any(isinstance(r, HttpRead) and r.method == received.method and r.path.match(path) for r in declared):
            fake.violations.append(f"{received.method} {path}: not a read {provider}.yaml declares")
    if described_by is not None and available(described_by):
        spec = description(described_by)
        for path, status, seen in reads:
            operation = spec.operation("GET", path)
            route = routes.get(path)
            if operation is None or route is None or callable(route):
                continue
            documented = spec.response_schema(operation, status)
            schema = spec.schema(route.described_by) if route.described_by else (documented or (None, None))[1]
            if schema is not None:
                fake.violations.extend(
                    f"GET {path} → {status}: reads undescribed {f}" for f in _undescribed(spec, schema, seen)
                )
    return Probed(checked, fake, server.requests)


def _undescribed(spec: Any, schema: Any, seen: set[str]) -> list[str]:
    """Fields read that the schema does not describe; an answer that is a bare list has its items' fields as `[].x`."""
    top = {f for f in seen if not f.startswith("[]")}
    found = undocumented_fields(spec, schema, top)
    listed = {f.removeprefix("[].") for f in seen if f.startswith("[].")}
    resolved = spec._deref(schema)
    if listed:
        items = resolved.get("items") if isinstance(resolved, Mapping) else None
        found += [f"[].{f}" for f in undocumented_fields(spec, items, listed)] if items else sorted(listed)
    return found


class _Read(ClientAnswer):
    """The probe client's answer, whose JSON records what the probe reads."""

    def __init__(self, status: int, headers: Mapping[str, str], body: bytes, seen: set[str]) -> None:
        super().__init__(status, headers, body)
        object.__setattr__(self, "_seen", seen)

    def json(self) -> Any:
        return track(super().json(), "", self._seen)  # type: ignore[attr-defined]


# -- answers built from the description itself ---------------------------------------------------------------------


def documented(described_by: str, path: str, status: int = 200, /, **fields: Any) -> Any:
    """The answer the description gives `GET path` for `status`: every required field, from the description's own
    examples where it has them, with `fields` laid over the top level (a dict value merges one level deeper)."""
    spec = description(described_by)
    operation = spec.operation("GET", spec.prefix + path if not path.startswith(spec.prefix) else path)
    assert operation is not None, f"{described_by}: no GET {path}"
    documented_status = spec.response_schema(operation, status)
    assert documented_status is not None and documented_status[1] is not None, f"{described_by}: {path} {status}"
    return overlay(example(described_by, documented_status[1]), fields)


def item(described_by: str, path: str, key: str, /, **fields: Any) -> Any:
    """One element of the list the answer to `GET path` keeps under `key` (`""`: the answer is the list)."""
    spec = description(described_by)
    operation = spec.operation("GET", spec.prefix + path if not path.startswith(spec.prefix) else path)
    assert operation is not None
    documented_status = spec.response_schema(operation, 200)
    assert documented_status is not None
    schema = _find_array(spec, documented_status[1], key)
    assert schema is not None, f"{described_by}: no list {key!r} in GET {path}"
    return overlay(example(described_by, schema), fields)


def overlay(base: Any, fields: Mapping[str, Any]) -> Any:
    if not fields:
        return base
    merged = dict(base)
    for name, value in fields.items():
        if isinstance(value, dict) and isinstance(merged.get(name), dict):
            merged[name] = {**merged[name], **value}
        else:
            merged[name] = value
    return merged


def example(described_by: str, schema: Any) -> Any:
    return _example(description(described_by), schema, 0)


def _find_array(spec: Any, schema: Any, key: str, depth: int = 0) -> Any:
    schema = spec._deref(schema)
    if not isinstance(schema, Mapping) or depth > 10:
        return None
    if key == "" and schema.get("type") == "array":
        return schema.get("items")
    properties = schema.get("properties") or {}
    if key in properties:
        found = spec._deref(properties[key])
        return found.get("items") if isinstance(found, Mapping) else None
    for combinator in ("allOf", "oneOf", "anyOf"):
        for branch in schema.get(combinator, []):
            found = _find_array(spec, branch, key, depth + 1)
            if found is not None:
                return found
    return None


def _example(spec: Any, schema: Any, depth: int) -> Any:
    schema = spec._deref(schema)
    if not isinstance(schema, Mapping) or depth > 30:
        return None
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for branch in schema["allOf"]:
            value = _example(spec, branch, depth + 1)
            if isinstance(value, dict):
                merged.update(value)
        own = {k: v for k, v in schema.items() if k != "allOf"}
        if own.get("properties") or own.get("required"):
            value = _example(spec, own, depth + 1)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    for combinator in ("oneOf", "anyOf"):
        if schema.get(combinator):
            return _example(spec, schema[combinator][0], depth + 1)
    if "example" in schema and not isinstance(schema["example"], (dict, list)):
        return schema["example"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties") or {}
        return {name: _example(spec, properties.get(name, {}), depth + 1) for name in schema.get("required", [])}
    if kind == "array":
        return []
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return float(schema.get("minimum", 1))
    if kind == "boolean":
        return False
    if kind == "string":
        return _string(schema)
    return None


def _string(schema: Mapping[str, Any]) -> str:
    match schema.get("format"):
        case "date-time" | "dateTime" | "date-time-rfc-2822":
            return "2026-01-05T10:00:00Z"
        case "date":
            return "2026-01-05"
        case "uuid":
            return "3f1b6c2e-8d4a-4f5e-9a7b-2c1d0e9f8a7b"
        case "email":
            return "someone@example.invalid"
        case "uri" | "url":
            return "https://example.invalid/"
    return "x" * max(1, int(schema.get("minLength", 1)))
