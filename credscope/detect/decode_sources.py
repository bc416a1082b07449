"""Values that hold a secret only in encoded form: Kubernetes Secret `data` (and the copy of a Secret that
`kubectl apply` keeps in an annotation), kubeconfig `*-data` entries and Docker config `auths.<registry>.auth`.
Each is decoded into a small text the rules scan again; findings in it point back at the encoded value in the
original file. Values that cannot be read (Sealed Secrets' `encryptedData`) or were read elsewhere (the
annotation's copies) are claimed with nothing to scan, so their encodings are not taken for secrets either.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from credscope.detect.parsers import Assignment

_MAX_ENCODED = 1_000_000
# The last-applied copy of a Secret holding `.dockerconfigjson` holding `auths` holding `auth`: three levels.
_MAX_DEPTH = 3
_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
# A value that sits between quotes as it is (no control characters: binary data is not a password), and the
# names a Secret's keys may have (`[-._a-zA-Z0-9]+`).
_BARE_VALUE = re.compile(r"[^\s\"'`\\\x00-\x1f\x7f]{1,512}")
_SECRET_KEY = re.compile(r"[-._a-zA-Z0-9]{1,253}")
_KUBECONFIG_DATA = frozenset({"client-key-data", "client-certificate-data", "token-data"})
# Bytes that say a JSON or YAML document may hold such values: it is parsed even when no rule matches its text.
ENCODED_HINTS = (b"Secret", b'"auths"', b"client-key-data", b"token-data")
# What `may_hold_encoded` looks for in a document with a hint: found by the prefilter in the same pass (`seen`).
ENCODED_KEYS = (b"apiVersion", b"auths", *sorted(key.encode() for key in _KUBECONFIG_DATA))
# Escapes that can spell a character of those keys and of a Secret's kind (letters and `-`): by code point, or
# a line break escaped inside a YAML string, which joins its lines. A model escaping `<`, `&` or a quote in
# its documentation spells none of them.
_KEY_ESCAPE = re.compile(rb"\\(?:u00|U000000|x)(?:2[Dd]|4[1-9A-Fa-f]|5[0-9Aa]|6[1-9A-Fa-f]|7[0-9Aa])|\\[\r\n]")
# A `kind` key whose value is `Secret` or `SealedSecret` as YAML or JSON may write it: the key quoted or not
# (escaped quotes too: the last-applied copy of a manifest is JSON in a string), a colon, spaces and line
# breaks, the value quoted or not. What only a parser can follow there (a comment, a tag, an anchor, a block
# scalar, an alias whose anchor may be anywhere) counts as a Secret's kind. Linear: no run after a `kind`
# holds another.
_SECRET_KIND = re.compile(rb"kind[\s\"'\\:?]+(?:[#!&|>*]|(?:Sealed)?Secret)")


def may_hold_encoded(path: str, hints: frozenset[bytes], content: bytes, seen: frozenset[bytes] | None = None) -> bool:
    """Whether the document is a JSON or YAML file with one of ENCODED_HINTS in it (`hints`: those the
    prefilter found in it, in the same pass as the rule keywords), and keys `decoded_values` reads.

    Every key those values sit under is text of the document as written unless escapes spell it: `auths`, a
    kubeconfig's `*-data`, or a Kubernetes `Secret`, which needs an `apiVersion` and a `kind` key saying
    `Secret` (or an alias: `_SECRET_KIND`). Only escapes of a letter or `-` (`\\u0061`) or an escaped line
    break (YAML's, which joins lines) can spell one. A service model that names a `SecretString`, has an
    `apiVersion` in its metadata and the word "kind" in its documentation, and escapes `<` there, is not
    parsed whole for that.
    """
    if not hints:
        return False  # most documents: cheaper than naming the parser
    from credscope.detect.parsers import parser_for  # noqa: PLC0415 - only for documents with a hint

    parser = parser_for(path)
    if parser is None or parser.format not in {"json", "yaml"}:
        return False  # a bundle that names a Secret: not read again for these keys

    # `seen`: which of ENCODED_KEYS the prefilter found in its pass (each of these searches read a 5 MB model
    # at some 1.5 GB/s; "auths" and the kubeconfig keys start with common letters).
    def holds(key: bytes) -> bool:
        return key in seen if seen is not None else key in content

    kubernetes = holds(b"apiVersion") and _SECRET_KIND.search(content) is not None
    kubeconfig = any(holds(key.encode()) for key in _KUBECONFIG_DATA)
    return kubernetes or kubeconfig or holds(b"auths") or _KEY_ESCAPE.search(content) is not None


@dataclass(frozen=True)
class RegistryLogin:
    """`user:password` from a Docker config `auth` entry."""

    registry: str
    username: str
    password: str


@dataclass(frozen=True)
class Decoded:
    """A decoded value to scan as its own small document."""

    text: str  # empty for a value claimed with nothing in it to read
    start: int  # the encoded value's span in the original document
    end: int
    name: str | None  # the key it was stored under: the name rules judge a bare decoded value by
    context: Mapping[str, str] = field(default_factory=dict)
    login: RegistryLogin | None = None  # set when `text` is the password of a registry login
    # A value decoded out of another decoded value: that value, and where its encoding sits in that text.
    parent: Decoded | None = None
    span_in_parent: tuple[int, int] | None = None

    def outermost(self) -> tuple[Decoded, tuple[int, int] | None]:
        """The top-level decoded value this one came out of, and where (in its text) this one began."""
        node, span = self, None
        while node.parent is not None:
            span, node = node.span_in_parent, node.parent
        return node, span


def decoded_values(assignments: Sequence[Assignment]) -> list[Decoded]:
    """Every encoded value among a document's assignments, decoded (nested encodings included)."""
    copies = frozenset[str]()
    if any(a.path[-1:] == (_LAST_APPLIED,) for a in assignments):
        # `kubectl apply` keeps a copy of the Secret in this annotation: what it repeats is reported once, where
        # the Secret holds it.
        copies = frozenset(value for a in assignments if (value := _secret_value(a)) is not None)
    return list(_decoded(assignments, None, 0, copies))


def _decoded(
    assignments: Sequence[Assignment], outer: Decoded | None, depth: int, copies: frozenset[str]
) -> Iterator[Decoded]:
    for assignment in assignments:
        # Found inside a decoded value, a finding still points at the outermost encoded span.
        start, end = (outer.start, outer.end) if outer else (assignment.start, assignment.end)
        base = dict(outer.context) if outer else {}
        path = assignment.path
        within = (assignment.start, assignment.end) if outer else None
        kind = assignment.context.get("k8s_kind")
        if len(path) == 3 and path[0] == "auths" and path[2] == "auth":
            login = _login(path[1], assignment.value)
            if login is not None:
                context = {**base, "registry": login.registry, "username": login.username}
                yield Decoded(login.password, start, end, "password", context, login, outer, within)
            continue
        if kind == "SealedSecret" and path[:2] == ("spec", "encryptedData"):
            # Encrypted for the cluster's controller: nothing in it can be read, however random it looks.
            yield Decoded("", start, end, path[-1], base, None, outer, within)
            continue
        if kind == "Secret" and path == ("metadata", "annotations", _LAST_APPLIED):
            if outer is None and assignment.value.lstrip().startswith("{"):
                applied = Decoded(assignment.value, start, end, _LAST_APPLIED, _secret_context(assignment.context))
                yield applied
                yield from _nested(applied, depth, copies)
            continue
        if outer is not None and (text := _secret_value(assignment)) in copies:
            # In the annotation, a value the Secret itself holds: claimed (its encoding is no secret either) and
            # left empty, read once where the Secret holds it.
            yield Decoded("", start, end, path[-1], base, None, outer, within)
            continue
        if len(path) == 2 and path[0] == "data" and kind == "Secret":
            context = {**base, **_secret_context(assignment.context), "key": path[1]}
        elif path and path[-1] in _KUBECONFIG_DATA:
            context = {**base, "key": path[-1]}
        else:
            continue
        text = _base64_text(assignment.value)
        if text is None:
            continue
        if text.lstrip().startswith("{"):
            # `.dockerconfigjson` and friends: a JSON document inside the Secret.
            decoded = Decoded(text, start, end, path[-1], context, None, outer, within)
            yield decoded
            yield from _nested(decoded, depth, copies)
        else:
            scanned = _as_assignment(path[-1], text) if kind == "Secret" else text
            yield Decoded(scanned, start, end, path[-1], context, None, outer, within)


def _nested(decoded: Decoded, depth: int, copies: frozenset[str]) -> Iterator[Decoded]:
    """The encoded values of the JSON document `decoded` holds."""
    if depth + 1 < _MAX_DEPTH:
        from credscope.detect.parsers.json_format import JsonParser  # noqa: PLC0415

        yield from _decoded(JsonParser().parse(decoded.text).assignments, decoded, depth + 1, copies)


def _secret_value(assignment: Assignment) -> str | None:
    """What a Secret's `data` (decoded) or `stringData` entry holds."""
    path = assignment.path
    if len(path) != 2 or assignment.context.get("k8s_kind") != "Secret":
        return None
    if path[0] == "data":
        return _base64_text(assignment.value)
    return assignment.value if path[0] == "stringData" else None


def _secret_context(context: Mapping[str, str]) -> dict[str, str]:
    found = {"secret_name": context.get("secret_name", "")}
    if "k8s_namespace" in context:
        found["k8s_namespace"] = context["k8s_namespace"]
    return found


def _as_assignment(key: str, text: str) -> str:
    """A decoded value as the assignment it is in the Secret (`DB_PASSWORD = "…"`), so that the rules that judge
    a bare value by its name (generic passwords, tokens, API keys) read it as they read a settings file, and the
    filters see the name beside it. A value with spaces or quotes (a PEM, an env file) is scanned as it is."""
    value = text.strip()
    if _BARE_VALUE.fullmatch(value) and _SECRET_KEY.fullmatch(key):
        return f'{key} = "{value}"'
    return text


def _login(registry: str, value: str) -> RegistryLogin | None:
    text = _base64_text(value)
    if text is None or ":" not in text:
        return None
    username, password = text.split(":", 1)
    return RegistryLogin(registry, username, password) if password else None


def _base64_text(value: str) -> str | None:
    """The value base64-decoded as UTF-8 text, or None when it is not that."""
    compact = "".join(value.split())
    if not compact or len(compact) > _MAX_ENCODED:
        return None
    compact += "=" * (-len(compact) % 4)
    try:
        raw = base64.b64decode(compact, validate=True)
        return raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return None
