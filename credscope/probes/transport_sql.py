"""Database sessions for the probe client: read-only four times over, to public hosts only, never giving away
a password in cleartext.

The server is told `default_transaction_read_only=on`, a statement timeout and `search_path=pg_catalog` at
connection, the transaction is opened `READ ONLY`, the guard lets through only one SELECT calling only listed
functions, and that SELECT is sent with the extended protocol (a Parse message holds one statement: the server
itself refuses `SELECT 1; COMMIT; ...`). It is sent exactly as the guard read it: parameters are `$1`, `$2`.

A connection string is scanned text: only its host, port, database, role, password and a TLS requirement are
used (no service file, client certificate, Kerberos ticket or `options` of its own). Its host is resolved and
refused when private, loopback or link-local unless `--allow-private-hosts`, and the connection goes to the
address that was checked. TLS is preferred, and libpq's `require_auth` lets the password go only as a SCRAM or
MD5 challenge answer: a server (or a man in the middle) asking for it in cleartext gets nothing.
"""

from __future__ import annotations

import math
import os
from types import TracebackType
from typing import TYPE_CHECKING, Any

from credscope.model import Access
from credscope.probes.base import ProbeFailure
from credscope.probes.guard import GuardRefusal
from credscope.probes.netaddr import resolve_allowed

if TYPE_CHECKING:
    import psycopg

    from credscope.probes.client import ProviderSession

# libpq messages that mean the credential itself does not work (as opposed to the network).
_DENIED = (
    ("password authentication failed", "the password is rejected (changed or revoked)"),
    ("is not permitted to log in", "the role may not log in (login disabled)"),
    ('role "', "the role does not exist (dropped)"),
    ("pg_hba.conf rejects", "the server refuses this role from here (pg_hba.conf)"),
    ("no pg_hba.conf entry", "the server refuses this role from here (pg_hba.conf)"),
    ("password has expired", "the password has expired"),
)
# Keys of a scanned connection string that are used; every other one (service, passfile, sslcert, sslkey,
# options, krbsrvname, replication, ...) could pull in the user's own credentials or change the session.
_SCANNED_KEYS = ("host", "hostaddr", "port", "dbname", "user", "password", "sslmode")
_STRICTER_SSLMODES = ("require", "verify-ca", "verify-full")
# SCRAM and MD5 answer a challenge; `none` sends nothing. Never `password` (cleartext), nor `gss`/`sspi`/`oauth`,
# which would hand the scanning user's own Kerberos ticket or OAuth token to a host taken from scanned text.
REQUIRE_AUTH = "scram-sha-256,md5,none"
_LIBPQ_NEEDED = 160000  # require_auth and sslcertmode


def connection_parameters(conninfo: str) -> dict[str, str]:
    """A URI or key=value string as libpq parameters; a SQLAlchemy driver suffix (+psycopg2) is dropped."""
    from psycopg.conninfo import conninfo_to_dict  # noqa: PLC0415

    text = conninfo.strip()
    scheme, sep, rest = text.partition("://")
    if sep and "+" in scheme:
        text = f"{scheme.split('+', 1)[0]}://{rest}"
    try:
        parsed = conninfo_to_dict(text)
    except Exception:  # noqa: BLE001 - psycopg raises ProgrammingError for any malformed string
        raise ProbeFailure("the connection string cannot be parsed") from None
    return {key: str(value) for key, value in parsed.items() if value is not None}


