"""Private keys and named secrets in the shapes code and configuration give them, beyond a plain PEM file.

A PEM split over concatenated string literals (Python, JavaScript, Java, Go), base64 of a PEM, a PEM on one
line, a PEM with literal `\\n` escapes, a PGP key in a comment block, and secrets in JSON escaped inside a
string. Each row asserts the one finding exactly (rule, provider, path, line) and that its secret is the
key itself; each negative row (public keys, certificates, placeholders) asserts silence. Keys are generated
at run time: real RSA/EC/PKCS#8/OpenSSH keys from `cryptography`, PGP blocks from random bytes framed as an
armored private key (only the shape matters).
"""

from __future__ import annotations

import base64
import datetime
import json
import os
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from credscope.catalogue import load_catalogue
from credscope.detect.confidence import pem_body_decodes
from credscope.detect.engine import Detector, DocumentStats
from credscope.model import Candidate, Document, Reach
from credscope.testing.generate import expand

Keys = dict[str, str]


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(load_catalogue())


def _public_and_certificate() -> tuple[str, str]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "shapes.example.invalid")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return public.decode(), certificate.public_bytes(serialization.Encoding.PEM).decode()


def _pgp_block(kind: str) -> str:
    """An ASCII-armored block around random bytes that start like an OpenPGP secret-key packet (old format,
    tag 5) or public-key packet (tag 6), with a version header, a blank line and a CRC line, as gpg writes."""
    tag = 0x95 if kind == "PRIVATE" else 0x99
    body = base64.b64encode(bytes([tag, 0x03, 0xD8]) + os.urandom(981)).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    crc = base64.b64encode(os.urandom(3)).decode()
    armor = [f"-----BEGIN PGP {kind} KEY BLOCK-----", "Version: GnuPG v2", "", *lines, f"={crc}"]
    return "\n".join([*armor, f"-----END PGP {kind} KEY BLOCK-----", ""])


@pytest.fixture(scope="module")
def keys() -> Keys:
    public, certificate = _public_and_certificate()
    made = {kind: expand(f"{{{{pem:{kind}}}}}").text for kind in ("rsa", "ec", "pkcs8", "openssh")}
    return {
        **made,
        "pgp": _pgp_block("PRIVATE"),
        "pgp-public": _pgp_block("PUBLIC"),
        "public": public,
        "certificate": certificate,
        "aws-secret": expand("{{aws-secret}}").text,
        "aws-key-id": expand("{{aws:akia}}").text,
        "password": expand("{{password:24}}").text,
        "linode": secrets.token_hex(32),
    }


# --- how code and configuration write a key ------------------------------------------------------------------


def pem_lines(pem: str) -> list[str]:
    return pem.strip("\n").split("\n")


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def one_line(pem: str) -> str:
    """BEGIN, body and END with nothing between them, as a key pasted into one string loses its newlines."""
    return "".join(pem_lines(pem))


def escaped(pem: str) -> str:
    return "\\n".join(pem_lines(pem))


def commented(pem: str, prefix: str) -> str:
    return "".join(f"{prefix}{line}".rstrip() + "\n" for line in pem_lines(pem))


def python_plus(pem: str) -> str:
    parts = [f'"{line}\\n"' for line in pem_lines(pem)]
    return "import jwt\n\nSIGNING_KEY = " + " + \\\n    ".join(parts) + "\n"


def python_plus_one_line(pem: str) -> str:
    return "KEY = " + " + ".join(f'"{line}\\n"' for line in pem_lines(pem)) + "\n"


def python_parentheses(pem: str) -> str:
    parts = "".join(f'    "{line}\\n"\n' for line in pem_lines(pem))
    return f"SIGNING_KEY = (\n{parts})\n"


def javascript_plus(pem: str) -> str:
    parts = " +\n  ".join(f"'{line}\\n'" for line in pem_lines(pem))
    return f"const privateKey =\n  {parts};\nmodule.exports = {{ privateKey }};\n"


