"""Azure Storage: an account key is full control of the account; a SAS says its own permissions (`sp`),
resource types (`srt`), services (`ss`) and expiry (`se`) in its query string."""

from __future__ import annotations

import calendar
import re
import time
import urllib.parse

from credscope.model import Access, Scope
from credscope.scope.facts import expired, from_kind, unknown, with_capabilities
from credscope.scope.infer import Subject

_ACCOUNT = re.compile(r"AccountName=([a-z0-9]{3,24})")
_EMULATOR_ACCOUNT = "devstoreaccount1"
# sp letters → capability; d/x/y delete, the others write or read (Azure SDK AccountSasPermissions).
_PERMISSIONS = {
    "d": "sas-delete",
    "x": "sas-delete",
    "y": "sas-delete",
    "w": "sas-write",
    "a": "sas-write",
    "c": "sas-write",
    "u": "sas-write",
    "i": "sas-write",
    "t": "sas-write",
    "p": "sas-write",
    "r": "sas-read",
    "l": "sas-read",
    "f": "sas-read",
}
_PERMISSION_NAMES = {"d": "delete", "x": "delete version", "y": "permanent delete"}


def infer(subject: Subject) -> Scope:
    secret = subject.credential.secret
    account_match = _ACCOUNT.search(secret)
    account = account_match.group(1) if account_match else next(iter(_accounts(subject)), "")
    identity = {"account": account} if account else {}
    if subject.credential.kind == "sas-token" or ("sig=" in secret and ("sp=" in secret or "si=" in secret)):
        return _sas(subject, secret, identity)
    if "SharedAccessSignature=" in secret:
        return _sas(subject, secret.split("SharedAccessSignature=", 1)[1].split(";")[0], identity)
    if account == _EMULATOR_ACCOUNT:
        return Scope(
            access=Access.READ,
            destructive=False,
            evidence=("devstoreaccount1 is the storage emulator's published well-known account: not a real one",),
            identity=identity,
            production=False,
        )
    if "AccountKey=" in secret or subject.credential.kind == "storage-account-key":
        note = "an account key (Shared Key): full control of every container, blob, queue, table and share"
        return from_kind(subject, "storage-account-key", (note,), identity)
    return from_kind(subject, subject.credential.kind)


def _accounts(subject: Subject) -> tuple[str, ...]:
    found = []
    for location in subject.credential.locations:
        value = location.context.get("account") or location.context.get("host", "")
        if value:
            found.append(value.split(".")[0])
    return tuple(found)


def _sas(subject: Subject, query: str, identity: dict[str, str]) -> Scope:
    # HTML and XML configs escape the separators: "&amp;".
    fields = {k: v[0] for k, v in urllib.parse.parse_qs(query.lstrip("?").replace("&amp;", "&")).items()}
    expiry = _parse_time(fields.get("se", ""))
    gone = expired(subject, expiry, "SAS (se)")
    if gone is not None:
        return gone
    if expiry is not None:
        identity["expires"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(expiry))
    scope_note = ", ".join(f"{key}={fields[key]}" for key in ("ss", "srt", "sr") if key in fields)
    evidence = [f"SAS {scope_note}" if scope_note else "SAS"]
    permissions = fields.get("sp", "")
    if not permissions:
        reason = "permissions live in a stored access policy (si=), on the server" if "si" in fields else "no sp"
        return unknown((*evidence, reason), identity)
    named = [_PERMISSION_NAMES[p] for p in permissions if p in _PERMISSION_NAMES]
    evidence.append(f"SAS permissions sp={permissions}" + (f": can {', '.join(named)}" if named else ""))
    if not named:
        evidence.append("no delete permission (d, x, y) in sp")
    capabilities = [_PERMISSIONS[p] for p in permissions if p in _PERMISSIONS]
    return with_capabilities(subject, capabilities, evidence, identity)


def _parse_time(value: str) -> float | None:
    for layout in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%MZ", "%Y-%m-%d"):
        try:
            return float(calendar.timegm(time.strptime(value, layout)))
        except ValueError:
            continue
    return None
