"""Logins written into connection strings for readers, not for a server: a masked or placeholder password, a
constant's name where the password goes (`KEYSTONE_DBPASS`), the classic sample login (scott/tiger), a one-
or two-character illustration (`postgresql://a:b@x`), a password that restates its own user or database on a
made-up host (`bbuser:bbpasswd@dbhost`, `examplename:somepassword@examplehost`), and a URI named as an example.

A default login on this machine (`postgres:postgres@localhost`) is still reported: scope inference calls it a
throw-away local value, at low severity.

These judge the user-info part of a URI whatever its provider: a scheme is not a token format, and a real
password in the same place is still reported (tests/test_not_credentials.py).
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from credscope.connstr import split_uri
from credscope.detect.filters.base import FilterContext, words_of
from credscope.detect.filters.examples import PLACEHOLDER_MARKS
from credscope.detect.filters.vocabulary import CREDENTIAL_WORDS, KNOWN_WORDS, own_words, read, segmented, unleet

# Characters a password is masked with in docs, logs and redacted output: `***`, `xxxx`, `••••`.
_MASKED = re.compile(r"\*+|x+|X+|•+|●+|#+|\?+|_+|-+|\.+|…")
# A phrase asking for the password, its words apart (`my-token`, `your_password`; `mysqluserpassword` is not one).
_PLACEHOLDER_PHRASE = re.compile(
    r"(?i)(?:your|my|some|insert|enter|replace|paste|example|sample|dummy|fake)(?:[-_ ][a-z]+){0,4}[-_ ]"
    r"(?:key|token|secret|password|pass|passwd|pwd)"
)
# The sample login of Oracle's demo schema, used by SQLAlchemy's documentation ever since.
_SAMPLE_LOGINS = frozenset({("scott", "tiger")})
# A constant's name standing for the password to choose: `KEYSTONE_DBPASS`, `RABBIT_PASS`, `SECRETKEY`.
_CONSTANT = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*")
# Host names that documentation makes up: RFC 2606/6761 names, `example*`, `*example*`, `my…host`, `dbhost`.
_MADE_UP_DOMAIN = re.compile(
    r"(?i)(?:^|\.)(?:example\.(?:com|net|org)|domain\.(?:com|tld)|(?:[\w-]+\.)?(?:example|test|invalid))$"
)
# A first label of known words around `host`, `server` or `example`: `dbhost`, `myredishost`, `examplehost`.
_HOST_WORDS = frozenset({"host", "hostname", "server", "example", "name"})
_LOCAL = frozenset({"localhost", "localhost.localdomain", "host.docker.internal", "host.containers.internal"})
_IP = re.compile(r"[\d.]+|\[?[0-9a-fA-F:.]*:[0-9a-fA-F:.]*\]?")
_EXAMPLE_NAMES = frozenset({"example", "examples", "sample", "samples"})


def uri_login(ctx: FilterContext) -> str | None:
    """Why the user-info of a connection string is not a login anyone uses, or None."""
    if "@" not in ctx.secret or "://" not in ctx.secret:
        return None
    authority = split_uri(ctx.secret)
    if authority is None or not authority.password:
        return None
    user, password = unquote(authority.user or ""), unquote(authority.password)
    host = authority.host.lower()
    if _MASKED.fullmatch(password):
        return "masked password (a redacted example)"
    if PLACEHOLDER_MARKS.search(password) or _PLACEHOLDER_PHRASE.fullmatch(password):
        return "placeholder password"
    if len(password) <= 2:
        return "a one- or two-character password: an illustration"
    if _CONSTANT.fullmatch(password) and _names_a_credential(password):
        return "a constant's name where the password goes (a placeholder)"
    if (user.lower(), password) in _SAMPLE_LOGINS:
        return "documented sample login"
    if _made_up(host) and _restates_login(password, user, host, authority.rest):
        return "a sample login on a made-up host"
    if ctx.name and words_of(ctx.name) & _EXAMPLE_NAMES:
        return "a connection string named as an example"
    return None


def _names_a_credential(constant: str) -> bool:
    """`KEYSTONE_DBPASS` (its last part db + pass), `SECRETKEY`: a constant whose name ends in a credential word."""
    parts = segmented(constant.rsplit("_", 1)[-1].lower(), KNOWN_WORDS)
    return parts is not None and parts[-1] in CREDENTIAL_WORDS


def _restates_login(password: str, user: str, host: str, rest: str) -> bool:
    """The password is made of its user's, database's or host's words and test or credential words, also
    written in leetspeak: `saleor` for saleor, `bu1ldb0t` for buildbot, `SuperSecret`, `bbpasswd` for bbuser."""
    database = rest.lstrip("/").split("?")[0].split("/")[0]
    own = own_words(user, database, host.split(".", maxsplit=1)[0])
    vocabulary = KNOWN_WORDS | own
    return any(read(candidate, vocabulary, own).made_of_words() for candidate in (password, unleet(password)))


def _made_up(host: str) -> bool:
    """`examplehost`, `myredishost.com`, `dbhost`, `db.example.com`, or a single letter."""
    first = host.split(".", maxsplit=1)[0]
    if host in _LOCAL or first == "localhost" or _IP.fullmatch(host):
        return False  # an address or this machine, not a made-up name: default logins there stay reported
    if len(first) == 1 or _MADE_UP_DOMAIN.search(host):
        return True
    parts = segmented(first.replace("-", ""), KNOWN_WORDS | _HOST_WORDS)
    return parts is not None and bool(set(parts) & (_HOST_WORDS - {"name"}))