def java_plus(pem: str) -> str:
    first, *rest = pem_lines(pem)
    tail = "".join(f'\n        + "{line}\\n"' for line in rest)
    return f'class Keys {{\n    static final String KEY = "{first}\\n"{tail};\n}}\n'


def go_plus(pem: str) -> str:
    parts = " +\n\t".join(f'"{line}\\n"' for line in pem_lines(pem))
    return f"package auth\n\nconst signingKey = {parts}\n"


def javascript_array(pem: str) -> str:
    items = ",\n  ".join(f'"{line}"' for line in pem_lines(pem))
    return f'const key = [\n  {items},\n].join("\\n");\n'


def php_dot(pem: str) -> str:
    return "<?php\n$key = " + "\n    . ".join(f'"{line}\\n"' for line in pem_lines(pem)) + ";\n"


def template_literal(pem: str) -> str:
    return f"const key = `{pem.strip()}`;\nexport default key;\n"


def template_literal_escaped(pem: str) -> str:
    return f"const key = `{escaped(pem)}`;\n"


def escaped_json(pairs: dict[str, str], depth: int = 1) -> str:
    """`pairs` as a JSON object written inside a string literal `depth` times (quotes as \\" or \\\\\\")."""
    text = json.dumps(pairs)
    for _ in range(depth):
        text = json.dumps(text)[1:-1]
    return text


@dataclass(frozen=True)
class Shape:
    """One way a secret is written: the file, and what credscope must report there."""

    path: str
    build: Callable[[Keys], str]
    rule: str
    provider: str
    line: int
    secret: Callable[[Keys], str]


def key(kind: str) -> Callable[[Keys], str]:
    return lambda keys: keys[kind]


def pem(path: str, build: Callable[[Keys], str], line: int, kind: str) -> Shape:
    return Shape(path, build, "private-key-pem", "private-key", line, key(kind))


