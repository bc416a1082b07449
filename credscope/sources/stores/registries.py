"""The credentials package managers keep for their registries: cargo, RubyGems, Maven, Gradle, NuGet, Composer.

A value for a named registry is claimed for that registry's provider; one for a private repository has no
provider of its own, and is a password or token of that host (the `registry` or `host` it is kept for).
"""

from __future__ import annotations

import html
import re

from credscope.sources.stores import Claim, Entry
from credscope.sources.stores.clouds import claim_of, entry
from credscope.sources.stores.lines import key_values
from credscope.sources.stores.spans import parse_json, parse_yaml

# (provider, kind, rule): without the rule in the catalogue, a value is a generic token with its registry.
CRATES_IO = ("crates-io", "api-token", "crates-io-token")
RUBYGEMS = ("rubygems", "api-key", "rubygems-api-key")
NO_PROVIDER = ("generic", "token", "")

_BEARER = re.compile(r"^(?:Bearer|Basic|token)\s+", re.IGNORECASE)


def cargo_credentials(text: str) -> list[Entry]:
    """`~/.cargo/credentials.toml` (or `credentials`): `[registry] token` for crates.io,
    `[registries.<name>] token` for the others (The Cargo Book, "Credentials")."""
    entries = []
    for found in key_values(text):
        if found.key != "token" or not found.value:
            continue
        if found.section == "registry":
            registry, (provider, kind, rule) = "crates.io", CRATES_IO
        elif found.section.startswith("registries."):
            registry, (provider, kind, rule) = found.section.removeprefix("registries."), NO_PROVIDER
        else:
            continue
        claim = Claim(found.line, found.value, f"{found.section}.token", provider, kind, rule)
        entries.append(Entry(found.line, found.line, {"registry": registry}, claims=(claim,)))
    return entries


def gem_credentials(text: str) -> list[Entry]:
    """`~/.gem/credentials` (YAML): `:rubygems_api_key:` for rubygems.org, and a key per other host
    (`https://rubygems.pkg.github.com/org: Bearer ghp_…`)."""
    root = parse_yaml(text)
    entries = []
    for key, node in root.fields.items():
        if not isinstance(node.value, str):
            continue
        value = _BEARER.sub("", node.value.strip())
        if key.lstrip(":") == "rubygems_api_key":
            registry, (provider, kind, rule) = "rubygems.org", RUBYGEMS
        elif "://" in key or "." in key:
            registry, (provider, kind, rule) = key, NO_PROVIDER
        else:
            continue
        claim = Claim(node.first_line, value, key.lstrip(":"), provider, kind, rule)
        entries.append(Entry(node.first_line, node.last_line, {"registry": registry}, claims=(claim,)))
    return entries


_XML_BLOCK = re.compile(r"<(server|proxy)>|</(server|proxy)>")
# The value is taken whole and stripped in code: a lazy group between two \s* made whitespace runs quadratic.
_XML_FIELD = re.compile(r"<(id|username|password|passphrase|host)>([^<]{1,2000})</\1>")


def maven_settings(text: str) -> list[Entry]:
    """`~/.m2/settings.xml`: `<server>` (and `<proxy>`) blocks with `<id>`, `<username>` and `<password>`
    or a key's `<passphrase>`; read line by line (an XML parser would not keep lines, nor be needed)."""
    entries = []
    block: tuple[str, int] | None = None
    fields: dict[str, str] = {}
    secrets: list[tuple[int, str, str]] = []
    for number, line in enumerate(text.split("\n"), start=1):
        for tag in _XML_BLOCK.finditer(line):
            if tag.group(1):
                block, fields, secrets = (tag.group(1), number), {}, []
            elif block is not None:
                entries.append(_maven_entry(block, number, fields, secrets))
                block = None
        if block is None:
            continue
        for found in _XML_FIELD.finditer(line):
            value = html.unescape(found.group(2).strip())
            if found.group(1) in ("password", "passphrase"):
                secrets.append((number, found.group(1), value))
            else:
                fields[found.group(1)] = value
    return entries


def _maven_entry(
    block: tuple[str, int], last: int, fields: dict[str, str], secrets: list[tuple[int, str, str]]
) -> Entry:
    kind, first = block
    hints = {f"maven_{kind}": fields.get("id") or fields.get("host") or ""}
    if fields.get("username"):
        hints["user"] = fields["username"]
    claims = tuple(
        Claim(line, value, f"{kind}.{field}", "generic", "password", "", fallback="password")
        for line, field, value in secrets
    )
    return Entry(first, last, hints, claims=claims)


