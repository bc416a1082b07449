"""A real PostgreSQL 15 server for the whole test session, on 127.0.0.1, run by an unprivileged user.

Roles: a superuser, the owner of database `rentals`, a read-only role, a role whose login was revoked, and `agent`:
a NOINHERIT member of the group `cleaners` (which may DELETE and TRUNCATE bookings), reaching its rights by SET ROLE.
Passwords are generated at run time. Skipped (with the reason) when the server binaries are not installed.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

BIN = Path(os.environ.get("CREDSCOPE_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
RUN_AS = "credscope-pg"  # PostgreSQL refuses to run as root


@dataclass(frozen=True)
class PostgresServer:
    port: int
    superuser: str  # connection URIs, with generated passwords
    owner: str
    reader: str
    revoked: str
    noinherit_member: str  # `agent`, who reaches `cleaners`' DELETE/TRUNCATE on bookings only by SET ROLE
    admin_dsn: str  # for the tests themselves (the superuser)

    def uri(self, role: str, password: str, database: str = "rentals") -> str:
        return f"postgresql://{role}:{password}@127.0.0.1:{self.port}/{database}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _runner() -> list[str]:
    """Run the server's commands as an unprivileged user when we are root (creating the user once)."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(RUN_AS)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", RUN_AS], check=True)
    return ["runuser", "-u", RUN_AS, "--"]


def _password() -> str:
    # Letters and digits only: it goes into URIs and SQL literals unquoted.
    return secrets.token_hex(16)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    if not (BIN / "initdb").exists():
        pytest.skip(f"PostgreSQL server binaries not found in {BIN}")
    psycopg = pytest.importorskip("psycopg")
    prefix = _runner()
    base = Path(tempfile.mkdtemp(prefix="credscope-pg-"))
    data = base / "data"
    if prefix:
        shutil.chown(base, RUN_AS)
    os.chmod(base, 0o700)
    passwords = {name: _password() for name in ("postgres", "rentals_owner", "reader", "former", "agent")}
    pwfile = base / "pw"
    pwfile.write_text(passwords["postgres"] + "\n")
    if prefix:
        shutil.chown(pwfile, RUN_AS)
    subprocess.run(
        [
            *prefix,
            str(BIN / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--pwfile",
            str(pwfile),
            "-A",
            "scram-sha-256",
        ],
        check=True,
        capture_output=True,
    )
    port = _free_port()
    log = base / "server.log"
    subprocess.run(
        [
            *prefix,
            str(BIN / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(log),
            "-o",
            f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={base}",
            "-w",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        admin_dsn = f"postgresql://postgres:{passwords['postgres']}@127.0.0.1:{port}/postgres"
        deadline = time.monotonic() + 30
        while True:
            try:
                connection = psycopg.connect(admin_dsn, autocommit=True)
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        with connection:
            for statement in (
                f"CREATE ROLE rentals_owner LOGIN PASSWORD '{passwords['rentals_owner']}'",
                f"CREATE ROLE reader LOGIN PASSWORD '{passwords['reader']}'",
                f"CREATE ROLE former LOGIN PASSWORD '{passwords['former']}'",
                f"CREATE ROLE agent LOGIN NOINHERIT PASSWORD '{passwords['agent']}'",
                "CREATE ROLE cleaners NOLOGIN",
                "GRANT cleaners TO agent",
                "CREATE DATABASE rentals OWNER rentals_owner",
            ):
                connection.execute(statement)
        owner_dsn = f"postgresql://rentals_owner:{passwords['rentals_owner']}@127.0.0.1:{port}/rentals"
        with psycopg.connect(owner_dsn, autocommit=True) as connection:
            connection.execute("CREATE TABLE bookings (id serial PRIMARY KEY, guest text)")
            connection.execute("INSERT INTO bookings (guest) VALUES ('a'), ('b')")
            connection.execute("GRANT SELECT ON bookings TO reader")
            connection.execute("GRANT CONNECT ON DATABASE rentals TO reader")
            connection.execute("GRANT DELETE, TRUNCATE ON bookings TO cleaners")
        with psycopg.connect(admin_dsn, autocommit=True) as connection:
            # The leaked password stops working: login revoked, as after an incident.
            connection.execute("ALTER ROLE former NOLOGIN")
        server = PostgresServer(
            port=port,
            superuser=f"postgresql://postgres:{passwords['postgres']}@127.0.0.1:{port}/rentals",
            owner=owner_dsn,
            reader=f"postgresql://reader:{passwords['reader']}@127.0.0.1:{port}/rentals",
            revoked=f"postgresql://former:{passwords['former']}@127.0.0.1:{port}/rentals",
            noinherit_member=f"postgresql://agent:{passwords['agent']}@127.0.0.1:{port}/rentals",
            admin_dsn=admin_dsn,
        )
        yield server
    finally:
        stop = [*prefix, str(BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
        subprocess.run(stop, check=False, capture_output=True)
        shutil.rmtree(base, ignore_errors=True)
