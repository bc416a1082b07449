"""Parsers for the credential files tools keep in a home directory: each entry with its context.

AWS shared credentials and config, .pypirc, .pgpass, .netrc, .npmrc, Docker config, kubeconfig,
GitHub CLI hosts and gcloud application-default credentials.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote

from credscope.model import redact
from credscope.scrub import looks_like_token
from credscope.sources.stores import Entry
from credscope.sources.stores.spans import Node, parse_json, parse_yaml

_SECTION = re.compile(r"^\s*\[\s*([^\]\s](?:[^\]]*[^\]\s])?)\s*\]\s*(?:[#;].*)?$")
_KEY_VALUE = re.compile(r"^\s*([\w.\-]+)\s*[=:]\s*(.*?)\s*$")
_NPM_SCOPED = re.compile(r"^\s*(//[^\s=]+?):(_authToken|_auth|_password|username)\s*=")


@dataclass(frozen=True)
class Section:
    name: str
    first: int
    last: int
    values: dict[str, str] = field(default_factory=dict)


def ini_sections(text: str) -> list[Section]:
    """`[name]` sections with their lines and key/value pairs (AWS files, .pypirc)."""
    sections: list[Section] = []
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        header = _SECTION.match(line)
        if header:
            if sections:
                sections[-1] = _closed(sections[-1], number - 1)
            sections.append(Section(header.group(1), number, len(lines)))
        elif sections and (pair := _KEY_VALUE.match(line)):
            sections[-1].values[pair.group(1).lower()] = pair.group(2)
    return sections


def _closed(section: Section, last: int) -> Section:
    return Section(section.name, section.first, last, section.values)


def aws_config_profiles(text: str) -> dict[str, dict[str, str]]:
    """Profile name -> its settings in ~/.aws/config (`[profile x]`, `[default]`)."""
    profiles: dict[str, dict[str, str]] = {}
    for section in ini_sections(text):
        name = _aws_profile_name(section.name)
        if name is not None:
            profiles[name] = section.values
    return profiles


def _aws_profile_name(header: str) -> str | None:
    if header == "default":
        return "default"
    kind, _, name = header.partition(" ")
    return name.strip() if kind == "profile" and name.strip() else None


def _aws_hints(profile: str, settings: Mapping[str, str]) -> dict[str, str]:
    hints = {"profile": profile}
    for key in ("role_arn", "source_profile", "sso_account_id", "sso_role_name", "region"):
        if settings.get(key):
            hints[key] = settings[key]
    return hints


def aws_credentials(text: str, config: Mapping[str, Mapping[str, str]]) -> list[Entry]:
    """~/.aws/credentials: one entry per profile, with that profile's role settings from ~/.aws/config
    and the roles other profiles assume with these keys (`source_profile = this`)."""
    entries = []
    for section in ini_sections(text):
        hints = _aws_hints(section.name, {**config.get(section.name, {}), **section.values})
        assumed = sorted(
            settings["role_arn"]
            for settings in config.values()
            if settings.get("source_profile") == section.name and settings.get("role_arn")
        )
        if assumed:
            hints["assumable_roles"] = ",".join(assumed)
        entries.append(Entry(section.first, section.last, hints))
    return entries


def aws_config(text: str) -> list[Entry]:
    """~/.aws/config may hold keys too (`aws_access_key_id` under `[profile x]`)."""
    entries = []
    for section in ini_sections(text):
        name = _aws_profile_name(section.name)
        hints = _aws_hints(name, section.values) if name else {"section": section.name}
        entries.append(Entry(section.first, section.last, hints))
    return entries


def pypirc(text: str) -> list[Entry]:
    entries = []
    for section in ini_sections(text):
        hints = {"repository": section.name}
        if section.values.get("repository"):
            hints["url"] = section.values["repository"]
        if section.values.get("username"):
            hints["user"] = section.values["username"]
        entries.append(Entry(section.first, section.last, hints))
    return entries


def pgpass(text: str) -> list[Entry]:
    """`host:port:database:user:password` lines, each rewritten as the connection URI it stands for."""
    entries = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip() or line.lstrip().startswith(("#", "postgresql://")):
            continue  # comments, and lines this parser already rewrote
        fields = _pgpass_fields(line)
        if len(fields) != 5 or not fields[4]:
            continue
        host, port, database, user, password = fields
        hints = {"host": host, "port": port, "database": database, "user": user}
        # The URI is what the postgres rules recognise, and what a client would connect with.
        authority = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}"
        if port.isdigit():
            authority += f":{port}"
        uri = f"postgresql://{authority}" + (f"/{quote(database, safe='')}" if database != "*" else "")
        entries.append(Entry(number, number, hints, {number: uri}))
    return entries


def _pgpass_fields(line: str) -> list[str]:
    fields: list[str] = []
    current: list[str] = []
    escaped = False
    for char in line.rstrip("\r"):
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ":" and len(fields) < 4:
            fields.append("".join(current))
            current = []
        else:
            current.append(char)
    fields.append("".join(current))
    return fields


def netrc(text: str) -> list[Entry]:
    """`machine HOST login USER password SECRET` blocks (tokens may span lines), one entry per machine.

    A login that is a token (GitHub's and Heroku's entries put it there, often with no password) is a
    credential, not a user name: the entry's context carries its preview.
    """
    tokens = [(number, word) for number, line in enumerate(text.split("\n"), start=1) for word in line.split()]
    entries: list[Entry] = []
    index = 0
    current: tuple[int, dict[str, str]] | None = None
    last_line = 0
    while index < len(tokens):
        number, word = tokens[index]
        if word in ("machine", "default"):
            if current is not None:
                entries.append(_netrc_entry(current[0], number - 1 if number > current[0] else number, current[1]))
            host = tokens[index + 1][1] if word == "machine" and index + 1 < len(tokens) else "default"
            current = (number, {"host": host})
            index += 2 if word == "machine" else 1
            continue
        if word in ("login", "password") and current is not None and index + 1 < len(tokens):
            current[1]["user" if word == "login" else "password"] = tokens[index + 1][1]
        last_line = number
        index += 1
    if current is not None:
        entries.append(_netrc_entry(current[0], max(last_line, current[0]), current[1]))
    return entries


def _netrc_entry(first: int, last: int, found: dict[str, str]) -> Entry:
    hints = {key: value for key, value in found.items() if key != "password"}
    user = hints.get("user")
    if user is not None and (not found.get("password") or looks_like_token(user)):
        hints["user"] = redact(user)
    return Entry(first, last, hints)


def npmrc(text: str) -> list[Entry]:
    """Registry-scoped settings (`//registry.npmjs.org/:_authToken=...`) name their registry."""
    entries = []
    for number, line in enumerate(text.split("\n"), start=1):
        scoped = _NPM_SCOPED.match(line)
        if scoped:
            entries.append(Entry(number, number, {"registry": scoped.group(1)}))
    return entries


def docker_config(text: str) -> list[Entry]:
    """~/.docker/config.json `auths`: the registry, and the user inside the base64 `auth` (the detector
    decodes the password itself and places it on the encoded value)."""
    root = parse_json(text)
    entries = []
    for registry, node in root.mapping("auths"):
        hints = {"registry": registry}
        auth = node.text("auth")
        decoded = _basic_auth(auth) if auth else None
        if decoded is not None:
            hints["user"] = decoded[0]
        elif node.text("username"):
            hints["user"] = node.text("username") or ""
        entries.append(Entry(node.first_line, node.last_line, hints))
    return entries


def _basic_auth(value: str) -> tuple[str, str] | None:
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    user, colon, password = decoded.partition(":")
    return (user, password) if colon and password else None


def kubeconfig(text: str) -> list[Entry]:
    """Users with the contexts and clusters that use them (the detector decodes `client-key-data`)."""
    root = parse_yaml(text)
    servers = {c.text("name") or "": c.text("cluster", "server") or "" for c in _items(root, "clusters")}
    contexts: dict[str, list[tuple[str, str]]] = {}
    for item in _items(root, "contexts"):
        user = item.text("context", "user")
        if user is not None:
            contexts.setdefault(user, []).append((item.text("name") or "", item.text("context", "cluster") or ""))
    entries = []
    for item in _items(root, "users"):
        name = item.text("name") or ""
        hints = {"kube_user": name}
        used_by = contexts.get(name, [])
        if used_by:
            hints["kube_context"] = ",".join(context for context, _ in used_by)
            cluster = used_by[0][1]
            hints["kube_cluster"] = cluster
            if servers.get(cluster):
                hints["server"] = servers[cluster]
        entries.append(Entry(item.first_line, item.last_line, hints))
    return entries


def _items(root: Node, key: str) -> tuple[Node, ...]:
    node = root.get(key)
    return node.items if node is not None else ()


def gh_hosts(text: str) -> list[Entry]:
    """GitHub CLI hosts.yml: host -> oauth_token, user (and per-user tokens under `users`)."""
    root = parse_yaml(text)
    entries = []
    for host, node in root.fields.items():
        hints = {"host": host}
        user = node.text("user")
        if user:
            hints["user"] = user
        entries.append(Entry(node.first_line - 1 if node.first_line > 1 else 1, node.last_line, hints))
    return entries


def gcloud_adc(text: str) -> list[Entry]:
    """Application-default credentials: a user refresh token or a service-account key, with its identity."""
    root = parse_json(text)
    hints = {"credential_type": root.text("type") or "unknown"}
    for key, hint in (
        ("client_email", "account"),
        ("account", "account"),
        ("quota_project_id", "project"),
        ("project_id", "project"),
    ):
        value = root.text(key)
        if value:
            hints.setdefault(hint, value)
    return [Entry(root.first_line, root.last_line, hints)]


def whole_file(text: str) -> list[Entry]:
    """Stores read whole: shell histories (one command per line, zsh's `: time:0;` prefix included) and
    `.git-credentials` (a URL with its credentials a line), whose values the rules recognise themselves."""
    del text
    return []
