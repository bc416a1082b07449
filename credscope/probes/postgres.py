"""PostgreSQL: connect read-only and read what the role may do — attributes, memberships, what it owns, and
its DELETE/TRUNCATE rights — from the catalogue, without touching any data.

A role may use the rights of every role it is a member of: those it inherits at once, and those it can take with
`SET ROLE` (memberships of a NOINHERIT role). Both count: `MEMBER` in pg_has_role is "can SET ROLE to it".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from credscope.catalogue import Provider
from credscope.connstr import driver_uri
from credscope.model import Access, Credential, Scope
from credscope.probes.base import NotProbed, capability_scope, limited
from credscope.probes.client import ProviderSession

ROLE = """
SELECT current_user, current_database(), r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolbypassrls
FROM pg_catalog.pg_roles r WHERE r.rolname = current_user
"""
MEMBERSHIPS = """
SELECT b.rolname, pg_catalog.pg_has_role(current_user, b.oid, 'USAGE'), b.rolsuper, b.rolcreaterole
FROM pg_catalog.pg_roles b
WHERE b.rolname <> current_user AND pg_catalog.pg_has_role(current_user, b.oid, 'MEMBER')
ORDER BY b.rolname
"""
DATABASES_OWNED = """
SELECT d.datname FROM pg_catalog.pg_database d
WHERE NOT d.datistemplate AND pg_catalog.pg_has_role(current_user, d.datdba, 'MEMBER')
ORDER BY d.datname
"""
TABLES = """
SELECT n.nspname, c.relname,
       pg_catalog.pg_has_role(current_user, c.relowner, 'MEMBER'),
       pg_catalog.has_table_privilege(c.oid, 'DELETE'),
       pg_catalog.has_table_privilege(c.oid, 'TRUNCATE'),
       pg_catalog.has_table_privilege(c.oid, 'INSERT') OR pg_catalog.has_table_privilege(c.oid, 'UPDATE'),
       pg_catalog.has_table_privilege(c.oid, 'SELECT')
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%'
ORDER BY n.nspname, c.relname
LIMIT 2000
"""
# Rights on tables of the roles the user reaches only by SET ROLE (a NOINHERIT membership): has_table_privilege for
# the user itself counts inherited rights alone.
SET_ROLE_TABLES = """
SELECT r.rolname, n.nspname, c.relname,
       pg_catalog.has_table_privilege(r.oid, c.oid, 'DELETE'),
       pg_catalog.has_table_privilege(r.oid, c.oid, 'TRUNCATE'),
       pg_catalog.has_table_privilege(r.oid, c.oid, 'INSERT') OR pg_catalog.has_table_privilege(r.oid, c.oid, 'UPDATE'),
       pg_catalog.has_table_privilege(r.oid, c.oid, 'SELECT')
FROM pg_catalog.pg_roles r, pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE r.rolname <> current_user
  AND pg_catalog.pg_has_role(current_user, r.oid, 'MEMBER')
  AND NOT pg_catalog.pg_has_role(current_user, r.oid, 'USAGE')
  AND c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%'
  AND (pg_catalog.has_table_privilege(r.oid, c.oid, 'SELECT')
       OR pg_catalog.has_table_privilege(r.oid, c.oid, 'INSERT')
       OR pg_catalog.has_table_privilege(r.oid, c.oid, 'UPDATE')
       OR pg_catalog.has_table_privilege(r.oid, c.oid, 'DELETE')
       OR pg_catalog.has_table_privilege(r.oid, c.oid, 'TRUNCATE'))