class SqlSession:
    def __init__(self, session: ProviderSession, conninfo: str) -> None:
        self._session = session
        self._conninfo = conninfo
        self._connection: psycopg.Connection[Any] | None = None
        self.host = ""

    def __enter__(self) -> SqlSession:
        self.open()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def open(self) -> None:
        import psycopg  # noqa: PLC0415 - only with --verify

        if psycopg.pq.version() < _LIBPQ_NEEDED:
            raise ProbeFailure(
                f"libpq {psycopg.pq.version()} cannot refuse cleartext passwords (needs 16 or later:"
                " pip install 'psycopg[binary]')"
            )
        settings = self._session.settings
        scanned = connection_parameters(self._conninfo)
        params = {key: scanned[key] for key in _SCANNED_KEYS if key in scanned}
        if not params.get("password"):
            # libpq would fall back to PGPASSWORD: the scanning user's own password, to a host from scanned text.
            raise ProbeFailure("the connection string carries no password")
        host = params.get("host", "") or params.get("hostaddr", "")
        if not host:
            raise ProbeFailure("the connection string names no host; a local socket is not probed")
        if "," in host:
            raise ProbeFailure("the connection string names several hosts; credscope probes only one")
        port = int(params.get("port", "5432") or 5432)
        self.host = f"{host}:{port}"
        address = resolve_allowed(host, port, settings.allow_private_hosts)
        if not address.startswith("/"):
            params["hostaddr"] = address
        timeout_ms = int(settings.timeout * 1000)
        params["options"] = (
            f"-c default_transaction_read_only=on -c statement_timeout={timeout_ms} -c search_path=pg_catalog"
        )
        params["connect_timeout"] = str(max(2, math.ceil(settings.timeout)))
        params["application_name"] = "credscope-probe"
        params.setdefault("dbname", params.get("user", "postgres"))
        if params.get("sslmode") not in _STRICTER_SSLMODES:
            params["sslmode"] = "prefer"
        fixed = {
            "require_auth": REQUIRE_AUTH,
            "sslcertmode": "disable",  # never the user's ~/.postgresql/postgresql.crt
            "gssencmode": "disable",
            "passfile": os.devnull,  # the password under test, never one from the user's ~/.pgpass
        }
        try:
            connection = psycopg.connect(**params, **fixed, autocommit=False)  # type: ignore[arg-type]
        except psycopg.OperationalError as error:
            self._session.record("SQL", self.host, "connect", "refused-by-server")
            raise _failure(error) from None
        self._session.record("SQL", self.host, "connect", "ok")
        connection.read_only = True  # every transaction psycopg opens is BEGIN READ ONLY
        self._connection = connection

    def rows(self, name: str, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run one declared read (a single SELECT, parameters as `$1`...) and return its rows; `name` goes to the
        probe log."""
        import psycopg  # noqa: PLC0415

        if self._connection is None:
            raise ProbeFailure("internal: the database session is not open")
        try:
            self._session.guard.check_sql(statement)
        except GuardRefusal:
            self._session.record("SQL", self.host, name, "refused")
            raise
        try:
            # Pipeline mode sends every statement, even without parameters, as Parse/Bind/Execute; a RawCursor
            # sends the text unchanged (no %s rewriting), so the server runs what the guard read.
            with self._connection.pipeline(), psycopg.RawCursor(self._connection) as cursor:
                cursor.execute(statement, params or None)
                found = list(cursor.fetchall())
        except psycopg.errors.QueryCanceled:
            self._session.record("SQL", self.host, name, "timeout")
            raise ProbeFailure(f"timeout: the query {name!r} ran past the statement timeout") from None
        except psycopg.Error as error:
            self._session.record("SQL", self.host, name, "error")
            raise ProbeFailure(f"query {name!r} failed: {type(error).__name__}") from None
        self._session.record("SQL", self.host, name, "ok")
        return found

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.rollback()
            finally:
                self._connection.close()
                self._connection = None


def _failure(error: Exception) -> ProbeFailure:
    message = str(error)
    if "authentication method requirement" in message:
        return ProbeFailure(
            "refused: the server asked for the password by a method other than SCRAM or MD5 (cleartext?);"
            " credscope never sends it so"
        )
    for needle, reason in _DENIED:
        if needle in message:
            return ProbeFailure(reason, Access.NONE)
    if "timeout" in message.lower():
        return ProbeFailure("timeout: the database did not answer in time")
    if "does not exist" in message:
        return ProbeFailure("the database named in the connection string does not exist")
    return ProbeFailure("network error: cannot connect to the database server")
