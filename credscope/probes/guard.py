"""The read-only guard: a request leaves only if the provider's YAML declares it as a read, to a declared host.

`reads:` entries in a provider YAML take one of these forms:

* ``GET /path`` or ``HEAD /path`` — ``{name}`` in the path matches one path segment;
* ``POST /path query`` — a GraphQL endpoint; the body must parse, and every operation in it must be a
  ``query`` (never a ``mutation`` or ``subscription``). Words after ``query`` that start with ``!`` name
  fields or arguments the document may not mention at all (``!variables`` keeps secret values out);
* ``service:Operation`` — a named read RPC such as ``sts:GetCallerIdentity``;
* ``SQL SELECT`` — single ``SELECT`` statements, sent in a read-only database session.

Everything is checked before any byte is sent; a refusal is a `GuardRefusal`, never a silent drop.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

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

    def check_http(self, method: str, url: str, path: str, body: bytes | None) -> HttpRead:
        """Refuse anything but a declared GET/HEAD, or a GraphQL query to a declared endpoint."""
        self.check_url(url)
        method = method.upper()
        for read in self.reads:
            if isinstance(read, HttpRead) and read.method == method and read.path.match(path):
                if read.graphql:
                    check_graphql_body(self.provider, body, read.forbidden)
                elif body:
                    raise GuardRefusal(f"{self.provider}: refused {method} {path} with a body")
                return read
        raise GuardRefusal(f"{self.provider}: refused {method} {path}: not a declared read")

    def check_rpc(self, name: str) -> None:
        if not any(isinstance(read, RpcRead) and read.name == name for read in self.reads):
            raise GuardRefusal(f"{self.provider}: refused {name}: not a declared read")

    def check_sql(self, statement: str) -> None:
        if not any(isinstance(read, SqlRead) for read in self.reads):
            raise GuardRefusal(f"{self.provider}: refused SQL: the provider declares no SQL reads")
        if not is_single_select(statement):
            raise GuardRefusal(f"{self.provider}: refused SQL that is not one SELECT statement")


def check_graphql_body(provider: str, body: bytes | None, forbidden: frozenset[str]) -> None:
    """The body is `{"query": ..., "variables": ...}` whose document has only `query` operations."""
    try:
        payload = json.loads(body or b"")
    except ValueError:
        raise GuardRefusal(f"{provider}: refused a GraphQL POST whose body is not JSON") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        raise GuardRefusal(f"{provider}: refused a GraphQL POST without a query document")
    if set(payload) - {"query", "variables", "operationName"}:
        raise GuardRefusal(f"{provider}: refused a GraphQL POST with unexpected keys")
    check_graphql_document(provider, payload["query"], forbidden)


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


_SQL_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
_SQL_STRING = re.compile(r"'(?:[^']|'')*'")


def is_single_select(statement: str) -> bool:
    """One statement, starting with SELECT (or WITH … SELECT), and no data-changing keyword."""
    text = _SQL_COMMENT.sub(" ", statement)
    # String literals may name privileges ('DELETE'); they are data, not keywords.
    text = _SQL_STRING.sub("''", text).strip().rstrip(";").strip()
    if ";" in text:
        return False
    upper = text.upper()
    if not (upper.startswith("SELECT") or upper.startswith("WITH")):
        return False
    return not re.search(r"\b(INSERT|UPDATE|DELETE|TRUNCATE|DROP|ALTER|CREATE|GRANT|REVOKE|COPY|INTO|CALL)\b", upper)