ORDER BY r.rolname, n.nspname, c.relname
LIMIT 2000
"""
# Built-in roles that write or read everything, or run programs on the server.
_WIDE_ROLES = {
    "pg_write_all_data": "can write every table",
    "pg_execute_server_program": "can run programs on the database server",
    "pg_write_server_files": "can write files on the database server",
}


@dataclass(frozen=True)
class _Table:
    name: str
    owner: bool
    delete: bool
    truncate: bool
    write: bool
    read: bool
    via: str = ""  # the role whose rights these are, when reached only by SET ROLE


def _table(name: str, rights: Sequence[Any], via: str = "") -> _Table:
    owner, delete, truncate, write, read = (bool(r) for r in rights)
    return _Table(name, owner, delete, truncate, write, read, via)


@dataclass(frozen=True)
class _Membership:
    role: str
    inherited: bool  # its rights apply at once; otherwise only after SET ROLE
    superuser: bool
    createrole: bool


def probe(credential: Credential, session: ProviderSession) -> Scope:
    # libpq reads the user-info part up to the first `@`: a raw `@` in the password is encoded so that the
    # connection goes to the host credscope reports and the address guard checked, never to a password piece.
    with session.sql(driver_uri(credential.secret)) as sql:
        role_rows = sql.rows("role attributes", ROLE)
        if not role_rows:
            raise NotProbed("the role is not visible in pg_roles")
        user, database, superuser, createrole, createdb, bypassrls = role_rows[0]
        memberships = [_Membership(str(r[0]), *map(bool, r[1:])) for r in sql.rows("role memberships", MEMBERSHIPS)]
        owned = [str(row[0]) for row in sql.rows("databases owned", DATABASES_OWNED)]
        tables = [_table(f"{r[0]}.{r[1]}", r[2:7]) for r in sql.rows("table privileges", TABLES)]
        if any(not m.inherited for m in memberships):
            rows = sql.rows("table privileges by SET ROLE", SET_ROLE_TABLES)
            tables.extend(_table(f"{r[1]}.{r[2]}", (False, *r[3:7]), str(r[0])) for r in rows)
    identity = {"role": str(user), "database": str(database), "server": sql.host}
    flags = {"superuser": superuser, "createrole": createrole, "createdb": createdb, "bypassrls": bypassrls}
    return _verdict(session.provider, str(user), str(database), flags, memberships, owned, tables, identity)


def _verdict(
    provider: Provider,
    user: str,
    database: str,
    attributes: dict[str, Any],
    memberships: Sequence[_Membership],
    owned: Sequence[str],
    tables: Sequence[_Table],
    identity: dict[str, str],
) -> Scope:
    evidence = [f"connected read-only as role {user} to database {database}"]
    member_of = [m.role for m in memberships]
    if memberships:
        evidence.append(
            "member of: " + ", ".join(m.role if m.inherited else f"{m.role} (by SET ROLE)" for m in memberships)
        )
    # Being able to become a superuser (or a CREATEROLE role) is having its powers.
    becomes = [m for m in memberships if m.superuser or m.createrole]
    for role in becomes:
        what = "a superuser" if role.superuser else "a role with CREATEROLE"
        evidence.append(f"role {user} can become {role.role}, {what}")
    superuser = bool(attributes["superuser"]) or any(m.superuser for m in becomes)
    attributes = {**attributes, "createrole": attributes["createrole"] or any(m.createrole for m in becomes)}
    capabilities: list[str] = []
    actions: list[str] = []
    floor = Access.READ
    if superuser:
        said = "is a superuser" if attributes["superuser"] else "can become a superuser"
        evidence.append(f"role {user} {said}: it can drop every database and run programs on the server")
        kind = provider.kinds.get("superuser")
        capabilities.extend(kind.capabilities if kind else ("DROP DATABASE", "COPY PROGRAM", "CREATE ROLE"))
        actions.extend(("postgres:DROP DATABASE (any)", "postgres:COPY PROGRAM (shell on the server)"))
        return capability_scope(provider, capabilities, evidence, identity, Access.ADMIN, actions)
    if attributes["createrole"]:
        floor = Access.ADMIN
        capabilities.append("CREATE ROLE")
        evidence.append(f"role {user} has CREATEROLE: it can create roles and grant itself their rights")
    if "pg_execute_server_program" in member_of:
        floor = Access.ADMIN
        capabilities.append("COPY PROGRAM")
        actions.append("postgres:COPY PROGRAM (shell on the server)")
        evidence.append("member of pg_execute_server_program: it can run programs on the database server")
    if "pg_write_all_data" in member_of:
        floor = max_access(floor, Access.WRITE)
        capabilities.append("DELETE")
        actions.append("postgres:DELETE (every table, via pg_write_all_data)")
        evidence.append("member of pg_write_all_data: it can change and delete every row")
    for name in owned:
        floor = max_access(floor, Access.WRITE)
        capabilities.append("DROP DATABASE")
        actions.append(f"postgres:DROP DATABASE {name}")
        evidence.append(f"role {user} owns database {name}: it can drop it")
    if _table_rights(tables, capabilities, actions):
        floor = max_access(floor, Access.WRITE)
    readable = list(dict.fromkeys(t.name for t in tables if t.read))
    if not actions and floor is Access.READ:
        shown = ", ".join(readable[:10]) + (" …" if len(readable) > 10 else "")
        evidence.append(f"can only read: {shown}" if readable else "can connect, but reads no table")
    if attributes["bypassrls"]:
        evidence.append(f"role {user} bypasses row-level security")
    if attributes["createdb"]:
        evidence.append(f"role {user} can create databases")
    return capability_scope(provider, capabilities, evidence, identity, floor, limited(actions))


def _table_rights(tables: Sequence[_Table], capabilities: list[str], actions: list[str]) -> bool:
    """Adds what the tables let the role do; True when it can change any of them."""
    changes = False
    for table in tables:
        via = f" (via SET ROLE {table.via})" if table.via else ""
        if table.owner:
            actions.append(f"postgres:DROP TABLE {table.name}")
        if table.delete:
            capabilities.append("DELETE")
            actions.append(f"postgres:DELETE FROM {table.name}{via}")
        if table.truncate:
            capabilities.append("TRUNCATE")
            actions.append(f"postgres:TRUNCATE {table.name}{via}")
        if table.read:
            capabilities.append("SELECT")
        changes = changes or table.owner or table.delete or table.truncate or table.write
    return changes


def max_access(left: Access, right: Access) -> Access:
    order = (Access.NONE, Access.READ, Access.WRITE, Access.ADMIN)
    return left if order.index(left) >= order.index(right) else right
