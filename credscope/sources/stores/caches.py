"""Token caches of cloud CLIs: gcloud's SQLite databases and legacy `.boto`, Azure's MSAL token cache and
service principals, AWS IAM Identity Center (SSO) and assumed-role caches.

gcloud keeps its credentials in SQLite (`credentials.db`, `access_tokens.db`; googlecloudsdk/core/credentials/
creds.py). They are read from memory, tables only, with a step budget and a cap on each value, and rendered
as text, one row a line as JSON, so that a finding's line is the row it came from.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from credscope.sources.stores import Claim, Entry
from credscope.sources.stores.clouds import claim_of, entry
from credscope.sources.stores.config_files import ini_sections
from credscope.sources.stores.spans import Node, SpanError, parse_json

MAX_ROWS = 1000  # a credentials database holds a row per account
_SQLITE_STEPS = 200_000  # virtual-machine steps between progress checks; a few checks end a hostile query
_SQLITE_CHECKS = 50
_SQLITE_MAX_VALUE = 1024 * 1024  # the longest value a row may hold: credentials are a few kilobytes
_GCLOUD_TABLES = {"credentials.db": "credentials", "access_tokens.db": "access_tokens"}
_AZURE_CLI_CLIENT = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"  # the Azure CLI's public client id


def gcloud_db_text(data: bytes, path: Path) -> str:
    """A gcloud SQLite database as text: each row of its table one line of JSON (`credentials.db`: the
    account id and the fields of the credential JSON in `value`; `access_tokens.db`: its columns)."""
    table = _GCLOUD_TABLES.get(path.name)
    if table is None:
        raise SpanError("not a gcloud credential database")
    rows = _sqlite_rows(data, table)
    lines = []
    for row in rows:
        value = row.pop("value", None)
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if isinstance(value, str):
            try:
                decoded = json.loads(value)
            except ValueError:
                decoded = {"value": value}
            row.update(decoded if isinstance(decoded, dict) else {"value": value})
        lines.append(json.dumps({k: v for k, v in row.items() if v is not None}, default=str))
    return "\n".join(lines) + "\n"


def _sqlite_rows(data: bytes, table: str) -> list[dict[str, Any]]:
    import sqlite3  # noqa: PLC0415 - only a home with gcloud's databases needs it

    if sys.version_info < (3, 11):  # pragma: no cover - no deserialize() nor setlimit(): no safe way to read it
        raise SpanError("reading gcloud's SQLite databases needs Python 3.11 or later")
    connection = sqlite3.connect(":memory:")
    try:
        connection.deserialize(data)
        # A planted generated column (`zeroblob(900000000)`) must not allocate what it asks for.
        connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, _SQLITE_MAX_VALUE)
        checks = iter(range(_SQLITE_CHECKS))
        # A planted database could make its "table" a view over a recursive query: only a table is read,
        # and any query is abandoned after a fixed number of steps.
        connection.set_progress_handler(lambda: next(checks, None) is None, _SQLITE_STEPS)
        connection.execute("PRAGMA trusted_schema = OFF")
        kind = connection.execute("SELECT type FROM sqlite_master WHERE name = ?", (table,)).fetchone()
        if kind is None or kind[0] != "table":
            raise SpanError(f"no {table} table")
        cursor = connection.execute(f'SELECT * FROM "{table}" LIMIT {MAX_ROWS}')  # a fixed table name
        columns = [column[0] for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    except sqlite3.Error as error:
        raise SpanError(f"not a readable SQLite database: {type(error).__name__}") from None
    finally:
        connection.close()


def gcloud_rows(text: str) -> list[Entry]:
    """The rendered rows of a gcloud database: a user's `refresh_token` and `access_token`s are claimed for
    Google Cloud (a service account's key is found by its own rule)."""
    entries = []
    for number, line in enumerate(text.split("\n"), start=1):
        try:
            row = json.loads(line) if line.strip() else None
        except ValueError:
            continue
        if not isinstance(row, dict):
            continue
        hints = {"account": str(row.get("account_id", "")), "credential_type": str(row.get("type", "access token"))}
        claims = []
        for key, kind, rule in (
            ("refresh_token", "refresh-token", "gcp-refresh-token"),
            ("access_token", "access-token", "gcp-access-token"),
        ):
            value = row.get(key)
            if isinstance(value, str) and value:
                claims.append(Claim(number, _as_written(value), key, "gcp", kind, rule))
        entries.append(Entry(number, number, hints, claims=tuple(claims)))
    return entries


def _as_written(value: str) -> str:
    """A string as json.dumps writes it inside the line (escapes included)."""
    return json.dumps(value)[1:-1]


def gcloud_boto(text: str) -> list[Entry]:
    """`legacy_credentials/<account>/.boto`: gsutil's `[Credentials]` with `gs_oauth2_refresh_token`."""
    entries = []
    for section in ini_sections(text):
        value = section.values.get("gs_oauth2_refresh_token")
        if value:
            line = _line_of(text, value, section.first)
            claim = Claim(line, value, "gs_oauth2_refresh_token", "gcp", "refresh-token", "gcp-refresh-token")
            entries.append(Entry(section.first, section.last, {"section": section.name}, claims=(claim,)))
    return entries


def _line_of(text: str, value: str, first: int) -> int:
    for number, line in enumerate(text.split("\n")[first - 1 :], start=first):
        if value in line:
            return number
    return first


# --- Azure ---------------------------------------------------------------------------------------------------

_MSAL_KINDS = {
    "AccessToken": ("entra-access-token", "azure-entra-access-token"),
    "RefreshToken": ("entra-refresh-token", "azure-entra-access-token"),
}


def azure_msal_cache(text: str) -> list[Entry]:
    """The Azure CLI's `~/.azure/msal_token_cache.json` (MSAL's serialized token cache, plain text on
    Linux): `AccessToken` and `RefreshToken` entries, each with its `secret`, client, tenant (`realm`) and,
    for an access token, its scopes (`target`); the user comes from the matching `Account`."""
    root = parse_json(text)
    users = {node.text("home_account_id") or "": node.text("username") or "" for _, node in root.mapping("Account")}
    entries = []
    for section, (kind, rule) in _MSAL_KINDS.items():
        for key, node in root.mapping(section):
            hints = _msal_hints(node, users)
            claim = claim_of(node.get("secret"), f"{section}.{key}.secret", "azure", kind, rule)
            entries.append(entry(node, hints, claim))
    return entries


def _msal_hints(node: Node, users: Mapping[str, str]) -> dict[str, str]:
    hints: dict[str, str] = {}
    client = node.text("client_id") or ""
    if client:
        hints["client_id"] = "Azure CLI" if client == _AZURE_CLI_CLIENT else client
    for key, hint in (("realm", "tenant"), ("target", "scopes"), ("environment", "authority")):
        if node.text(key):
            hints[hint] = node.text(key) or ""
    user = users.get(node.text("home_account_id") or "")
    if user:
        hints["account"] = user
    return hints


def azure_service_principals(text: str) -> list[Entry]:
    """`~/.azure/service_principal_entries.json` (`az login --service-principal`): client id, tenant and
    `client_secret` of each (older CLIs: `servicePrincipalId`, `servicePrincipalTenant`, `accessToken`)."""
    root = parse_json(text)
    entries = []
    for node in root.items:
        client = node.text("client_id") or node.text("servicePrincipalId") or ""
        tenant = node.text("tenant") or node.text("servicePrincipalTenant") or ""
        secret = node.get("client_secret") or node.get("accessToken")
        name = "client_secret" if node.get("client_secret") is not None else "accessToken"
        claim = claim_of(secret, name, "azure", "client-secret", "azure-client-secret", fallback="client-secret")
        entries.append(entry(node, {"client_id": client, "tenant": tenant}, claim))
    return entries


def azure_legacy_tokens(text: str) -> list[Entry]:
    """`~/.azure/accessTokens.json` (Azure CLI before 2.30, ADAL): a list of token entries with
    `accessToken` and `refreshToken`, or a service principal's secret as `accessToken`."""
    root = parse_json(text)
    entries: list[Entry] = []
    for node in root.items:
        if node.text("servicePrincipalId"):
            entries.append(_legacy_service_principal(node))
            continue
        hints = {"account": node.text("userId") or "", "client_id": node.text("_clientId") or ""}
        if hints["client_id"] == _AZURE_CLI_CLIENT:
            hints["client_id"] = "Azure CLI"
        access = claim_of(
            node.get("accessToken"), "accessToken", "azure", "entra-access-token", "azure-entra-access-token"
        )
        refresh = claim_of(
            node.get("refreshToken"), "refreshToken", "azure", "entra-refresh-token", "azure-entra-access-token"
        )
        entries.append(entry(node, hints, access, refresh))
    return entries


def _legacy_service_principal(node: Node) -> Entry:
    hints = {"client_id": node.text("servicePrincipalId") or "", "tenant": node.text("servicePrincipalTenant") or ""}
    claim = claim_of(node.get("accessToken"), "accessToken", "azure", "client-secret", "azure-client-secret")
    return entry(node, hints, claim)


# --- AWS -----------------------------------------------------------------------------------------------------

# The catalogue has no AWS kind for IAM Identity Center tokens yet: until it does they are generic tokens,
# named with their start URL.
_SSO = ("aws", "sso-token", "aws-sso-token")


def aws_sso_cache(text: str) -> list[Entry]:
    """`~/.aws/sso/cache/*.json`: an IAM Identity Center session (`startUrl`, `accessToken`, `refreshToken`)
    or a client registration (`clientId`, `clientSecret`); an access token gets role credentials for every
    account and role assigned to its user (sso:GetRoleCredentials)."""
    root = parse_json(text)
    hints = {}
    if root.text("startUrl"):
        hints["sso_start_url"] = root.text("startUrl") or ""
    if root.text("region"):
        hints["sso_region"] = root.text("region") or ""
    if root.text("expiresAt"):
        hints["expires"] = root.text("expiresAt") or ""
    claims = [
        claim_of(root.get("accessToken"), "accessToken", *_SSO),
        claim_of(root.get("refreshToken"), "refreshToken", *_SSO),
        claim_of(root.get("clientSecret"), "clientSecret", *_SSO, fallback="client-secret"),
    ]
    return [entry(root, hints, *claims)]


def aws_cli_cache(text: str) -> list[Entry]:
    """`~/.aws/cli/cache/*.json` (and boto's `~/.aws/boto/cache`): the temporary credentials of an assumed
    role, with the role they act as (`AssumedRoleUser.Arn`)."""
    root = parse_json(text)
    credentials = root.get("Credentials")
    if credentials is None:
        return []
    hints = {}
    arn = root.text("AssumedRoleUser", "Arn")
    if arn:
        hints["role_arn"] = arn
    if credentials.text("Expiration"):
        hints["expires"] = credentials.text("Expiration") or ""
    claim = claim_of(
        credentials.get("SecretAccessKey"), "Credentials.SecretAccessKey", "aws", "access-key", "aws-secret-access-key"
    )
    return [entry(credentials, hints, claim)]
