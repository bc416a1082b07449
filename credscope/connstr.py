"""Connection strings as drivers read them: where the password sits in a URI, a query string, a libpq DSN or an
ODBC string, so that previews mask all of it and the host is never a piece of the password.

RFC 3986 wants an `@` in a password written `%40`, but people write it raw and many parsers accept it
(urllib, WHATWG URL, redis-py, peewee): the user-info part ends at the *last* `@` before the path. libpq and
SQLAlchemy stop at the first `@` instead, and then read a piece of the password as the host name; that name
never resolves, so the host after the last `@` is the only one such a credential can reach.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from urllib.parse import unquote

_SCHEME = re.compile(r"(?:jdbc:)?[A-Za-z][A-Za-z0-9+.-]{0,31}://")
# Secret parameters: in query strings (JDBC's `password` after `&`), libpq key/value strings (space-separated),
# ODBC and ADO.NET strings (`Pwd`, `;`-separated), Azure connection strings (`password` after `,`, `AccountKey`,
# `sig`) and API URLs (`token`, `key`).
_PASSWORD_KEY = re.compile(
    r"(?i)(?:^|(?P<lead>[?&;,\s]))(?:password|passwd|pwd|pass|accountkey|sharedaccesskey|sig"
    r"|(?:access_|auth_)?token|api_?key|key|(?:client_)?secret)[ \t]{0,8}=[ \t]{0,8}"
)
# A plain value runs to the separator of its form (`&` in a query string, `;` in ODBC, `,` in Azure's, a space in
# a libpq DSN) that starts the next `key=`, or to the end: a raw separator inside a password is masked with it
# rather than shown as if it were the next parameter. ODBC keys hold spaces (`User Id=`).
_NEXT_KEY = r"(?![ \t]{0,8}[A-Za-z_][\w.-]{0,40}=)"
_PLAIN_VALUE = {
    "&": re.compile(r"(?:[^&\s]|&(?![\w.-]{1,40}=))*"),
    ";": re.compile(r"(?:[^;\r\n]|;(?![ \t]{0,8}[A-Za-z_][\w .-]{0,40}=))*"),
    ",": re.compile(rf"(?:[^,\r\n]|,{_NEXT_KEY})*"),
    " ": re.compile(rf"(?:\S|[ \t]{_NEXT_KEY})*"),
}
_TRAILING_SEPARATORS = "&;, \t\r\n"
_QUOTED_VALUE = re.compile(r"'(?:[^'\\]|\\.)*'?")  # libpq: single quotes, backslash escapes
_BRACED_VALUE = re.compile(r"\{(?:[^}]|\}\})*\}?")  # ODBC: braces, `}}` for a literal brace
MASK = "****"
# A password that starts and ends like a template slot keeps those characters around the mask: `[****]`,
# `<****>`, `${****}`, `{{****}}`, so that a placeholder is never hidden behind a mask a real password also gets.
_SLOT_EDGES = (("{{", "}}"), ("${", "}"), ("%(", ")s"), ("[", "]"), ("<", ">"), ("{", "}"), ("(", ")"), ("%", "s"))


@dataclass(frozen=True)
class Authority:
    """The parts of a `scheme://user:password@hosts/rest` string, as written (still percent-encoded)."""

    prefix: str  # `scheme://`, with `jdbc:` when present
    user: str | None  # None when there is no user-info part
    password: str | None  # None when the user-info part has no `:`
    hosts: str  # `host[:port][,host[:port]...]`
    rest: str  # `/path?query#fragment`, or `?query` straight after the hosts
    raw_at: bool = False  # the user-info part holds a raw `@`: the password (or user) has one

    @property
    def host(self) -> str:
        """The first host, without its port (an IPv6 literal without its brackets)."""
        first = self.hosts.split(",")[0]
        if first.startswith("[") and "]" in first:
            return first[1 : first.index("]")]
        return first.rsplit(":", 1)[0] if first.count(":") == 1 else first


def split_uri(text: str) -> Authority | None:
    """A URI's parts, the user-info part ending at the last `@` before the path (password parameters, such as
    JDBC's `;password=a@b;`, are not part of it)."""
    spans = _parameter_spans(text)
    authority = _split(_masked(text, spans))
    if authority is None or authority.password is not None or not spans:
        return authority
    start, end = spans[0]
    return replace(authority, password=_unwrapped(text[start:end]))


