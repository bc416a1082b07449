"""Documented examples, placeholders, references to secrets held elsewhere, and ciphertext: values that stand
for a secret without being one, whatever their provider."""

from __future__ import annotations

import hashlib
import re

from credscope.detect.decoding import decode_jwt_part
from credscope.detect.filters.base import FilterContext

# Keys and tokens that documentation publishes as examples: matching them is noise.
DOCUMENTED_EXAMPLES = frozenset(
    {
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "ASIAIOSFODNN7EXAMPLE",
        "AKIAI44QH8DHBEXAMPLE",
        "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
        # jwt.io's sample token signature segment and payload
        "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
        "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ",
    }
)
# Documented examples that are token-shaped, kept as SHA-256 fingerprints so that this file holds no
# token-shaped literal: Stripe's docs test keys (sk_test_4eC3…, pk_test_TYoo…, sk_test_BQok…, pk_test_6pRN…),
# Slack's API docs bot token (xoxb-1765…), the Azure Storage emulator's published account key (Eby8…),
# and GitHub docs' sample PAT (ghp_16C7…).
DOCUMENTED_EXAMPLE_FINGERPRINTS = frozenset(
    {
        "2cafc0970149a84f3b9e62eaf169f36f59907a3b3e31f7b82e68c69cd27f7326",
        "b1471f544ceeea31333bde7e1ecbaad6eac0d4a749412ad29bd66ef895b81c6b",
        "f2d6ca16515033e5dce14eba840b979d27b5cbae24bb3e5bf484339667f86397",
        "5895b89c8fb33402a5bfc23aad5aaf863fbb438a51e1a0bb02b0ce618c8fdf9d",
        "2ddc147f3a3b5a1722b8ed6be3c45c49a7156b17fca5d11410137a6d04def6eb",
        "0011cc25eb4320717494d2703e8cba85743e71b500283c21c8b88147992f9059",
        "3543c50b0cb9cea8e55eb1f529b79f043cb250d485fde7b66cabbb5183add7da",
    }
)

# `your-api-key`, `mytoken`, `example_secret_value`: a phrase asking for the value.
_PLACEHOLDER_PHRASE = r"""(?ix)
    ^(?:your|my|insert|enter|replace|put|add|paste|example|sample|dummy|fake|test|mock)[_\-\s]?
       [a-z_\-\s]*(?:key|token|secret|password|here|value)[_\-\s\d]*$
"""
# Marks of a placeholder anywhere in a value: brackets, masks, ellipses, `changeme`, `replace-with-your-key`.
_PLACEHOLDER_MARKS = r"""(?ix)
    ^<[^<>]+>$ | ^\[[^\[\]]+\]$ | ^\{[^{}]+\}$
    | ^(?:changeme|change_me|change-me|password|passw0rd|secret|token|null|none|nil|undefined
         |todo|tbd|redacted|hidden|xxx+|\*+|\.+)$
    | (?:x{6,}|X{6,}|\*{4,}|_{8,}|<redacted>|redacted|placeholder|example\.com|example\.org)
    | (?:\.{3,}|…)$ | ^(?:\.{3,}|…)
    # elided in the middle (`MIID/zCCAu…xoA==`): base64 holds no dots, so the ellipsis is where text was cut
    | ^[A-Za-z0-9+/=_-]{2,}(?:\.{3}|…)[A-Za-z0-9+/=_-]{2,}$
    | (?:^|[^a-z])(?:your|replace|insert|enter|paste|put)
       (?:[_\-\s]?(?:with|your|the|a|an|real|actual|own|api|access|secret|auth|here)){0,8}[_\-\s]?(?:key|token|secret|password)
    | (?:^|[^a-z])(?:change[_\-]?me|replace[_\-]?me|fill[_\-]?me|not[_\-]?a[_\-]?real|do[_\-]?not[_\-]?use)(?:[^a-z]|$)
    | <[A-Z_]{3,}>
"""
PLACEHOLDER = re.compile(f"{_PLACEHOLDER_PHRASE}|{_PLACEHOLDER_MARKS.removeprefix('(?ix)')}")
PLACEHOLDER_MARKS = re.compile(_PLACEHOLDER_MARKS)
_REFERENCE = re.compile(
    r"""\$\{\{|\$\{[^{}]{0,256}\}|^\$[A-Za-z_]\w*$|\{\{[^{}]{0,256}\}\}|%\([^()]{0,256}\)s|^%[A-Z_][A-Z0-9_]{2,}%$|^@[A-Za-z_]+$"""
    r"""|os\.environ|os\.getenv|process\.env|ENV\[|ENV\.fetch|System\.getenv|getenv\(|Deno\.env"""
    r"""|#\{[^{}]{0,256}\}|\$\([A-Za-z_][\w.]*\)|<%[^<]{0,256}?%>|\(\([\s\w.-]+\)\)|^\$\{?[A-Z_][A-Z0-9_]*\}?$"""
    r"""|^(?:vault|op|awssm|gcpsm|azkv|sm|ssm|secretsmanager)://|^arn:aws:(?:secretsmanager|ssm):"""
    r"""|@Microsoft\.KeyVault\(|secretKeyRef|valueFrom"""
    # f-string / str.format interpolation: the value is built from variables
    r"""|\{[A-Za-z_][\w.]*(?:\[[^\]{}]{0,256}\])?(?:![rsa])?(?::[^{}]*)?\}"""
)
_ENCRYPTED = re.compile(r"^ENC\[[A-Z0-9_]+,data:|^\$ANSIBLE_VAULT;|^Ag[AB][A-Za-z0-9+/]{300,}")