SHAPES = {
    # a. split over concatenated string literals
    "python-plus-continuation": pem("app/jwt_keys.py", lambda k: python_plus(k["rsa"]), 3, "rsa"),
    "python-plus-one-line": pem("app/settings.py", lambda k: python_plus_one_line(k["ec"]), 1, "ec"),
    "python-implicit-parentheses": pem("app/config.py", lambda k: python_parentheses(k["pkcs8"]), 2, "pkcs8"),
    "javascript-plus": pem("src/auth.js", lambda k: javascript_plus(k["rsa"]), 2, "rsa"),
    "java-leading-plus": pem("src/main/java/Keys.java", lambda k: java_plus(k["rsa"]), 2, "rsa"),
    "go-plus": pem("auth/keys.go", lambda k: go_plus(k["ec"]), 3, "ec"),
    "javascript-array-of-lines": pem("src/sign.js", lambda k: javascript_array(k["rsa"]), 2, "rsa"),
    "php-dot": pem("config/keys.php", lambda k: php_dot(k["ec"]), 2, "ec"),
    "javascript-template-literal": pem("src/key.js", lambda k: template_literal(k["openssh"]), 1, "openssh"),
    "javascript-template-escaped": pem("src/key.mjs", lambda k: template_literal_escaped(k["rsa"]), 1, "rsa"),
    # b. base64 of a PEM
    "base64-dotenv": pem(".env", lambda k: f"APP_ENV=production\nJWT_PRIVATE_KEY={b64(k['rsa'])}\n", 2, "rsa"),
    "base64-yaml": pem("config/app.yaml", lambda k: f"auth:\n  signing_key: {b64(k['ec'])}\n", 2, "ec"),
    "base64-json": pem(
        "config/service.json",
        lambda k: json.dumps({"service": "billing", "private_key": b64(k["pkcs8"])}, indent=2) + "\n",
        3,
        "pkcs8",
    ),
    "base64-openssh-dotenv": pem(".env.production", lambda k: f"DEPLOY_KEY={b64(k['openssh'])}\n", 1, "openssh"),
    "base64-kubernetes-secret": pem(
        "k8s/tls.yaml",
        lambda k: f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: tls\ndata:\n  tls.key: {b64(k['rsa'])}\n",
        6,
        "rsa",
    ),
    # c. BEGIN, body and END on one line
    "one-line-typescript": pem(
        "src/jwt.ts",
        lambda k: f'import jwt from "jsonwebtoken";\n\nconst key = "{one_line(k["rsa"])}";\n',
        3,
        "rsa",
    ),
    "one-line-spaces": pem(
        ".env.local",
        lambda k: (
            f'KEY="{pem_lines(k["pkcs8"])[0]} {"".join(pem_lines(k["pkcs8"])[1:-1])} {pem_lines(k["pkcs8"])[-1]}"\n'
        ),
        1,
        "pkcs8",
    ),
    # d. literal backslash-n in an env value
    "escaped-newlines-dotenv": pem(".env", lambda k: f'DEBUG=0\nKEY="{escaped(k["pkcs8"])}"\n', 2, "pkcs8"),
    # e. a PGP (or other) private key in a comment block
    "pgp-hash-comment": pem(
        "scripts/release.sh", lambda k: "#!/bin/sh\n" + commented(k["pgp"], "# ") + "gpg --import\n", 2, "pgp"
    ),
    "pgp-slash-comment": pem(
        "src/sign.go", lambda k: "package sign\n\n" + commented(k["pgp"], "// ") + "func Sign() {}\n", 3, "pgp"
    ),
    "pgp-star-comment": pem(
        "src/Sign.java", lambda k: "/*\n" + commented(k["pgp"], " * ") + " */\nclass Sign {}\n", 2, "pgp"
    ),
    "rsa-hash-comment": pem("deploy.yaml", lambda k: "steps:\n" + commented(k["rsa"], "#   "), 2, "rsa"),
    # f. JSON escaped inside a string: the name inside it names the value
    "escaped-json-aws": Shape(
        "src/upload.js",
        lambda k: f'const body = "{escaped_json({"region": "eu-west-1", "awsSecretKey": k["aws-secret"]})}";\n',
        "aws-secret-access-key",
        "aws",
        1,
        key("aws-secret"),
    ),
    "json-in-python-string-aws": Shape(
        "jobs/upload.py",
        lambda k: "import json\n\nbody = '" + json.dumps({"aws_secret_access_key": k["aws-secret"]}) + "'\n",
        "aws-secret-access-key",
        "aws",
        3,
        key("aws-secret"),
    ),
    "escaped-json-password": Shape(
        "app/client.py",
        lambda k: f'payload = "{escaped_json({"username": "svc", "password": k["password"]})}"\n',
        "generic-secret-quoted",
        "generic",
        1,
        key("password"),
    ),
    "double-escaped-json-password": Shape(
        "logs/request.json",
        # `\\\"` in the file: JSON in a string, itself in a JSON string (a logged request body)
        lambda k: json.dumps({"event": "login", "body": escaped_json({"password": k["password"]})}) + "\n",
        "generic-secret-quoted",
        "generic",
        1,
        key("password"),
    ),
    # ... unless a provider's rule read the value as written, by the context around it (its API host): the
    # pair alone would say only "a generic token", and must not take the finding from the provider.
    "escaped-json-provider-by-context": Shape(
        "logs/requests.log",
        lambda k: f'POST https://api.linode.com/v4/linodes body="{escaped_json({"token": k["linode"]})}"\n',
        "linode-token",
        "linode",
        1,
        key("linode"),
    ),
}

