"""The read-only guard: a request leaves only if the provider's YAML declares it as a read, to a declared host.

`reads:` entries in a provider YAML take one of these forms:

* ``GET /path`` or ``HEAD /path`` — ``{name}`` in the path matches one path segment;
* ``POST /path query`` — a GraphQL endpoint; the body must parse, and every operation in it must be a
  ``query`` (never a ``mutation`` or ``subscription``). Words after ``query`` that start with ``!`` name
  fields or arguments the document may not mention at all (``!variables`` keeps secret values out);
* ``service:Operation`` — a named read RPC such as ``sts:GetCallerIdentity``;
* ``SQL SELECT`` — one side-effect-free ``SELECT`` as PostgreSQL's own grammar reads it (guard_sql), sent
  with the extended protocol (one statement per message) in a read-only database session.

An HTTP read is its method: headers and query parameters that ask a server to treat the request as another
method (``X-HTTP-Method-Override``, ``_method``) are refused, and so is a GraphQL body with a key given twice
(parsers disagree on which copy wins: the guard must read the document the server will run).
Everything is checked before any byte is sent; a refusal is a `GuardRefusal`, never a silent drop.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from credscope.errors import CatalogueError


class GuardRefusal(Exception):
    """A probe tried to send something its provider does not declare as a read. Nothing was sent."""


@dataclass(frozen=True)
class HttpRead:
    method: str
    path: re.Pattern[str]
    graphql: bool = False
    forbidden: frozenset[str] = frozenset()


@dataclass(frozen=True)
class RpcRead:
    name: str


@dataclass(frozen=True)
class SqlRead:
    statement: str  # the only statement kind allowed, upper case: SELECT


Read = HttpRead | RpcRead | SqlRead

# Honoured by frameworks and APIs as "treat this request as that method": Google APIs, Express's method-override,
# Laravel and Symfony read the header; OData and SharePoint read X-HTTP-Method; Rails, Laravel, Symfony and
# method-override setups read `_method` (Laravel and Symfony from the query string too).
METHOD_OVERRIDE_HEADERS = frozenset({"x-http-method-override", "x-http-method", "x-method-override"})
METHOD_OVERRIDE_PARAMETERS = frozenset({"_method", *METHOD_OVERRIDE_HEADERS})

_RPC = re.compile(r"^[a-z][a-z0-9-]*:[A-Z][A-Za-z0-9]+$")
_PARAM = re.compile(r"\\\{[A-Za-z_][A-Za-z0-9_]*\\\}")


def parse_reads(source: str, entries: Sequence[str]) -> tuple[Read, ...]:
    """Parse a provider's `reads:`; a malformed entry is a catalogue error naming the file and entry."""
    return tuple(_parse_one(source, index, entry) for index, entry in enumerate(entries))


def _parse_one(source: str, index: int, entry: str) -> Read:
    words = entry.split()
    where = f"reads.{index}"
    if len(words) == 1 and _RPC.match(words[0]):
        return RpcRead(words[0])
    if len(words) == 2 and words[0] == "SQL" and words[1] == "SELECT":
        return SqlRead("SELECT")
    if len(words) >= 2 and words[1].startswith("/"):
        method, path, rest = words[0], words[1], words[2:]
        if method in ("GET", "HEAD") and not rest:
            return HttpRead(method, _path_pattern(path))
        if method == "POST" and rest[:1] == ["query"] and all(w.startswith("!") and len(w) > 1 for w in rest[1:]):
            return HttpRead(method, _path_pattern(path), graphql=True, forbidden=frozenset(w[1:] for w in rest[1:]))
    raise CatalogueError(source, where, f"{entry!r} is not a read: use 'GET /path', 'POST /path query' or an RPC")


def _path_pattern(path: str) -> re.Pattern[str]:
    return re.compile("^" + _PARAM.sub("[^/]+", re.escape(path)) + "$")


def host_allowed(host: str, allowed: Iterable[str]) -> bool:
    """Exact host (with port when the entry has one), or `*.example.com` for any subdomain."""
    host = host.lower().rstrip(".")
    for allowed_entry in allowed:
        entry = allowed_entry.lower()
        if entry.startswith("*."):
            if host.endswith(entry[1:]) and len(host) > len(entry) - 1:
                return True
        elif host == entry:
            return True
    return False


