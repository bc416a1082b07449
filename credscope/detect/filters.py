"""False-positive filters: each says why a matched value is not a credential, or nothing.

A filter sees the secret, the line it starts on, the name it is assigned to and the file's path. Filters that
judge by the name or by "looks like a word" only apply to the `generic` provider, whose rules have nothing
but the name to go on; a provider-specific format (a prefix, a checksum) is trusted over such guesses, so
that a real generated token is never dropped (the provider examples prove it).

Some heuristics are detect-secrets' (`detect/heuristics.py` reimplements them: importing detect-secrets
costs ~0.17 s).
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass

from credscope.detect import heuristics
from credscope.detect.checksums import VALIDATORS
from credscope.detect.decoding import decode_jwt_part
from credscope.detect.entropy import shannon
from credscope.detect.language import natural_language, translation_file
from credscope.detect.public_ids import public_identifier

GENERIC_PROVIDER = "generic"


@dataclass(frozen=True)
class FilterContext:
    secret: str
    line: str  # the whole line the secret starts on
    name: str | None  # the name it is assigned to, if any
    path: str
    rule_id: str
    provider: str


# A filter must be monotone in the name: what it rejects with `name=None` it rejects under any name. The
# engine relies on that to judge a value before parsing its document for names (tests/test_filters_monotone.py).
Filter = Callable[[FilterContext], "str | None"]

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

_PLACEHOLDER = re.compile(
    r"""(?ix)
    ^(?:your|my|insert|enter|replace|put|add|paste|example|sample|dummy|fake|test|mock)[_\-\s]?
       [a-z_\-\s]*(?:key|token|secret|password|here|value)[_\-\s\d]*$
    | ^<[^<>]+>$ | ^\[[^\[\]]+\]$ | ^\{[^{}]+\}$
    | ^(?:changeme|change_me|change-me|password|passw0rd|secret|token|null|none|nil|undefined
         |todo|tbd|redacted|hidden|xxx+|\*+|\.+)$
    | (?:x{6,}|X{6,}|\*{4,}|_{8,}|<redacted>|redacted|placeholder|example\.com|example\.org)
    | (?:\.{3,}|…)$ | ^(?:\.{3,}|…)
    | (?:^|[^a-z])(?:your|replace|insert|enter|paste|put)
       (?:[_\-\s]?(?:with|your|the|a|an|real|actual|own|api|access|secret|auth|here)){0,8}[_\-\s]?(?:key|token|secret|password)
    | (?:^|[^a-z])(?:change[_\-]?me|replace[_\-]?me|fill[_\-]?me|not[_\-]?a[_\-]?real|do[_\-]?not[_\-]?use)(?:[^a-z]|$)
    | <[A-Z_]{3,}>
    """
)
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


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


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
    if _PLACEHOLDER.search(ctx.secret) or _PLACEHOLDER_PASSWORD.search(ctx.secret):
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


# --- low-variety and sequential fakes ---------------------------------------------------------------------


def low_variety(ctx: FilterContext) -> str | None:
    # The random part of a token has many distinct characters; "aaaa…", "1234…", "abcabc…" do not.
    body = _random_part(ctx.secret)
    if len(body) < 8:
        return None
    if len(set(body)) <= 3 or _sequential(body) or _periodic(body):
        return "low-variety fake"
    if _longest_run(body) >= 7 or heuristics.is_sequential_string(body):
        return "sequential fake"
    return None


def _random_part(secret: str) -> str:
    """What follows a token's prefix (`sk_live_`, `ghp_`…), at most the last 32 characters."""
    body = re.sub(r"^[A-Za-z]{2,8}[_-](?:(?:live|test|v\d|pat|oat|proj|tkn|pw|api\d\d|admin\d\d)[_-])?", "", secret)
    return body[-min(len(body), 32) :]


