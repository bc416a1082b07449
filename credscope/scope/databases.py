"""PostgreSQL, MySQL and MongoDB: the role name (superuser by convention), the compose variable that sets the
superuser's password, and whether the host is production, a managed service or this machine."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import unquote

from credscope.connstr import split_uri
from credscope.model import Scope
from credscope.scope.facts import from_kind, names, paths, unknown
from credscope.scope.infer import Subject

# Role names that are the server's superuser by convention or by a cloud's default (scopes.md §3).
SUPERUSERS = frozenset(
    {"postgres", "root", "admin", "sa", "superuser", "supabase_admin", "doadmin", "rdsadmin", "azure_superuser"}
)
# The official images' variables: each sets the password of the superuser the image creates.
_IMAGE_PASSWORDS = {
    "POSTGRES_PASSWORD": ("postgres", "POSTGRES_USER, postgres by default"),
    "MYSQL_ROOT_PASSWORD": ("root", "root"),
    "MARIADB_ROOT_PASSWORD": ("root", "root"),
    "MONGO_INITDB_ROOT_PASSWORD": ("root", "the MONGO_INITDB_ROOT_USERNAME root user"),
}
_IMAGE_PROVIDER = {"POSTGRES_PASSWORD": "postgres", "MYSQL_ROOT_PASSWORD": "mysql", "MARIADB_ROOT_PASSWORD": "mysql"}
_IMAGE_PROVIDER["MONGO_INITDB_ROOT_PASSWORD"] = "mongodb"
# Passwords nobody keeps secret: image defaults and tutorial values.
THROWAWAY_PASSWORDS = frozenset(
    {"postgres", "password", "secret", "root", "admin", "example", "test", "changeme", "dev", "mysql", "mongo", "pass"}
)
_MANAGED_HOSTS = re.compile(
    r"(?i)\.(?:rds\.amazonaws\.com|supabase\.co|supabase\.com|neon\.tech|mongodb\.net|database\.azure\.com"
    r"|db\.ondigitalocean\.com|rlwy\.net|railway\.app|render\.com|psdb\.cloud|aivencloud\.com"
    r"|cockroachlabs\.cloud|timescale\.com|upstash\.io|redis\.cache\.windows\.net|cloudsql\.com)$"
)
_PRODUCTION_WORD = re.compile(r"(?i)(?:^|[.\-_])(?:prod|production|live)(?:$|[.\-_\d])")
RAW_AT_EVIDENCE = (
    "the password holds a raw '@' (write it as %40): the host is the one after the last '@', as URL parsers read"
    " it; drivers that stop at the first '@' (libpq, SQLAlchemy) or refuse a raw one (PyMongo) cannot connect"
    " with the string as written"
)
_GO_DSN = re.compile(r"^(?P<user>[^:@/]*):(?P<password>.*)@(?:tcp|unix)\((?P<host>[^)]*)\)/(?P<database>[^?]*)")
_QUERY_USER = re.compile(r"[?&;](user|password)=([^&;]*)")
_DSN = re.compile(r"\b(host|hostaddr|user|password|dbname)=([^\s'\";]+)")
_COMPOSE = re.compile(r"(?i)(?:^|/)(?:docker-)?compose[\w.-]*\.ya?ml$")


@dataclass(frozen=True)
class Connection:
    user: str
    password: str
    host: str
    database: str
    raw_at: bool = False  # the user-info part holds a raw `@` (see credscope/connstr.py)


def parse(secret: str) -> Connection | None:
    """User, password, first host and database of a URI, JDBC URL, Go DSN or key=value DSN; None if none."""
    go = _GO_DSN.match(secret)
    if go:
        return Connection(go["user"], go["password"], go["host"].rsplit(":", 1)[0], go["database"])
    uri = split_uri(secret)
    if uri is not None:
        query = dict(_QUERY_USER.findall(uri.rest))
        return Connection(
            user=unquote(uri.user or query.get("user", "")),
            password=unquote(uri.password or ""),
            host=uri.host,
            database=unquote(uri.rest.lstrip("/").split("?")[0].split(";")[0]) if uri.rest.startswith("/") else "",
            raw_at=uri.raw_at,
        )
    fields = dict(_DSN.findall(secret))
    if fields:
        return Connection(
            fields.get("user", ""), fields.get("password", ""), fields.get("host") or fields.get("hostaddr", ""),
            fields.get("dbname", ""),
        )  # fmt: skip
    return None


def host_verdict(host: str) -> tuple[bool | None, str]:
    """Whether a host is production (True), this machine (False) or cannot be told (None), and why."""
    if not host:
        return None, "no host in the value"
    if host.lower() in _LOCAL_NAMES or _loopback(host):
        return False, f"host {host} is this machine: a local database"
    if _MANAGED_HOSTS.search(host):
        return True, f"host {host} is a managed database service"
    if _PRODUCTION_WORD.search(host):
        return True, f"host {host} names production"
    if "." not in host:
        return None, f"host {host} is a bare name (a compose service or private network): production or not is unknown"
    return None, f"host {host}: production or not is unknown"


# Names a client resolves to the machine it runs on (a container's host included).
_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "host.docker.internal", "host.containers.internal"})


def _loopback(host: str) -> bool:
    """A loopback address, or the unspecified one (0.0.0.0, ::), which a client connects to on its own machine."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def infer(subject: Subject) -> Scope:
    credential = subject.credential
    image_variable = next((n for n in names(credential) if n.upper() in _IMAGE_PASSWORDS), None)
    if image_variable is not None:
        return _image_password(subject, image_variable.upper(), credential.secret)
    connection = parse(credential.secret)
    if connection is None:
        return from_kind(subject, credential.kind)
    production, host_note = host_verdict(connection.host)
    identity = {"role": connection.user} if connection.user else {}
    if connection.host:
        identity["host"] = connection.host
    if connection.database:
        identity["database"] = connection.database
    evidence = [host_note]
    if connection.raw_at:
        evidence.append(RAW_AT_EVIDENCE)
    if production is False and _throwaway(connection.password, connection.user):
        evidence.append("the password is a well-known default: a throw-away local value")
    if subject.provider.id == "redis" and connection.user in ("", "default"):
        note = "no ACL user: the password authenticates the default user"
        return from_kind(subject, "superuser", (note, *evidence), identity, production)
    if connection.user.lower() in SUPERUSERS:
        note = f"role {connection.user} is the server's superuser by convention"
        return from_kind(subject, "superuser", (note, *evidence), identity, production)
    grants = "its privileges need a live query (--verify)"
    role = f"role {connection.user} is not a superuser by name; {grants}" if connection.user else f"no role; {grants}"
    return unknown((role, *evidence), identity, production)