@dataclass(frozen=True)
class Guard:
    """What one provider may send, and where: built from its YAML (or from an endpoint override)."""

    provider: str
    reads: tuple[Read, ...]
    hosts: tuple[str, ...]
    # Plain http only to an explicitly configured endpoint (tests, self-hosted); public hosts need https.
    allow_http: bool = False

    def check_url(self, url: str) -> str:
        """The host:port the URL names, if credentials may go there; else a refusal."""
        parts = urlsplit(url)
        if parts.scheme != "https" and not (self.allow_http and parts.scheme == "http"):
            raise GuardRefusal(f"{self.provider}: refused {parts.scheme}:// — credentials only travel over https")
        host = (parts.hostname or "").lower()
        target = f"{host}:{parts.port}" if parts.port else host
        if not (host_allowed(target, self.hosts) or (parts.port is None and host_allowed(host, self.hosts))):
            raise GuardRefusal(f"{self.provider}: refused host {target!r}, not among the provider's hosts")
        return target

    def check_http(
        self, method: str, url: str, path: str, body: bytes | None, headers: Mapping[str, str] | None = None
    ) -> HttpRead:
        """Refuse anything but a declared GET/HEAD, or a GraphQL query to a declared endpoint.

        `url` is the whole URL, query string included; `headers` are those the request carries.
        """
        self.check_url(url)
        method = method.upper()
        self.check_method_override(url, headers or {})
        for read in self.reads:
            if isinstance(read, HttpRead) and read.method == method and read.path.match(path):
                if read.graphql:
                    check_graphql_body(self.provider, body, read.forbidden)
                elif body:
                    raise GuardRefusal(f"{self.provider}: refused {method} {path} with a body")
                return read
        raise GuardRefusal(f"{self.provider}: refused {method} {path}: not a declared read")

    def check_method_override(self, url: str, headers: Mapping[str, str]) -> None:
        for name in headers:
            if name.strip().lower() in METHOD_OVERRIDE_HEADERS:
                raise GuardRefusal(f"{self.provider}: refused a request with method-override header {name!r}")
        for name, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True):
            if name.strip().lower() in METHOD_OVERRIDE_PARAMETERS:
                raise GuardRefusal(f"{self.provider}: refused a request with method-override parameter {name!r}")

    def check_rpc(self, name: str) -> None:
        if not any(isinstance(read, RpcRead) and read.name == name for read in self.reads):
            raise GuardRefusal(f"{self.provider}: refused {name}: not a declared read")

    def check_sql(self, statement: str) -> None:
        """One SELECT that PostgreSQL's own grammar reads as side-effect free (guard_sql), or a refusal."""
        from credscope.probes.guard_sql import select_refusal  # noqa: PLC0415 - pglast only with --verify

        if not any(isinstance(read, SqlRead) for read in self.reads):
            raise GuardRefusal(f"{self.provider}: refused SQL: the provider declares no SQL reads")
        refusal = select_refusal(statement)
        if refusal is not None:
            raise GuardRefusal(f"{self.provider}: refused SQL: {refusal}")


def check_graphql_body(provider: str, body: bytes | None, forbidden: frozenset[str]) -> None:
    """The body is `{"query": ..., "variables": ...}` whose document has only `query` operations."""
    try:
        payload = json.loads(body or b"", object_pairs_hook=_unique_keys)
    except _DuplicateKey as duplicate:
        raise GuardRefusal(
            f"{provider}: refused a GraphQL POST whose body gives the key {duplicate.key!r} twice"
        ) from None
    except ValueError:
        raise GuardRefusal(f"{provider}: refused a GraphQL POST whose body is not JSON") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        raise GuardRefusal(f"{provider}: refused a GraphQL POST without a query document")
    if set(payload) - {"query", "variables", "operationName"}:
        raise GuardRefusal(f"{provider}: refused a GraphQL POST with unexpected keys")
    check_graphql_document(provider, payload["query"], forbidden)


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """json.loads keeps the last of two equal keys, other parsers the first: refuse the ambiguity, at any depth."""
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise _DuplicateKey(key)
        found[key] = value
    return found


def check_graphql_document(provider: str, document: str, forbidden: frozenset[str] = frozenset()) -> None:
    from graphql import GraphQLSyntaxError, parse  # noqa: PLC0415 - only with --verify
    from graphql.language import (  # noqa: PLC0415
        ArgumentNode,
        FieldNode,
        FragmentDefinitionNode,
        OperationDefinitionNode,
        OperationType,
        Visitor,
        visit,
    )

    try:
        parsed = parse(document, no_location=True)
    except GraphQLSyntaxError as error:
        raise GuardRefusal(f"{provider}: refused a GraphQL document that does not parse: {error.message}") from None
    for definition in parsed.definitions:
        if isinstance(definition, OperationDefinitionNode):
            if definition.operation is not OperationType.QUERY:
                raise GuardRefusal(f"{provider}: refused a GraphQL {definition.operation.value}: only queries are sent")
        elif not isinstance(definition, FragmentDefinitionNode):
            raise GuardRefusal(f"{provider}: refused a GraphQL document with a {definition.kind} definition")
    if not forbidden:
        return
    named: list[str] = []

    class _Names(Visitor):
        def enter_field(self, node: FieldNode, *_: object) -> None:
            named.append(node.name.value)

        def enter_argument(self, node: ArgumentNode, *_: object) -> None:
            named.append(node.name.value)

    visit(parsed, _Names())
    for name in named:
        if name in forbidden:
            raise GuardRefusal(f"{provider}: refused a GraphQL document that mentions {name!r}")