def _periodic(value: str) -> bool:
    """`abcabcab…`: a short unit repeated, possibly cut off at the end."""
    return any(
        value == (value[:period] * (len(value) // period + 1))[: len(value)]
        for period in range(1, min(8, len(value) // 3) + 1)
    )


def _sequential(value: str) -> bool:
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(value)}
    return len(steps) == 1 and steps <= {1, -1, 0}


def _longest_run(value: str) -> int:
    """Longest stretch of consecutive ascending or descending characters, like 1234567 or gfedcba."""
    longest = run = 1
    direction = 0
    for a, b in itertools.pairwise(value):
        step = ord(b) - ord(a)
        if step in (1, -1) and (run == 1 or step == direction):
            run, direction = run + 1, step
        elif step in (1, -1):
            run, direction = 2, step
        else:
            run, direction = 1, 0
        longest = max(longest, run)
    return longest


# --- hashes, commit ids, lockfiles --------------------------------------------------------------------------

_LOCKFILES = frozenset(
    {
        "go.sum",
        "pnpm-lock.yaml",
        "uv.lock",
        "bun.lock",
        "npm-shrinkwrap.json",
        "gradle.lockfile",
        "flake.lock",
        "mix.lock",
        "pubspec.lock",
        "conda-lock.yml",
        "pdm.lock",
        "deno.lock",
        "Package.resolved",
    }
)
_SRI = re.compile(r"^(?:sha1|sha256|sha384|sha512|md5)[-:][A-Za-z0-9+/=_-]+$")
_HASH_BEFORE = re.compile(r"(?:sha1|sha224|sha256|sha384|sha512|md5|h1)[-:=]\s*$", re.IGNORECASE)
_HEX = re.compile(r"^[0-9a-fA-F]{7,128}$")
_HASH_WORDS = _wordset(
    "sha sha1 sha224 sha256 sha384 sha512 md5 hash hashes hashed hexdigest digest checksum checksums crc "
    "etag commit revision rev oid fingerprint thumbprint integrity object tree blob head parent"
)
_COMMIT_LINE = re.compile(r"(?i)\b(?:commit|sha|rev|revision|checkout|cherry-pick|revert|merge|blob|tree|git)\b")


def lockfile_hash(ctx: FilterContext) -> str | None:
    if _SRI.match(ctx.secret) or _hash_prefixed(ctx):
        return "integrity hash"
    if _is_lockfile(ctx.path) and (
        ctx.provider == GENERIC_PROVIDER or _HEX.match(ctx.secret) or "integrity" in ctx.line or "hash" in ctx.line
    ):
        return "lockfile integrity hash"
    return None


def _hash_prefixed(ctx: FilterContext) -> bool:
    index = ctx.line.find(ctx.secret)
    return index > 0 and _HASH_BEFORE.search(ctx.line[max(0, index - 8) : index]) is not None


def _is_lockfile(path: str) -> bool:
    base = path.rsplit("/", 1)[-1]
    return base in _LOCKFILES or base.endswith(".lock") or heuristics.is_lock_file(path)


def hash_constant(ctx: FilterContext) -> str | None:
    """Hex digests assigned to names that say so, and commit ids on lines that talk about commits."""
    if not _HEX.match(ctx.secret):
        return None
    if ctx.name and _words(ctx.name) & _HASH_WORDS:
        return "hash constant"
    if len(ctx.secret) in (7, 8, 12, 40, 64) and ctx.secret.islower() and _COMMIT_LINE.search(_before(ctx)):
        return "commit id"
    return None


# Stored password hashes: Django's `<algorithm>$…` (fixtures hold them by the dozen) and the modular crypt
# format (`$2b$12$…` bcrypt, `$argon2id$…`, `$6$…` sha512-crypt). A hash is what a server keeps instead of the
# password; it logs nobody in.
_PASSWORD_HASH = re.compile(
    r"(?:pbkdf2_sha256|pbkdf2_sha1|argon2|bcrypt_sha256|bcrypt|scrypt|sha1|md5|unsalted_md5|unsalted_sha1|crypt)"
    r"\$[^$\s]{1,64}\$[^\s]{8,}"
    r"|\$(?:2[abxy]?|argon2(?:id|i|d)|1|5|6|apr1|pbkdf2(?:-sha(?:1|256|512))?|scrypt|y|gy|7)\$[^\s]{8,}"
)


def password_hash(ctx: FilterContext) -> str | None:
    if ctx.provider == GENERIC_PROVIDER and _PASSWORD_HASH.fullmatch(ctx.secret):
        return "password hash, not the password"
    return None


def _before(ctx: FilterContext) -> str:
    index = ctx.line.find(ctx.secret)
    return ctx.line[:index] if index >= 0 else ctx.line


def _words(name: str) -> set[str]:
    """`awsSecretAccessKey` / `AWS_SECRET_ACCESS_KEY` / `aws.secret-key` -> {aws, secret, access, key}."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return {word for word in re.split(r"[^a-z0-9]+", spaced.lower()) if word}


# --- public material, data URIs ------------------------------------------------------------------------------

_PUBLIC = re.compile(
    r"^(?:ssh-(?:rsa|dss|ed25519)|ecdsa-sha2-nistp\d+|sk-(?:ssh|ecdsa)-[\w@.-]+) AAAA"
    r"|^-----BEGIN (?:PUBLIC KEY|RSA PUBLIC KEY|CERTIFICATE|CERTIFICATE REQUEST|NEW CERTIFICATE REQUEST"
    r"|X509 CRL|PGP PUBLIC KEY BLOCK|PGP SIGNATURE|SSH2 PUBLIC KEY|DH PARAMETERS|EC PARAMETERS)-----"
    # the same headers base64-encoded, as in kubeconfig *-data fields and Kubernetes Secrets
    r"|^LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t|^LS0tLS1CRUdJTiBQVUJMSUMgS0VZLS0tLS0|^LS0tLS1CRUdJTiBSU0EgUFVCTElDIEtFWS0tLS0t"
)
_PUBLIC_WORDS = frozenset({"public", "pub", "pubkey", "publickey", "cert", "certificate", "crt", "ca", "csr"})


def public_material(ctx: FilterContext) -> str | None:
    if _PUBLIC.search(ctx.secret):
        return "public key or certificate"
    if ctx.provider == GENERIC_PROVIDER and ctx.name:
        words = _words(ctx.name)
        if words & _PUBLIC_WORDS:
            return "public key or certificate"
        # Algolia's search-only key is meant for browser code; its admin and write keys are not.
        if "algolia" in words and words & {"search", "searchonly"} and not words & {"admin", "write", "private"}:
            return "Algolia search-only key (public by design)"
    return None


def public_id(ctx: FilterContext) -> str | None:
    """Blockchain addresses, age and Nostr public keys, OAuth client ids, Mapbox public tokens: by format."""
    return public_identifier(ctx.secret)


_DATA_URI = re.compile(r"data:[\w.+-]+/[\w.+-]+(?:;[\w=.-]+)*;base64,\s*$")


def data_uri(ctx: FilterContext) -> str | None:
    if ctx.secret.startswith("data:"):
        return "data URI"
    before = _before(ctx)
    return "data URI" if _DATA_URI.search(before[-120:]) else None


# --- generic rules only: the name is all they have -----------------------------------------------------------


def translation(ctx: FilterContext) -> str | None:
    """A translation file holds labels (`"password": "Wachtwoord"`); a provider's own format is still reported."""
    if ctx.provider == GENERIC_PROVIDER and translation_file(ctx.path):
        return "translation file (UI labels, not credentials)"
    return None


def words_not_secrets(ctx: FilterContext) -> str | None:
    """A word, a UI label or a sentence in any language where a secret was expected."""
    return natural_language(ctx.secret) if ctx.provider == GENERIC_PROVIDER else None


_SECRET_WORDS = _wordset(
    "password passwd pwd passphrase pass secret secrets token key apikey credential credentials auth"
)
# The last word of a name says what its value is: `client_id`, `token_type`, `password_file`, `secretName`,
# `token_url`, `api_key_header`, `min_password_length`, `token_expires_at` hold no secret.
_NOT_SECRET_HEADS = frozenset(
    {
        *("id", "ids", "uuid", "guid", "name", "names", "file", "files", "path", "dir", "url", "uri", "endpoint"),
        *("type", "types", "field", "fields", "label", "header", "headers", "param", "prefix", "suffix", "length"),
        *("len", "size", "count", "policy", "regex", "pattern", "format", "ref", "version", "algorithm", "alg"),
        *("mode", "expiry", "expires", "at", "ttl", "timeout", "kind", "enabled", "required", "placeholder", "hint"),
        *("description", "text", "message", "error", "selector", "xpath", "location", "arn", "schema", "index"),
        *("limit", "rotation", "usage", "input", "box", "button", "validator", "validation", "strength", "id_ref"),
        *("used", "date", "time", "timestamp", "changed", "created", "updated", "age", "reset", "required"),
    }
)
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://(?![^/\s]*@)", re.IGNORECASE)
_PATH = re.compile(
    r"^(?:~|\.{1,2}|/(?:run|etc|var|home|opt|usr|tmp|srv|mnt|secrets|app|data|config|root|Users))/[\w./-]+$"
    r"|^[\w./-]+\.(?:pem|key|crt|cer|p12|pfx|jks|keystore|json|txt|yaml|yml|env|gpg|asc"
    # templates and documents (`tests/page_password_required.html`)
    r"|html?|j2|jinja2?|tmpl|tpl|hbs|mustache|twig|erb|ejs|md|rst|xml|csv)$|^[A-Za-z]:\\\\"
)
# Dotted names (`self.password`, `settings.SECRET_KEY`, `config.db.apiKey`), calls and indexing, camelCase and
# snake_case words: each segment lower/snake, UPPER_SNAKE or camelCase, as code is written and random text is not.
_SEGMENT = r"(?:[a-z_$][a-z0-9_$]*|[A-Z_][A-Z0-9_]*|[a-z]+(?:[A-Z][a-z]+[0-9]*)+|[A-Z]*(?:[A-Z][a-z]{2,})+)"
_CODE = re.compile(
    rf"^{_SEGMENT}(?:\.{_SEGMENT})+$|[()\[\]]|^[a-z]+(?:[A-Z][a-z]+)+$|^(?:[a-z]+_)+[a-z]+$"
    # PascalCase names (`NextPageToken`, `AWSSecretKey`) and UPPER_SNAKE variable names (`AWS_SECRET_ACCESS_KEY`)
    r"|^[A-Z]*[A-Z][a-z]{2,}(?:[A-Z][a-z]+)+$|^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$"
    # HTTP header names (`Access-Control-Allow-Credentials`, `X-Api-Key`)
    r"|^[A-Z][a-z]*(?:-[A-Z][a-z]*)+$"
    # BEM class names (`amplify-field__show-password`, `login-form--password`)
    r"|^[a-z]+(?:-[a-z]+)*(?:(?:__|--)[a-z]+(?:-[a-z]+)*)+$"
)
# Keywords of web APIs that take a `credentials` option: fetch's `credentials: "same-origin"`, CORS attributes.
_API_KEYWORDS = frozenset({"same-origin", "use-credentials"})
# URL paths and template names in lower case (`/account/password/reset/`, `account/password_reset`) and Google
# Cloud IAM role names (`roles/iam.serviceAccountTokenCreator`).
_ROUTE = re.compile(r"/?[a-z][a-z0-9_-]*(?:/[a-z][a-z0-9_-]*)+/?|roles/[a-z]+\.[A-Za-z]+")
_RATE_LIMIT = re.compile(r"\d{1,9}/\d{0,9}[smhd](?:/[a-z]{1,16})?(?:,\d{1,9}/\d{0,9}[smhd](?:/[a-z]{1,16})?){0,8}")
_FAKE_WORDS = _wordset(
    "test testing tests dummy fake sample example mock mocked foo bar baz qux changeme change me hunter "
    "password passwd pass pwd secret secrets token key api apikey qwerty letmein admin root default "
    "local localhost dev development demo my your super very value abc xyz not real invalid fixture stub "
    "placeholder todo s3cr3t p4ssw0rd passw0rd welcome user guest the a ci unit e2e spec staging "
    "insecure unsafe do use only for in of here goes some random string auth access client private app "
    "db database postgres mysql redis mongo jwt session signing encryption ignored unused sekret secure "
    "strong new old sk pk kind i am iam sensitive confidential hidden classified no none empty required "
    "unset blank disabled optional "
    # "secret" and "password" in the languages documentation examples are written in
    "geheim parole passwort kennwort motdepasse secreto segreto contrasena senha"
)


def identifier_name(ctx: FilterContext) -> str | None:
    # A URL with credentials in it is judged by the URL, not by the name (`BROKER_URL=amqp://u:p@h`).
    if ctx.provider != GENERIC_PROVIDER or not ctx.name or "://" in ctx.secret:
        return None
    # Not detect-secrets' is_likely_id_string: it reads the whole line, so `{"client_id": "…",
    # "client_secret": "…"}` on one line would hide the secret.
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", ctx.name)
    words = [word for word in re.split(r"[^a-z0-9]+", spaced.lower()) if word]
    if words and words[-1] in _NOT_SECRET_HEADS:
        return "identifier or setting, not a secret"
    if "." in ctx.name and not _words(ctx.name.rsplit(".", 1)[1]) & _SECRET_WORDS:
        return "attribute of an object named like a secret"  # token.markup, secret.name
    return None


def not_a_literal(ctx: FilterContext) -> str | None:
    """A generic value that is code, a URL without credentials or a file path, not a secret."""
    if ctx.provider != GENERIC_PROVIDER:
        return None
    secret = ctx.secret
    if _URL.match(secret):
        return "URL without credentials"
    if secret.startswith("arn:"):
        return "identifier (ARN), not a secret"
    if _DATE.match(secret):
        return "a date or time"
    if _PATH.match(secret):
        return "path to a file"
    if _CODE.search(secret) or heuristics.is_templated_secret(secret):
        return "code or identifier, not a literal"
    if _ROUTE.fullmatch(secret):
        return "a URL path, route or role name, not a secret"
    if _RATE_LIMIT.fullmatch(secret):
        return "a rate limit, not a secret"  # django-allauth's `"reset_password": "20/m/ip,5/m/key"`
    if secret in _API_KEYWORDS:
        return "a keyword of a web API (fetch credentials mode), not a secret"
    if secret.isdigit() or heuristics.is_not_alphanumeric_string(secret):
        return "no letters: a number or punctuation"
    if heuristics.is_swagger_file(ctx.path) or _API_EXAMPLES.search(ctx.path):
        return "API documentation example value"
    return None


# Prefixed formats with a checksum: a value of that shape that fails it is a made-up token (a fixture, a
# docs sample), not a secret some other way, so the generic rules must not report it either.
_CHECKSUMMED = (
    (re.compile(r"gh[pousr]_[A-Za-z0-9]{36}"), "github-crc32"),
    (re.compile(r"npm_[A-Za-z0-9]{36}"), "npm-crc32"),
    (re.compile(r"gl[a-z]{2,6}-[0-9A-Za-z_-]{27,300}\.(?:[0-9a-z]{2}\.)?[0-9a-z]{9}"), "gitlab-routable-crc32"),
    (re.compile(r"pypi-AgE[A-Za-z0-9_-]{50,}"), "pypi-macaroon"),
)


def failed_checksum(ctx: FilterContext) -> str | None:
    if ctx.provider != GENERIC_PROVIDER:
        return None
    for shape, validator in _CHECKSUMMED:
        if shape.fullmatch(ctx.secret):
            check = VALIDATORS.get(validator)
            if check is not None and not check(ctx.secret):
                return "token-shaped but fails its checksum"
    return None


def test_value(ctx: FilterContext) -> str | None:
    """Generic values made only of words like test/dummy/password and digits: fixtures and defaults."""
    if ctx.provider != GENERIC_PROVIDER:
        return None
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", ctx.secret)
    words = [w for w in re.split(r"[^A-Za-z]+", spaced.lower()) if w]
    name_words = _words(ctx.name) if ctx.name else set()
    known = [w in _FAKE_WORDS or w in name_words or _made_of_fake_words(w) for w in words]
    if words and all(known):
        return "test or default value"
    if len(words) >= 3 and known.count(False) == 1 and re.fullmatch(r"[a-z]+(?:[-_. ][a-z]+)+", ctx.secret):
        return "test or default value"  # role-secret-key, prod-db-password: words, not randomness
    if ctx.name and _squashed(ctx.secret) == _squashed(ctx.name):
        return "the value repeats its name"  # {'secretsmanager': 'secrets-manager'}
    password = _URL_PASSWORD.search(ctx.secret) if "@" in ctx.secret else None
    if password and (password.group(2).lower() in _FAKE_WORDS or password.group(1) == password.group(2)):
        return "test or default value"  # https://user:password@proxy.example
    return None


# API reference examples shipped with SDKs (botocore's data/*/examples-1.json): request samples, not secrets.
_API_EXAMPLES = re.compile(r"(?:^|/)examples?-\d+\.json$|(?:^|/)(?:openapi|swagger)[^/]*\.(?:json|ya?ml)$")
_DATE = re.compile(r"^\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?)?(?:Z|[+-]\d\d:?\d\d)?$")
# Tried only where a run of such characters starts (the lookbehind): from every position it was quadratic.
_URL_PASSWORD = re.compile(r"(?<![^:@/\s,])([^:@/\s,]*):([^:@/\s,]+)@")


def _made_of_fake_words(word: str) -> bool:
    """`foobarsecret`, `abcsecretkey`: a run of fake words of three letters or more, written together."""
    reachable = [True] + [False] * len(word)
    for end in range(3, len(word) + 1):
        reachable[end] = any(
            reachable[start] and word[start:end] in _FAKE_WORDS for start in range(max(0, end - 12), end - 2)
        )
    return len(word) >= 6 and reachable[-1]


def _squashed(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


# Words that qualify a secret without being one: `updated-token`, `wrong-password`, `new-refresh-token`.
_FILLER_WORDS = _wordset(
    "updated update new old wrong bad invalid incorrect correct right good valid other another current previous "
    "next initial first second third temp temporary tmp generated custom special strong weak simple plain "
    "original changed modified rotated expired revoked reset set get show hide forgot forgotten confirm "
    "confirmation confirmed verify verified val string str text this that is to be our one two three primary "
    "secondary backup master main prod production shared common internal external service system long short "
    "refresh bearer authentication authorization identity"
)
# What a credential is called: a value made of these and filler restates a name (`smtp-password`, `2FA-token`).
_CREDENTIAL_WORDS = _wordset(
    "password passwords passwd pwd pass passphrase secret secrets token tokens key keys apikey credential "
    "credentials auth oauth jwt otp totp mfa pin"
)
_WORDS_ONLY = re.compile(r"[A-Za-z0-9]+(?:[-_. ][A-Za-z0-9]+)*")
# Words as written in identifiers, digits kept on the word they follow: `AdminPassword123`, `JWTSecret`, `n8n`.
_WORD_RUN = re.compile(r"[A-Z]{2,}(?![a-z])[0-9]*|[A-Z]?[a-z0-9]+|[A-Z][0-9]*")


def restates_name(ctx: FilterContext) -> str | None:
    """A value made of its name's words, credential words, filler words and digits: `SMTP_PASSWORD=smtp-password`,
    `"token": "updated-token"`, `db_password: dbpassword123`, `2FA-token`. At most one short word may be unknown
    (`2FA`, `pg`, `n8n`); a random value has many."""
    if ctx.provider != GENERIC_PROVIDER or not _WORDS_ONLY.fullmatch(ctx.secret):
        return None
    name_words = {w for w in _words(ctx.name) if not w.isdigit()} if ctx.name else set()
    vocabulary = _FAKE_WORDS | _FILLER_WORDS | _CREDENTIAL_WORDS | name_words
    anchors = _CREDENTIAL_WORDS | name_words
    anchored_by: set[str] = set()
    unknown = 0
    for run in _WORD_RUN.findall(ctx.secret):
        word = run.lower().strip("0123456789")
        if not word:
            continue  # a number
        parts = None if any(c.isdigit() for c in word) else _segmented(word, vocabulary)
        if parts is None:
            unknown += 1
            if len(word) > 3 or unknown > 1:
                return None
            continue
        anchored_by.update(p for p in parts if p in anchors)
    if not anchored_by:
        return None
    return "the value restates its name" if anchored_by & name_words else "words naming a credential, not a secret"


def _segmented(word: str, vocabulary: frozenset[str]) -> list[str] | None:
    """`dbpassword` -> [db, password]: the word as vocabulary words of two letters or more, or None."""
    best: list[list[str] | None] = [[]] + [None] * len(word)
    for end in range(2, len(word) + 1):
        for start in range(max(0, end - 24), end - 1):
            head = best[start]
            if head is not None and word[start:end] in vocabulary:
                best[end] = [*head, word[start:end]]
                break
    return best[-1]


# Tokens that are not credentials: pagination cursors, idempotency and change tokens, CSRF tokens, domain
# verification strings (`NextToken`, `ClientRequestToken`, `ChangeToken`, `csrf_token`, `VerificationToken`).
_NOT_CREDENTIAL_TOKENS = _wordset(
    "next page pagination continuation change client request creation idempotency lifecycle sync cursor "
    "csrf xsrf input output starting resume verification cancel upload update share marker notification "
    "challenge state nonce"
)


def not_a_credential_token(ctx: FilterContext) -> str | None:
    if ctx.provider != GENERIC_PROVIDER or not ctx.name:
        return None
    words = _words(ctx.name)
    if "token" in words and words & _NOT_CREDENTIAL_TOKENS:
        return "pagination, idempotency or CSRF token, not a credential"
    return None


FILTERS: tuple[Filter, ...] = (
    documented_example,
    unsigned_jwt,
    placeholder,
    reference,
    placeholder_login,
    encrypted,
    low_variety,
    lockfile_hash,
    hash_constant,
    password_hash,
    public_material,
    public_id,
    data_uri,
    translation,
    identifier_name,
    words_not_secrets,
    not_a_literal,
    not_a_credential_token,
    failed_checksum,
    test_value,
    restates_name,
)


def why_not_a_secret(ctx: FilterContext, filters: tuple[Filter, ...] = FILTERS) -> str | None:
    for check in filters:
        reason = check(ctx)
        if reason:
            return reason
    return None


def meets_entropy(secret: str, floor: float) -> bool:
    return floor <= 0 or shannon(secret) >= floor