def _fingerprint(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest()


def documented_example(ctx: FilterContext) -> str | None:
    secret = ctx.secret
    if secret in DOCUMENTED_EXAMPLES or secret.rstrip("=").upper().endswith("EXAMPLE") or "EXAMPLEKEY" in secret:
        return "documented example key"
    if _fingerprint(secret) in DOCUMENTED_EXAMPLE_FINGERPRINTS:
        return "documented example key"
    if secret.startswith("eyJ") and any(part in DOCUMENTED_EXAMPLES for part in secret.split(".")[1:]):
        return "documented example key"  # the jwt.io sample, whatever header it is given
    return None


def unsigned_jwt(ctx: FilterContext) -> str | None:
    """A JWT with `"alg": "none"` proves nothing and opens nothing: any server that accepts it is the bug."""
    if not ctx.secret.startswith("eyJ") or ctx.secret.count(".") != 2:
        return None
    header = decode_jwt_part(ctx.secret.split(".", 1)[0])
    if header is not None and str(header.get("alg", "")).lower() == "none":
        return "unsigned JWT (alg none)"
    return None


# A password slot in a URI's userinfo or a key=value DSN that holds a template, not a value: `:[password]@`,
# `:<password>@`, `:{password}@`, `:%s@`, `:$DB_PASSWORD@`, `:__PASSWORD__@`, `:password@`, `password=%s`,
# `password={db_password}` (docs, format strings and shell templates).
_PLACEHOLDER_PASSWORD = re.compile(
    r"""(?x)
    :(?:\[[^\[\]@/\s]{1,64}\]|\{[^{}@/\s]{1,64}\}|<[^<>@/\s]{1,64}>|%[sv]|%\([^()@/\s]{1,64}\)s
       | \$\{?[A-Za-z_][A-Za-z0-9_]{0,63}\}? | __[A-Za-z0-9_]{1,64}__
       | (?i:password|passwd|pass|pwd|secret|changeme|your[_-]?password|db[_-]?password))@
    | (?i:password|pwd)=(?:\[[^\[\]\s]{1,64}\]|\{[^{}\s]{1,64}\}|<[^<>\s]{1,64}>|%[sqv]|%\([^()\s]{1,64}\)s)(?:[\s;]|$)
    """
)


def placeholder(ctx: FilterContext) -> str | None:
    if PLACEHOLDER.search(ctx.secret) or _PLACEHOLDER_PASSWORD.search(ctx.secret):
        return "placeholder"
    return None


def reference(ctx: FilterContext) -> str | None:
    return "reference to a secret held elsewhere" if _REFERENCE.search(ctx.secret) else None


_PLACEHOLDER_LOGIN = re.compile(
    r"(?i)(?:(?:^|[/:@(,;\s])<?(?:user|username|login|my_?user|your_?user|db_?user|<user>)>?|//):"
    r"<?(?:password|passwd|pass|pwd|secret|changeme|my_?password|your_?password|<password>)>?@"
)


def placeholder_login(ctx: FilterContext) -> str | None:
    """`user:password@host` in a connection string: the documented shape, not a login."""
    return "placeholder login" if _PLACEHOLDER_LOGIN.search(ctx.secret) else None


def encrypted(ctx: FilterContext) -> str | None:
    # sops `ENC[AES256_GCM,data:…]`, Ansible Vault, Bitnami sealed secrets: ciphertext, not the secret.
    return "encrypted value" if _ENCRYPTED.search(ctx.secret) else None