def _image_password(subject: Subject, variable: str, password: str) -> Scope:
    user, who = _IMAGE_PASSWORDS[variable]
    in_compose = any(_COMPOSE.search(path) for path in paths(subject.credential))
    where = "in a compose file " if in_compose else ""
    evidence = [f"{variable} {where}sets the password of the image's superuser ({who})"]
    production = None
    if _throwaway(password, user):
        production = False
        evidence.append("the password is a well-known default: a throw-away local value")
    else:
        evidence.append("the database's host is not in the value: production or not is unknown")
    target = subject.catalogue.providers.get(_IMAGE_PROVIDER[variable])
    if target is None or "superuser" not in target.kinds:
        return unknown(evidence, {"role": user}, production)
    # A generic rule may have found it: name the actions with the database's own table.
    return from_kind(
        Subject(subject.credential, target, subject.catalogue, subject.now), "superuser", evidence, {"role": user},
        production,
    )  # fmt: skip


def _throwaway(password: str, user: str) -> bool:
    return password.lower() in THROWAWAY_PASSWORDS or (bool(user) and password == user) or len(password) < 6


def is_image_password(subject: Subject) -> bool:
    """Whether the value is assigned to a database image's superuser password variable."""
    return any(n.upper() in _IMAGE_PASSWORDS for n in names(subject.credential))
