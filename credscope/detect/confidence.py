"""How sure a finding is a credential at all: certain, likely or possible, with the reason in words.

* certain: the rule checks a checksum, or the value is a structure that decodes (a PEM private key block).
* likely: a provider's own format without a checksum (a prefix, a fixed shape), or a generic value with
  strong context: credentials inside a URL or an Authorization header, a `.netrc`, a dotenv file, a known
  credential store, an MCP server's configuration, a Kubernetes Secret, the environment.
* possible: a generic value judged by the name it is assigned to and its entropy alone.

A credential seen only in test-fixture paths (`tests/`, `fixtures/`, `__tests__`, `testdata`, `spec/`, …), or only
in documentation and examples (`docs/`, `examples/`, `README.md`, `*.rst`, …), is at most possible, and says so:
a fixture or a documented sample stays in the report but does not fail the default gate; so does a value only
ever inside a documentation field of a structured file (a JSON Schema's `description`, a template's
`example`) or a documentation comment (a JSDoc `@example`; a `//` or `#` comment is not one). A PEM block is
certain only when its body decodes as a key.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterable
from dataclasses import replace

from credscope.catalogue import Rule
from credscope.detect.attribution import SHARED_FORMAT
from credscope.detect.filters import GENERIC_PROVIDER
from credscope.model import Confidence, Credential, Location, Reach

# Directory names that hold test data, and file names of tests themselves, in the ecosystems people scan.
_FIXTURE_DIRS = frozenset(
    {
        "test",
        "tests",
        "testing",
        "testdata",
        "test-data",
        "test_data",
        "fixture",
        "fixtures",
        "__tests__",
        "__mocks__",
        "__fixtures__",
        "__snapshots__",
        "spec",
        "specs",
        "mocks",
        "cassettes",
        "e2e",
    }
)
# Documentation and samples: what they hold is shown to readers, rarely used.
_EXAMPLE_DIRS = frozenset(
    {"doc", "docs", "documentation", "example", "examples", "sample", "samples", "demo", "demos", "test_project"}
)
_DOC_FILE = re.compile(r"(?i)\.(?:md|mdx|markdown|rst|adoc|asciidoc)$|^(?:readme|contributing|changelog)(?:\.[\w.]+)?$")
_TEST_FILE = re.compile(
    r"(?:^test_[^/]*\.py|_tests?\.(?:py|go|rb|rs|exs?)|_spec\.rb|\.(?:test|spec)\.[cm]?[jt]sx?"
    r"|(?:Test|Tests|Spec)\.(?:java|kt|cs|scala|swift|php)|^conftest\.py)$"
)
# Generic kinds whose form carries its own context: a credential inside a URL or an Authorization header.
_STRUCTURED_GENERIC_RULES = frozenset({"generic-url-credentials", "generic-bearer-token", "generic-netrc-password"})
_DOTENV = re.compile(r"(?:^|/)(?:\.env(?:\.[\w.-]+)?|[\w.-]+\.env)$")
_STORE_CONTEXT = ("store", "mcp_server", "kubeconfig", "profile", "secret_name", "registry")


def judged(credential: Credential, rule: Rule | None) -> Credential:
    """The credential with its confidence and the reason for it."""
    confidence, reason = _by_form(credential, rule)
    if confidence is not Confidence.POSSIBLE:
        for where, test in (("test fixtures", is_fixture_path), ("documentation and examples", is_example_path)):
            paths = paths_all(credential.locations, test)
            if paths:
                shown = ", ".join(paths[:2]) + (", …" if len(paths) > 2 else "")
                confidence, reason = Confidence.POSSIBLE, f"{reason}; only in {where} ({shown}), so possible"
                break
        else:
            for where, places in (
                ("documentation fields", documentation_fields(credential.locations)),
                ("documentation comments", documentation_comments(credential.locations)),
            ):
                if places:
                    shown = ", ".join(places[:2]) + (", …" if len(places) > 2 else "")
                    confidence, reason = Confidence.POSSIBLE, f"{reason}; only in {where} ({shown}), so possible"
                    break
    return replace(credential, confidence=confidence, confidence_reason=reason)


def _by_form(credential: Credential, rule: Rule | None) -> tuple[Confidence, str]:
    confidence, reason = _by_rule(credential, rule)
    shared = _shared_with(credential.locations)
    if shared and confidence is not Confidence.POSSIBLE:
        # Another provider's rule takes the same value and nothing around it says whose it is: the provider is
        # the format's owner's best guess, never certain, and the report names the others.
        return Confidence.LIKELY, (
            f"{credential.provider} {credential.kind} format, which {_and(shared)} keys also have, and nothing"
            " around it (its name, a host beside it, its file) names one of them"
        )
    return confidence, reason


def _shared_with(locations: Iterable[Location]) -> list[str]:
    """The other providers whose format it is, when no location of the credential says whose it is."""
    shared: list[str] = []
    for location in locations:
        names = location.context.get(SHARED_FORMAT)
        if not names:
            return []
        shared.extend(name for name in names.split(", ") if name not in shared)
    return shared


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _by_rule(credential: Credential, rule: Rule | None) -> tuple[Confidence, str]:
    if rule is None:
        return Confidence.LIKELY, "a rule of a provider directory"
    if rule.confidence is not None:
        if rule.confidence is Confidence.CERTAIN and credential.secret.startswith("-----BEGIN"):
            if not pem_body_decodes(credential.secret):
                return Confidence.POSSIBLE, "a PEM block whose body does not decode as a key (a sample or a fragment)"
            return Confidence.CERTAIN, "a PEM block whose body decodes as a key"
        return rule.confidence, f"{rule.id}: a {rule.kind} whose structure decodes"
    if rule.validate:
        return Confidence.CERTAIN, f"checksum or structure checked ({rule.validate})"
    if rule.provider != GENERIC_PROVIDER:
        store = next((loc.context["store"] for loc in credential.locations if loc.context.get("store")), "")
        if store:
            return Confidence.LIKELY, f"the {store} store holds it as a {credential.provider} {credential.kind}"
        return Confidence.LIKELY, f"{credential.provider} {credential.kind} format, no checksum to check"
    strong = _strong_context(rule, credential.locations)
    if strong:
        return Confidence.LIKELY, f"a generic value with strong context: {strong}"
    return Confidence.POSSIBLE, "a generic value judged by its name and entropy alone"


def _strong_context(rule: Rule, locations: Iterable[Location]) -> str:
    if rule.id in _STRUCTURED_GENERIC_RULES:
        return {"generic-url-credentials": "credentials in a URL", "generic-netrc-password": "a .netrc entry"}.get(
            rule.id, "an Authorization header"
        )
    for location in locations:
        if location.reach is Reach.ENV:
            return "an environment variable"
        if any(location.context.get(key) for key in _STORE_CONTEXT):
            return "an entry of a credential store"
        if location.reach is Reach.HOME:
            return "a file in the home directory"
        if _DOTENV.search(location.path):
            return "a dotenv file"
    return ""


def paths_all(locations: Iterable[Location], test: Callable[[str], bool]) -> list[str]:
    """The locations' paths when every one of them passes `test` (is test data, is documentation); else empty."""
    paths = []
    for location in locations:
        if location.reach in (Reach.HOME, Reach.ENV) or not test(location.path):
            return []
        paths.append(location.path)
    return list(dict.fromkeys(paths))


