"""PostgreSQL --verify against a real PostgreSQL 15 server: four roles, four verdicts, and a session that
cannot write."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from servers.postgres import PostgresServer

from credscope.catalogue import Catalogue, builtin_provider_dir, load_provider
from credscope.model import Access, Credential, Location, Reach, ScopeSource, Severity, fingerprint_of
from credscope.probes.client import ProbeClient
from credscope.probes.guard import GuardRefusal
from credscope.probes.registry import ProbeRegistry
from credscope.probes.runner import verify
from credscope.probes.settings import ProbeSettings

psycopg = pytest.importorskip("psycopg")
pytestmark = pytest.mark.slow


def _catalogue() -> Catalogue:
    return Catalogue({"postgres": load_provider(builtin_provider_dir() / "postgres.yaml")})


def _credential(uri: str) -> Credential:
    location = Location(path="app/.env", line=1, column=14, reach=Reach.TRACKED, context={"name": "DATABASE_URL"})
    return Credential(
        fingerprint=fingerprint_of(uri),
        provider="postgres",
        kind="connection-uri",
        rule="postgres-uri",
        secret=uri,
        locations=(location,),
    )


def _verified(uri: str, allow_private: bool = True, log: Path | None = None) -> Credential:
    settings = ProbeSettings(timeout=10, allow_private_hosts=allow_private, probe_log=log)
    [credential], notes = verify([_credential(uri)], _catalogue(), settings, ProbeRegistry())
    assert notes == ()
    return credential


def test_superuser_is_admin_and_destructive(postgres_server: PostgresServer) -> None:
    credential = _verified(postgres_server.superuser)
    scope = credential.scope
    assert scope.scope_source is ScopeSource.QUERIED
    assert scope.access is Access.ADMIN
    assert scope.destructive is True
    assert "postgres:DROP DATABASE (any)" in scope.destructive_actions
    assert scope.identity["role"] == "postgres"
    assert scope.identity["database"] == "rentals"
    assert "role postgres is a superuser: it can drop every database and run programs on the server" in scope.evidence
    assert credential.severity is Severity.CRITICAL


def test_database_owner_can_drop_its_database(postgres_server: PostgresServer) -> None:
    scope = _verified(postgres_server.owner).scope
    table_level = _catalogue().providers["postgres"].capabilities["DROP DATABASE"].level
    assert scope.access is table_level  # the catalogue's capability table is the one rule
    assert scope.access in (Access.ADMIN, Access.WRITE)
    assert scope.destructive is True
    assert "postgres:DROP DATABASE rentals" in scope.destructive_actions
    assert "postgres:DROP TABLE public.bookings" in scope.destructive_actions
    assert "postgres:DELETE FROM public.bookings" in scope.destructive_actions
    assert "postgres:TRUNCATE public.bookings" in scope.destructive_actions
    assert "role rentals_owner owns database rentals: it can drop it" in scope.evidence
    # Not a superuser: nothing on other databases.
    assert "postgres:DROP DATABASE postgres" not in scope.destructive_actions


def test_read_only_role_is_read(postgres_server: PostgresServer) -> None:
    credential = _verified(postgres_server.reader)
    scope = credential.scope
    assert scope.access is Access.READ
    assert scope.destructive is False
    assert scope.destructive_actions == ()
    assert "can only read: public.bookings" in scope.evidence
    assert credential.severity is Severity.LOW


def test_noinherit_member_counts_the_rights_it_reaches_by_set_role(postgres_server: PostgresServer) -> None:
    """`agent` inherits nothing, but `SET ROLE cleaners` lets it delete every booking."""
    credential = _verified(postgres_server.noinherit_member)
    scope = credential.scope
    assert scope.access is Access.WRITE
    assert scope.destructive is True
    assert scope.destructive_actions == (
        "postgres:DELETE FROM public.bookings (via SET ROLE cleaners)",
        "postgres:TRUNCATE public.bookings (via SET ROLE cleaners)",
    )
    assert scope.evidence[:2] == (
        "connected read-only as role agent to database rentals",
        "member of: cleaners (by SET ROLE)",
    )
    assert "can connect, but reads no table" not in scope.evidence


def test_revoked_login_is_none(postgres_server: PostgresServer) -> None:
    credential = _verified(postgres_server.revoked)
    assert credential.scope.access is Access.NONE
    assert credential.scope.destructive is False
    assert credential.scope.evidence == ("live check: the role may not log in (login disabled)",)
    assert credential.severity is Severity.INFO


def test_loopback_host_is_refused_without_permission(postgres_server: PostgresServer) -> None:
    credential = _verified(postgres_server.superuser, allow_private=False)
    assert credential.scope.access is Access.UNKNOWN
    assert credential.scope.scope_source is ScopeSource.INFERRED
    assert credential.scope.evidence[0] == (
        "live check failed: refused: 127.0.0.1 resolves to the private or loopback address 127.0.0.1"
        " (use --allow-private-hosts to probe it)"
    )


def test_probe_session_cannot_write(postgres_server: PostgresServer) -> None:
    settings = ProbeSettings(timeout=10, allow_private_hosts=True)
    catalogue = _catalogue()
    with ProbeClient(catalogue, settings) as client:
        session = client.session(catalogue.providers["postgres"])
        with session.sql(postgres_server.superuser) as sql:
            # The guard refuses anything but one SELECT before it reaches the server...
            with pytest.raises(GuardRefusal):
                sql.rows("write", "DELETE FROM bookings")
            with pytest.raises(GuardRefusal):
                sql.rows("two statements", "SELECT 1; DROP TABLE bookings")
            # ...and the session itself is read-only on the server, even for a superuser.
            connection = sql._connection
            assert connection is not None
            with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
                connection.execute("DELETE FROM public.bookings")
            connection.rollback()
            with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
                connection.execute("CREATE TABLE public.intruder (id int)")
            connection.rollback()
            assert connection.execute("SHOW default_transaction_read_only").fetchone() == ("on",)
            assert connection.execute("SHOW transaction_read_only").fetchone() == ("on",)
            # Unqualified names are the system catalogue's: not a same-named function the database defines.
            assert connection.execute("SHOW search_path").fetchone() == ("pg_catalog",)
    with psycopg.connect(postgres_server.admin_dsn.rsplit("/", 1)[0] + "/rentals") as admin:
        assert admin.execute("SELECT count(*) FROM bookings").fetchone() == (2,)


def test_probe_log_names_queries_not_the_password(postgres_server: PostgresServer, tmp_path: Path) -> None:
    log = tmp_path / "probe.jsonl"
    _verified(postgres_server.reader, log=log)
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert [e["target"] for e in entries] == [
        "connect",
        "role attributes",
        "role memberships",
        "databases owned",
        "table privileges",
    ]
    assert {e["method"] for e in entries} == {"SQL"}
    assert {e["status"] for e in entries} == {"ok"}
    assert {e["host"] for e in entries} == {f"127.0.0.1:{postgres_server.port}"}
    password = postgres_server.reader.split(":")[2].split("@")[0]
    assert password not in log.read_text()
