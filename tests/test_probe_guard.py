"""The read-only guard: anything but a declared read, or any host outside the YAML, is refused before a byte
leaves — proved with a server that counts the connections it receives."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from servers.http import FakeServer, Received, Reply, Responder, json_reply
from servers.railway import RailwayFake

from credscope.catalogue import Catalogue, Provider, builtin_provider_dir, load_provider
from credscope.errors import CatalogueError
from credscope.model import Access, Credential, Location, Reach, fingerprint_of
from credscope.probes import guard as guard_module
from credscope.probes.client import Endpoint, ProbeClient, ProviderSession
from credscope.probes.guard import GuardRefusal, check_graphql_document, parse_reads
from credscope.probes.guard_sql import select_refusal
from credscope.probes.registry import ProbeRegistry
from credscope.probes.runner import verify
from credscope.probes.settings import ProbeSettings

httpx = pytest.importorskip("httpx")

StartServer = Callable[[Responder], FakeServer]


def _provider(reads: tuple[str, ...], hosts: tuple[str, ...] = ("api.example.com",)) -> Provider:
    return Provider(id="example", name="Example", source="example.yaml", rules=(), hosts=hosts, reads=reads)


@pytest.fixture
def session(fake_server: StartServer) -> Iterator[tuple[ProviderSession, FakeServer]]:
    """A session whose endpoint override is a counting server: every refusal must leave it untouched."""
    server = fake_server(lambda _: json_reply(200, b"{}"))
    provider = _provider(("GET /user", "GET /items/{id}", "POST /graphql query !variables"))
    settings = ProbeSettings(timeout=5, endpoints={"example": server.url}, endpoint_origins={"example": "ENV"})
    client = ProbeClient(Catalogue({"example": provider}), settings)
    yield client.session(provider), server
    client.close()


# -- declarations ---------------------------------------------------------------------------------------------


def test_reads_parse_into_declared_forms() -> None:
    reads = parse_reads(
        "p.yaml", ["GET /v1/things/{id}", "HEAD /x", "POST /graphql query !secret", "sts:GetCallerIdentity"]
    )
    assert [type(r).__name__ for r in reads] == ["HttpRead", "HttpRead", "HttpRead", "RpcRead"]


@pytest.mark.parametrize(
    "entry",
    ["DELETE /v1/things", "POST /v1/things", "PUT /x", "GET", "POST /graphql mutation", "sts:getcalleridentity x"],
)
def test_a_write_cannot_even_be_declared(entry: str) -> None:
    with pytest.raises(CatalogueError, match=r"p\.yaml: reads\.1: .* is not a read"):
        parse_reads("p.yaml", ["GET /ok", entry])


@pytest.mark.parametrize(
    ("document", "why"),
    [
        ('mutation { volumeDelete(volumeId: "v") }', "mutation"),
        ("subscription { deployments { id } }", "subscription"),
        ('query A { me { id } } mutation B { projectDelete(id: "p") }', "mutation"),
        ("{ me { id } } mutation { userDelete }", "mutation"),
        ("query { me { id ", "does not parse"),
        ("type Query { me: String }", "definition"),
        ('query { variables(projectId: "p", environmentId: "e") }', "mentions 'variables'"),
        ('query { environment(id: "e") { config(decryptVariables: true) } }', "mentions 'decryptVariables'"),
    ],
)
def test_graphql_refuses_everything_but_queries(document: str, why: str) -> None:
    with pytest.raises(GuardRefusal, match=why):
        check_graphql_document("railway", document, frozenset({"variables", "decryptVariables"}))


def test_graphql_queries_and_fragments_pass() -> None:
    check_graphql_document("railway", "query Q { me { ...U } } fragment U on User { id email }", frozenset({"x"}))
    check_graphql_document("railway", "{ projectToken { projectId } }")


@pytest.mark.parametrize(
    ("statement", "refusal"),
    [
        ("SELECT 1", None),
        ("SELECT pg_catalog.has_table_privilege(c.oid, 'DELETE') FROM pg_class c", None),
        ("  select current_user; ", None),
        ("SELECT r.rolname FROM pg_roles r WHERE r.rolname = $1 AND r.oid > 10", None),
        ("SELECT 1; DELETE FROM t", "it holds 2 statements, not one"),
        ("DELETE FROM t", "it is a DeleteStmt, not a SELECT"),
        ("WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x", "it contains a DELETE"),
        ("SELECT * INTO copy FROM t", "it contains SELECT INTO (it creates a table)"),
        ("SELECT * FROM t FOR SHARE", "it contains a locking clause (FOR UPDATE/SHARE)"),
        ("/* SELECT */ DROP TABLE t", "it is a DropStmt, not a SELECT"),
        ("SELECT %s", 'it does not parse as PostgreSQL (syntax error at or near "%")'),
        ("SELECT public.wipe()", "it calls public.wipe(), which is not on the list of side-effect-free functions"),
        ("SELECT pg_sleep(60)", "it calls pg_sleep(), which is not on the list of side-effect-free functions"),
        ("SELECT 1 OPERATOR(public.===) 2", "it uses operator public.=== from outside pg_catalog"),
        ("SELECT 'x'::public.hook", "it casts to type public.hook from outside pg_catalog"),
        ("SELECT count(*) OVER () FROM t", "it contains a WindowDef node, which a read does not need"),
    ],
)
def test_sql_guard_lets_single_side_effect_free_selects_only(statement: str, refusal: str | None) -> None:
    assert select_refusal(statement) == refusal


# -- before any byte leaves -----------------------------------------------------------------------------------


def test_mutation_is_refused_before_connecting(session: tuple[ProviderSession, FakeServer]) -> None:
    probe_session, server = session
    with pytest.raises(GuardRefusal, match="only queries are sent"):
        probe_session.graphql('mutation { volumeDelete(volumeId: "v") }', {"Authorization": "Bearer t"})
    assert server.connections == 0
    assert [(e.method, e.target, e.status) for e in probe_session.log.entries()] == [("POST", "/graphql", "refused")]


def test_undeclared_post_and_path_are_refused_before_connecting(session: tuple[ProviderSession, FakeServer]) -> None:
    probe_session, server = session
    with pytest.raises(GuardRefusal, match="refused POST /user: not a declared read"):
        probe_session._send("POST", "/user", {}, None, b"{}", "/user")
    with pytest.raises(GuardRefusal, match="refused GET /admin/delete: not a declared read"):
        probe_session.get("/admin/delete", {})
    with pytest.raises(GuardRefusal, match="refused DELETE /items/7"):
        probe_session._send("DELETE", "/items/7", {}, None, None, "/items/7")
    assert server.connections == 0


def test_a_host_outside_the_yaml_is_refused_before_connecting(fake_server: StartServer) -> None:
    server = fake_server(lambda _: json_reply(200, b"{}"))
    provider = _provider(("GET /user",), hosts=("api.example.com",))
    client = ProbeClient(Catalogue({"example": provider}), ProbeSettings(timeout=5))
    probe_session = client.session(provider)
    # As if a host taken from scanned text had slipped into the endpoint: the YAML's hosts still rule.
    probe_session.endpoint = Endpoint(server.url, "")
    with pytest.raises(GuardRefusal, match="refused http://"):
        probe_session.get("/user", {"Authorization": "Bearer t"})
    probe_session.endpoint = Endpoint(server.url.replace("http://", "https://"), "")
    with pytest.raises(GuardRefusal, match=r"refused host '127\.0\.0\.1:"):
        probe_session.get("/user", {"Authorization": "Bearer t"})
    client.close()
    assert server.connections == 0


def test_the_transport_hook_refuses_requests_that_bypass_the_client(
    session: tuple[ProviderSession, FakeServer],
) -> None:
    probe_session, server = session
    raw = probe_session._client()
    with pytest.raises(GuardRefusal, match="did not come through the probe client"):
        raw.get(f"{server.url}/user")
    with pytest.raises(GuardRefusal):
        raw.post(
            f"{server.url}/graphql",
            json={"query": "mutation { x }"},
            extensions={"credscope_declared_path": "/graphql"},
        )
    assert server.connections == 0


@pytest.mark.parametrize(
    ("path", "headers", "params", "refusal"),
    [
        ("/user", {"X-HTTP-Method-Override": "DELETE"}, None, "method-override header 'X-HTTP-Method-Override'"),
        ("/user", {"x-http-method": "DELETE"}, None, "method-override header 'x-http-method'"),
        ("/user", {"X-Method-Override": "PATCH"}, None, "method-override header 'X-Method-Override'"),
        ("/user", {}, {"_method": "DELETE"}, "method-override parameter '_method'"),
        ("/user", {}, {"X-HTTP-Method-Override": "DELETE"}, "method-override parameter 'X-HTTP-Method-Override'"),
        # A path parameter that smuggles a query string: "{id}" matched "7?_method=DELETE".
        ("/items/7?_method=DELETE", {}, None, "method-override parameter '_method'"),
    ],
)
def test_method_overrides_never_leave(
    session: tuple[ProviderSession, FakeServer],
    path: str,
    headers: dict[str, str],
    params: dict[str, str] | None,
    refusal: str,
) -> None:
    """A GET that a framework would run as DELETE (Rails/Laravel `_method`, Google's X-HTTP-Method-Override)."""
    probe_session, server = session
    with pytest.raises(GuardRefusal) as refused:
        probe_session.get(path, {"Authorization": "Bearer t", **headers}, params)
    assert str(refused.value) == f"example: refused a request with {refusal}"
    assert server.connections == 0
    assert [(e.method, e.status) for e in probe_session.log.entries()] == [("GET", "refused")]


def test_method_overrides_are_refused_by_the_transport_hook_too(session: tuple[ProviderSession, FakeServer]) -> None:
    probe_session, server = session
    raw = probe_session._client()
    declared = {"credscope_declared_path": "/user"}
    with pytest.raises(GuardRefusal, match="method-override header 'x-http-method-override'"):
        raw.get(f"{server.url}/user", headers={"X-HTTP-Method-Override": "DELETE"}, extensions=declared)
    with pytest.raises(GuardRefusal, match="method-override parameter '_method'"):
        raw.get(f"{server.url}/user", params={"_method": "DELETE"}, extensions=declared)
    assert server.connections == 0


_TWO_QUERIES = b'{"query": "query { me { id } }", "query": "mutation { volumeDelete(volumeId: \\"v\\") }"}'
_TWO_VARIABLES = b'{"query": "query Q($id: ID!) { project(id: $id) { id } }", "variables": {"id": "p", "id": "q"}}'


@pytest.mark.parametrize(("body", "key"), [(_TWO_QUERIES, "query"), (_TWO_VARIABLES, "id")])
def test_a_graphql_body_with_a_key_given_twice_never_leaves(
    session: tuple[ProviderSession, FakeServer], body: bytes, key: str
) -> None:
    """json.loads keeps the last "query", a server's parser may keep the first: the guard must not read one
    document while the server runs the other."""
    probe_session, server = session
    headers = {"Authorization": "Bearer t", "Content-Type": "application/json"}
    refusal = f"example: refused a GraphQL POST whose body gives the key {key!r} twice"
    with pytest.raises(GuardRefusal) as refused:
        probe_session._send("POST", "/graphql", headers, None, body, "/graphql")
    assert str(refused.value) == refusal
    raw = probe_session._client()
    with pytest.raises(GuardRefusal) as refused:
        raw.post(
            f"{server.url}/graphql", content=body, headers=headers, extensions={"credscope_declared_path": "/graphql"}
        )
    assert str(refused.value) == refusal
    assert server.connections == 0


def test_redirects_are_never_followed(fake_server: StartServer) -> None:
    elsewhere = fake_server(lambda _: json_reply(200, b"{}"))
    redirecting = fake_server(lambda _: (302, {"Location": f"{elsewhere.url}/steal"}, b""))
    provider = _provider(("GET /user",))
    settings = ProbeSettings(timeout=5, endpoints={"example": redirecting.url})
    with ProbeClient(Catalogue({"example": provider}), settings) as client:
        answer = client.session(provider).get("/user", {"Authorization": "Bearer t"})
    assert answer.status == 302
    assert elsewhere.connections == 0


# -- every probe goes through the guard -----------------------------------------------------------------------


def test_every_request_of_every_probe_was_approved_by_the_guard(
    railway_fake: RailwayFake, fake_server: StartServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    approved: list[str] = []
    real_check = guard_module.Guard.check_http

    def spy(
        self: guard_module.Guard, method: str, url: str, path: str, body: bytes | None, headers: object = None
    ) -> guard_module.HttpRead:
        read = real_check(self, method, url, path, body, headers)  # type: ignore[arg-type]
        approved.append(f"{self.provider} {method} {path}")
        return read

    monkeypatch.setattr(guard_module.Guard, "check_http", spy)
    github = fake_server(lambda _: json_reply(200, b'{"login": "octo"}', **{"X-OAuth-Scopes": "repo"}))
    catalogue = Catalogue(
        {p: load_provider(builtin_provider_dir() / f"{p}.yaml") for p in ("railway", "github", "postgres")}
    )
    settings = ProbeSettings(
        timeout=5,
        endpoints={"railway": f"{railway_fake.server.url}/graphql/v2", "github": github.url},
    )
    credentials = [
        _credential("railway", "account-token", railway_fake.account),
        _credential("railway", "project-token", railway_fake.project),
        _credential("github", "personal-access-token", "ghp_" + "a" * 36),
    ]
    verified, _ = verify(credentials, catalogue, settings, ProbeRegistry())
    assert [c.scope.access for c in verified] == [Access.ADMIN, Access.WRITE, Access.WRITE]
    received = railway_fake.server.requests + github.requests
    # Each request is checked twice (by the client, then by the transport hook just before sending).
    assert len(approved) == 2 * len(received)
    assert {a.split(" ", 1)[0] for a in approved} == {"railway", "github"}


def _credential(provider: str, kind: str, secret: str) -> Credential:
    location = Location(path="x.env", line=1, column=1, reach=Reach.TRACKED, context={"name": "TOKEN"})
    return Credential(fingerprint_of(secret), provider, kind, f"{provider}-rule", secret, (location,))


def test_probe_failures_are_data_not_crashes(fake_server: StartServer) -> None:
    def broken(_: Received) -> Reply:
        return json_reply(200, b"[not json")

    server = fake_server(broken)
    catalogue = Catalogue({"github": load_provider(builtin_provider_dir() / "github.yaml")})
    settings = ProbeSettings(timeout=5, endpoints={"github": server.url})
    [credential], _ = verify([_credential("github", "personal-access-token", "ghp_" + "b" * 36)], catalogue, settings)
    assert credential.scope.access is Access.UNKNOWN
    assert credential.scope.evidence[0] == "live check failed: GET /user: the answer (HTTP 200) is not a JSON object"


def test_aws_calls_outside_the_declared_rpcs_never_leave(fake_server: StartServer) -> None:
    pytest.importorskip("boto3")
    server = fake_server(lambda _: json_reply(500, b"{}"))
    catalogue = Catalogue({"aws": load_provider(builtin_provider_dir() / "aws.yaml")})
    settings = ProbeSettings(timeout=5, endpoints={"aws": server.url})
    with ProbeClient(catalogue, settings) as client:
        aws = client.session(catalogue.providers["aws"]).aws("AKIA" + "B" * 16, "s" * 40)
        with pytest.raises(GuardRefusal, match="refused iam:DeleteUser: not a declared read"):
            aws.call("iam", "DeleteUser", UserName="admin")
        # Straight to botocore, past credscope's own check: botocore's before-call hook still refuses.
        raw = aws._client("iam", aws.endpoint_url("iam"))
        with pytest.raises(GuardRefusal, match="refused iam:DeleteUser"):
            raw.delete_user(UserName="admin")
    # Without the override, a client pointed anywhere but the YAML's hosts is refused as it sends.
    with ProbeClient(catalogue, ProbeSettings(timeout=5)) as client:
        aws = client.session(catalogue.providers["aws"]).aws("AKIA" + "B" * 16, "s" * 40)
        stray = aws._client("sts", server.url)
        with pytest.raises(GuardRefusal, match="refused http://"):
            stray.get_caller_identity()
    assert server.connections == 0


def test_registry_names_builtin_probes_and_loads_third_party_targets() -> None:
    from credscope.errors import ConfigError
    from credscope.probes import github

    assert {"railway", "aws", "postgres", "github"} <= set(ProbeRegistry.installed().names())
    registry = ProbeRegistry({"acme": "credscope.probes.github:probe", "broken": "no.such.module:probe"})
    assert registry.load("acme") is github.probe
    assert registry.load("unknown") is None
    with pytest.raises(ConfigError, match="probe 'broken' cannot be loaded"):
        registry.load("broken")