def passwords(text: str) -> tuple[str, ...]:
    """Every password a connection string holds (user-info and parameters), as written and percent-decoded."""
    found = [_unwrapped(text[start:end]) for start, end in _parameter_spans(text)]
    authority = _split(_masked(text, _parameter_spans(text)))
    if authority is not None and authority.password:
        found.append(authority.password)
    decoded = [unquote(value) for value in found]
    return tuple(dict.fromkeys(value for value in (*found, *decoded) if value))


def masked(text: str) -> str | None:
    """The connection string with each password replaced by `****`; None when it holds none."""
    without_parameters = _masked(text, _parameter_spans(text))
    authority = _split(without_parameters)
    if authority is None or authority.password is None:
        return without_parameters if without_parameters != text else None
    return f"{authority.prefix}{authority.user}:{edged_mask(authority.password)}@{authority.hosts}{authority.rest}"


def edged_mask(password: str) -> str:
    """`****`, inside the password's own brackets when it is written like a template slot (`[password]`)."""
    for opening, closing in _SLOT_EDGES:
        if len(password) > len(opening) + len(closing) and password.startswith(opening) and password.endswith(closing):
            return f"{opening}{MASK}{closing}"
    return MASK


def driver_uri(text: str) -> str:
    """The URI with raw `@` in its user-info part percent-encoded, so that libpq reaches the host credscope
    reports (the one after the last `@`) rather than a host name made of a piece of the password."""
    authority = _split(text)
    if authority is None or not authority.raw_at:
        return text
    userinfo = (authority.user or "").replace("@", "%40")
    if authority.password is not None:
        userinfo += ":" + authority.password.replace("@", "%40")
    return f"{authority.prefix}{userinfo}@{authority.hosts}{authority.rest}"


def _split(text: str) -> Authority | None:
    scheme = _SCHEME.match(text)
    if scheme is None:
        return None
    start = scheme.end()
    slash = text.find("/", start)
    authority_end = len(text) if slash == -1 else slash
    at = text.rfind("@", start, authority_end)
    user: str | None = None
    password: str | None = None
    hosts_start = start
    if at != -1:
        user, colon, secret = text[start:at].partition(":")
        password = secret if colon else None
        hosts_start = at + 1
    hosts = text[hosts_start:authority_end]
    cut = min((i for i in (hosts.find("?"), hosts.find("#"), hosts.find(";")) if i != -1), default=len(hosts))
    raw_at = at != -1 and "@" in text[start:at]
    return Authority(scheme.group(0), user, password, hosts[:cut], hosts[cut:] + text[authority_end:], raw_at)


def _parameter_spans(text: str) -> list[tuple[int, int]]:
    """Where each secret parameter's value lies (start, end); empty values included."""
    spans = []
    position = 0
    while (key := _PASSWORD_KEY.search(text, position)) is not None:
        start = key.end()
        lead = key.group("lead") or (";" if ";" in text else " ")
        end = _value_end(text, start, "?" if lead == "&" else lead)
        spans.append((start, end))
        position = max(end, start + 1)
    return spans


def _value_end(text: str, start: int, lead: str) -> int:
    wrapped = {"'": _QUOTED_VALUE, "{": _BRACED_VALUE}.get(text[start : start + 1])
    if wrapped is not None:
        return wrapped.match(text, start).end()  # type: ignore[union-attr]
    form = {"?": "&", ";": ";", ",": ","}.get(lead, " ")
    found = _PLAIN_VALUE[form].match(text, start)
    value = found.group(0) if found is not None else ""
    return start + len(value.rstrip(_TRAILING_SEPARATORS))


def _masked(text: str, spans: list[tuple[int, int]]) -> str:
    pieces = []
    position = 0
    for start, end in spans:
        if end > start:
            pieces.append(text[position:start] + MASK)
            position = end
    return "".join(pieces) + text[position:] if pieces else text


def _unwrapped(value: str) -> str:
    if len(value) >= 2 and value[0] == "'" and value[-1] == "'":
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    if len(value) >= 2 and value[0] == "{" and value[-1] == "}":
        return value[1:-1].replace("}}", "}")
    return value