_SECRET_PROPERTY = re.compile(r"(?i)(?:password|passwd|secret|token|api_?key|credentials?)$")


def gradle_properties(text: str) -> list[Entry]:
    """`~/.gradle/gradle.properties`: `mavenPassword=…`, `signing.password=…`, `githubToken=…`; each property
    whose name says it is secret is claimed as one (a password or a token of the build's repositories)."""
    entries = []
    for found in key_values(text):
        if found.section or not found.value or not _SECRET_PROPERTY.search(found.key):
            continue
        fallback = "password" if re.search(r"(?i)pass", found.key) else "token"
        claim = Claim(found.line, found.value, found.key, "generic", fallback, "", fallback=fallback)
        entries.append(Entry(found.line, found.line, {"property": found.key}, claims=(claim,)))
    return entries


_NUGET_SECTION = re.compile(r"<(/?)packageSourceCredentials\s*>")
_NUGET_SOURCE = re.compile(r"<(/?)([A-Za-z_][\w.\-]{0,200})\s*>")
_NUGET_ADD = re.compile(r"""<add\s+key\s*=\s*"([^"]{1,200})"\s+value\s*=\s*"([^"]{0,4000})"\s*/>""")


def nuget_config(text: str) -> list[Entry]:
    """`NuGet.Config` (`~/.nuget/NuGet`, `~/.config/NuGet`, `AppData/Roaming/NuGet`): under
    `<packageSourceCredentials>`, one element per source with `Username` and `ClearTextPassword` (a
    `Password` is encrypted for this machine's user, and not claimed)."""
    entries = []
    inside = False
    source: tuple[str, int] | None = None
    user = ""
    claims: list[Claim] = []
    for number, line in enumerate(text.split("\n"), start=1):
        section = _NUGET_SECTION.search(line)
        if section is not None:
            inside = not section.group(1)
            continue
        if not inside:
            continue
        tag = _NUGET_SOURCE.search(line)
        if tag is not None and tag.group(2) != "add":
            if not tag.group(1):
                source, user, claims = (html.unescape(tag.group(2)), number), "", []
            elif source is not None:
                hints = {"package_source": source[0], **({"user": user} if user else {})}
                entries.append(Entry(source[1], number, hints, claims=tuple(claims)))
                source = None
        for key, value in _NUGET_ADD.findall(line):
            if key.lower() == "username":
                user = html.unescape(value)
            elif key.lower() == "cleartextpassword" and source is not None:
                claims.append(
                    Claim(number, html.unescape(value), f"{source[0]}.{key}", *NO_PROVIDER, fallback="password")
                )
    return entries


def composer_auth(text: str) -> list[Entry]:
    """Composer's `auth.json` (`~/.config/composer`, `~/.composer`, `AppData/Roaming/Composer`):
    `http-basic` user and password per host, `github-oauth`, `gitlab-oauth` and `gitlab-token` per host,
    `bearer` tokens, and Bitbucket OAuth consumers (getcomposer.org, "Authentication for privately hosted
    packages")."""
    root = parse_json(text)
    entries = []
    for host, node in root.mapping("http-basic"):
        hints = {"host": host, **({"user": node.text("username") or ""} if node.text("username") else {})}
        entries.append(
            entry(
                node,
                hints,
                claim_of(node.get("password"), f"http-basic.{host}.password", *NO_PROVIDER, fallback="password"),
            )
        )
    for host, node in root.mapping("github-oauth"):
        claim = claim_of(node, f"github-oauth.{host}", "github", "personal-access-token", "github-pat-classic")
        entries.append(entry(node, {"host": host}, claim))
    for section in ("gitlab-token", "gitlab-oauth"):
        for host, node in root.mapping(section):
            token = node if isinstance(node.value, str) else node.get("token")
            kind, rule = ("personal-access-token", "gitlab-pat") if section == "gitlab-token" else ("oauth-token", "")
            entries.append(entry(node, {"host": host}, claim_of(token, f"{section}.{host}", "gitlab", kind, rule)))
    for host, node in root.mapping("bearer"):
        entries.append(entry(node, {"host": host}, claim_of(node, f"bearer.{host}", *NO_PROVIDER)))
    for host, node in root.mapping("bitbucket-oauth"):
        secret = claim_of(
            node.get("consumer-secret"),
            f"bitbucket-oauth.{host}.consumer-secret",
            *NO_PROVIDER,
            fallback="client-secret",
        )
        entries.append(entry(node, {"host": host}, secret))
    return entries