# Fields of structured documents that hold prose and samples for readers: a JSON Schema's `description` and
# `examples`, a configuration template's `example`, OpenAPI's `example`/`examples`.
_DOCUMENTATION_FIELDS = frozenset({"description", "example", "examples", "help", "summary", "comment", "comments"})


def documentation_fields(locations: Iterable[Location]) -> list[str]:
    """The key paths when every location is inside a documentation field (`….description`); else empty."""
    fields = []
    for location in locations:
        key_path = location.context.get("key_path", "")
        if location.reach in (Reach.HOME, Reach.ENV) or key_path.rsplit(".", 1)[-1] not in _DOCUMENTATION_FIELDS:
            return []
        fields.append(f"{location.path}: {key_path}")
    return list(dict.fromkeys(fields))


def documentation_comments(locations: Iterable[Location]) -> list[str]:
    """`path:line` of each location when every one is in a documentation comment (JSDoc's ` * @example`, marked
    by the detector from the line: detect/comments.py); else empty."""
    places = []
    for location in locations:
        if location.reach in (Reach.HOME, Reach.ENV) or location.context.get("comment") != "documentation":
            return []
        places.append(f"{location.path}:{location.line}")
    return list(dict.fromkeys(places))


def is_example_path(path: str) -> bool:
    parts = path.replace("\\", "/").split("/")
    return any(part.lower() in _EXAMPLE_DIRS for part in parts[:-1]) or bool(_DOC_FILE.search(parts[-1]))


_PEM = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.DOTALL)
_PEM_HEADER_LINE = re.compile(r"^[ \t]*[\w-]+:.*$", re.MULTILINE)  # Proc-Type:, DEK-Info: of an encrypted PKCS#1 key


def pem_body_decodes(block: str) -> bool:
    """Whether a PEM block's body is base64 of a key: DER (an ASN.1 SEQUENCE), an OpenSSH key, or a PGP packet."""
    text = block.replace("\\r\\n", "\n").replace("\\n", "\n")
    # Anchored where the block begins: a search from every `-----BEGIN` would rescan to the end each time.
    found = _PEM.match(text, max(text.find("-----BEGIN"), 0))
    if found is None:
        return False
    body = _PEM_HEADER_LINE.sub("", found.group(2))
    if "PGP" in found.group(1):
        body = body.split("\n=", 1)[0]  # the armour's CRC line
    try:
        data = base64.b64decode("".join(body.split()), validate=True)
    except ValueError:
        return False
    if "OPENSSH" in found.group(1):
        return data.startswith(b"openssh-key-v1\0")
    if "PGP" in found.group(1):
        return len(data) > 32 and data[0] & 0x80 == 0x80  # an OpenPGP packet tag
    if "Proc-Type:" in found.group(2):
        return len(data) > 32  # an encrypted PKCS#1 body is ciphertext, not DER
    return len(data) > 32 and data[0] == 0x30


def is_fixture_path(path: str) -> bool:
    parts = path.replace("\\", "/").split("/")
    return any(part.lower() in _FIXTURE_DIRS for part in parts[:-1]) or bool(_TEST_FILE.search(parts[-1]))