# Public halves, certificates and placeholders in the same shapes: nothing to report.
SILENT: dict[str, Callable[[Keys], str]] = {
    "public-key-concatenated": lambda k: python_parentheses(k["public"]),
    "certificate-concatenated": lambda k: javascript_plus(k["certificate"]),
    "public-key-one-line": lambda k: f'const key = "{one_line(k["public"])}";\n',
    "certificate-one-line": lambda k: f'const cert = "{one_line(k["certificate"])}";\n',
    "public-key-base64": lambda k: f"JWT_PUBLIC_KEY={b64(k['public'])}\nJWT_SIGNING_SECRET={b64(k['public'])}\n",
    "certificate-base64": lambda k: f"tls:\n  certificate: {b64(k['certificate'])}\n",
    "pgp-public-hash-comment": lambda k: commented(k["pgp-public"], "# "),
    "public-key-escaped-newlines": lambda k: f'PUBLIC_KEY="{escaped(k["public"])}"\n',
    "placeholder-dots-concatenated": lambda k: python_plus(
        "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----"
    ),
    "placeholder-your-key-concatenated": lambda k: go_plus(
        "-----BEGIN PRIVATE KEY-----\n<your key>\n-----END PRIVATE KEY-----"
    ),
    "placeholder-truncated-one-line": lambda k: (
        'const key = "-----BEGIN RSA PRIVATE KEY-----MIIE...-----END RSA PRIVATE KEY-----";\n'
    ),
    # decoded, a base64 PEM is judged by what it holds, not read as a generic secret by its name
    "placeholder-base64": lambda k: (
        "JWT_PRIVATE_KEY=" + b64("-----BEGIN RSA PRIVATE KEY-----\nMIIE...\n-----END RSA PRIVATE KEY-----\n")
    ),
    "certificate-base64-secret-name": lambda k: f"TLS_SECRET={b64(k['certificate'])}\n",
    "placeholder-comment": lambda k: (
        "# -----BEGIN PGP PRIVATE KEY BLOCK-----\n# ...\n# -----END PGP PRIVATE KEY BLOCK-----\n"
    ),
    "placeholder-escaped-json-password": lambda k: f'body = "{escaped_json({"password": "<your-password>"})}"\n',
    "placeholder-escaped-json-aws": lambda k: (
        f'body = "{escaped_json({"awsSecretKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"})}"\n'
    ),
    "reference-escaped-json": lambda k: f'body = "{escaped_json({"password": "${DB_PASSWORD}"})}"\n',
}

_SILENT_PATHS = {
    "public-key-base64": ".env",
    "certificate-base64": "config/tls.yaml",
    "placeholder-base64": ".env",
    "certificate-base64-secret-name": ".env",
}


def detect(detector: Detector, path: str, text: str) -> list[Candidate]:
    stats = DocumentStats()
    found = detector.detect(Document(path, text.encode(), Reach.TRACKED), stats)
    assert stats.parse_errors == 0, stats.parse_error
    return found


_ESCAPES = re.compile(r"\\r|\\n|\s")


def compact(text: str) -> str:
    """A key without its line breaks, written or escaped: the same key in any of the shapes above."""
    return _ESCAPES.sub("", text)


@pytest.mark.parametrize("shape", list(SHAPES.values()), ids=list(SHAPES))
def test_a_key_in_this_shape_is_found_once_where_it_starts(detector: Detector, keys: Keys, shape: Shape) -> None:
    text = shape.build(keys)
    found = detect(detector, shape.path, text)
    assert [(c.rule, c.provider, c.location.path, c.location.line) for c in found] == [
        (shape.rule, shape.provider, shape.path, shape.line)
    ]
    expected = shape.secret(keys)
    assert compact(found[0].secret) == compact(expected)
    if shape.rule == "private-key-pem":
        assert pem_body_decodes(found[0].secret)  # what makes it certain (detect/confidence.py)


@pytest.mark.parametrize("name", list(SILENT))
def test_no_private_key_or_secret_in_this_shape_is_silent(detector: Detector, keys: Keys, name: str) -> None:
    build = SILENT[name]
    path = _SILENT_PATHS.get(name, "src/keys.ts" if "one-line" in name else "app/keys.py")
    found = detect(detector, path, build(keys))
    assert [(c.rule, c.location.line) for c in found] == []
