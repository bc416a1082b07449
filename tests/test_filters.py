"""False-positive filters, one table: (value, line, name, path, provider) -> the reason given, or None.

Token-shaped values are generated at run time or assembled from pieces, so this file holds no literal token.
"""

from __future__ import annotations

import random

import pytest

from credscope.detect.filters import FILTERS, FilterContext, why_not_a_secret
from credscope.testing.generate import expand

GENERIC = "generic"


def gen(template: str) -> str:
    return expand(template, random.Random(7)).text


# Documented examples, assembled so no token-shaped literal sits in this file.
STRIPE_DOCS_KEY = "sk_test_" + "4eC39HqLyjWDarjtT1zdp7dc"
STRIPE_DOCS_PK = "pk_test_" + "TYooMQauvdEDq54NiTphI7jx"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/" + "K1SZFPTOtr/KBHBeksoGMGw=="
JWT_IO = ".".join(
    (
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
        "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ",
        "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    )
)
UNSIGNED_JWT = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJlLXRoYXQtaXMtaWdub3JlZA"
GHP_BAD_CHECKSUM = "ghp_" + "ABCdef123GHIjkl456MNOpqr789STUvw" + "XyZ0"

# (value, line, name, path, provider, expected reason or None). `line=None` means the line is `name = "value"`.
CASES = [
    # documented examples
    ("AKIAIOSFODNN7EXAMPLE", None, "aws_access_key_id", "a.py", "aws", "documented example key"),
    (STRIPE_DOCS_KEY, None, "stripe_key", "a.js", "stripe", "documented example key"),
    (STRIPE_DOCS_PK, None, "publishableKey", "a.js", "stripe", "documented example key"),
    (AZURITE_KEY, None, "AccountKey", "a.cs", "azure", "documented example key"),
    (JWT_IO, None, "token", "a.js", GENERIC, "documented example key"),
    (UNSIGNED_JWT, None, "token", "a.js", GENERIC, "unsigned JWT (alg none)"),
    # placeholders
    ("your-key-here", None, "API_KEY", ".env", GENERIC, "placeholder"),
    ("<YOUR_API_KEY>", None, "API_KEY", ".env", GENERIC, "placeholder"),
    ("sk_live_xxxxxxxxxxxxxxxxxxxxxxxx", None, "STRIPE_KEY", ".env", "stripe", "placeholder"),
    ("changeme", None, "DB_PASSWORD", ".env", GENERIC, "placeholder"),
    ("REPLACE_WITH_YOUR_TOKEN", None, "TOKEN", ".env", GENERIC, "placeholder"),
    ("glrt-REPLACE_WITH_TOKEN", None, "token", "config.toml", GENERIC, "placeholder"),
    ("****************", None, "password", "a.yml", GENERIC, "placeholder"),
    # template and environment references
    (
        "${{ secrets.RAILWAY_TOKEN }}",
        None,
        "RAILWAY_TOKEN",
        "ci.yml",
        "railway",
        "reference to a secret held elsewhere",
    ),
    ("${DB_PASSWORD}", None, "DB_PASSWORD", ".env", GENERIC, "reference to a secret held elsewhere"),
    ("$DB_PASSWORD", None, "DB_PASSWORD", "run.sh", GENERIC, "reference to a secret held elsewhere"),
    ('os.environ["DB_PASSWORD"]', None, "password", "a.py", GENERIC, "reference to a secret held elsewhere"),
    ("process.env.API_KEY", None, "apiKey", "a.js", GENERIC, "reference to a secret held elsewhere"),
    ("{{ .Values.db.password }}", None, "password", "t.yaml", GENERIC, "reference to a secret held elsewhere"),
    ("%(db_password)s", None, "password", "a.ini", GENERIC, "reference to a secret held elsewhere"),
    ("#{ENV['TOKEN']}", None, "token", "a.rb", GENERIC, "reference to a secret held elsewhere"),
    ("op://vault/db/password", None, "DB_PASSWORD", ".env", GENERIC, "reference to a secret held elsewhere"),
    ("ENC[AES256_GCM,data:aGVsbG8=,iv:x,tag:y,type:str]", None, "password", "s.yaml", GENERIC, "encrypted value"),
    # low-entropy and sequential fakes
    ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", None, "DD_API_KEY", ".env", "datadog", "low-variety fake"),
    ("abcdabcdabcdabcdabcdabcdabcdabcd", None, "DD_API_KEY", ".env", "datadog", "low-variety fake"),
    ("sk_live_1234567890abcdefghijklmnop", None, "key", ".env", "stripe", "sequential fake"),
    ("ghs_1234567890abcdefghij1234567890abcdef", None, "GH_TOKEN", ".env", "github", "sequential fake"),
    # lockfiles, integrity hashes, commit ids, hash constants
    (
        "sha512-" + "Q" * 20 + "aB3dE5" * 10 + "==",
        "integrity sha512-…",
        "integrity",
        "yarn.lock",
        GENERIC,
        "integrity hash",
    ),
    (
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        None,
        "checksum",
        "a.py",
        GENERIC,
        "hash constant",
    ),
    (
        "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
        "git checkout 4b825dc642cb6eb9a060e54bf8d69288fbee4904",
        None,
        "deploy.sh",
        GENERIC,
        "commit id",
    ),
    ("0993a31abedee7ecaacc89c29b566677", None, "api_key_md5", "a.py", GENERIC, "hash constant"),
    ("{{datadog}}", None, "token", "poetry.lock", GENERIC, "lockfile integrity hash"),
    # public keys, certificates, data URIs
    ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ", None, "deploy_key", "a.tf", GENERIC, "public key or certificate"),
    (
        "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUM",
        None,
        "certificate-authority-data",
        "kubeconfig",
        "kubernetes",
        "public key or certificate",
    ),
    ("{{aws-secret}}", None, "public_key", "a.py", GENERIC, "public key or certificate"),
    (
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk",
        'src="data:image/png;base64,{v}"',
        "token",
        "a.html",
        GENERIC,
        "data URI",
    ),
    # identifiers and code (generic rules only)
    ("{{uuid4}}", None, "client_id", "a.py", GENERIC, "identifier or setting, not a secret"),
    ("{{uuid4}}", None, "RAILWAY_PROJECT_ID", ".env", GENERIC, "identifier or setting, not a secret"),
    ("bearer_token_type", None, "token_type", "a.py", GENERIC, "identifier or setting, not a secret"),
    ("X-Shop-Api-Key", None, "api_key_header", "a.py", GENERIC, "identifier or setting, not a secret"),
    ("https://auth.internal.net/oauth/token", None, "oauth_token", "a.py", GENERIC, "URL without credentials"),
    ("/run/secrets/db_password", None, "DB_PASSWORD", "compose.yml", GENERIC, "path to a file"),
    ("self.password", None, "password", "a.py", GENERIC, "code or identifier, not a literal"),
    ("settings.SECRET_KEY", None, "secret", "a.py", GENERIC, "code or identifier, not a literal"),
    ("passwordConfirmation", None, "password_confirm", "a.ts", GENERIC, "code or identifier, not a literal"),
    ("1234987612", None, "pin_password", "a.py", GENERIC, "no letters: a number or punctuation"),
    (GHP_BAD_CHECKSUM, None, "GITHUB_TOKEN", ".env", GENERIC, "token-shaped but fails its checksum"),
    # found by benchmarks/false_positives.py in the standard library and installed packages
    ("NextPageToken", None, "output_token", "paginators-1.json", GENERIC, "code or identifier, not a literal"),
    (
        "{{uuid4}}",
        None,
        "ClientRequestToken",
        "examples.json",
        GENERIC,
        "pagination, idempotency or CSRF token, not a credential",
    ),
    ("AWS_SECRET_ACCESS_KEY", None, "SECRET_KEY", "credentials.py", GENERIC, "code or identifier, not a literal"),
    ("AWSAccessKeyId", None, "ACCESS_KEY", "credentials.py", GENERIC, "code or identifier, not a literal"),
    (
        "Access-Control-Allow-Credentials",
        None,
        "ACL_CREDENTIALS",
        "core.py",
        GENERIC,
        "code or identifier, not a literal",
    ),
    ("2016-09-08T21:47:36Z", None, "PasswordLastUsed", "iam.json", GENERIC, "identifier or setting, not a secret"),
    ("2016-09-08T21:47:36Z", None, "password", "iam.json", GENERIC, "a date or time"),
    (
        "3s0K_;xh4~8XXI",
        None,
        "OldPassword",
        "botocore/data/iam/2010-05-08/examples-1.json",
        GENERIC,
        "API documentation example value",
    ),
    ("secrets-manager", None, "secretsmanager", "a.py", GENERIC, "the value repeats its name"),
    ("share-{portfolio_id}-{org_type}", None, "share_secret", "a.py", GENERIC, "reference to a secret held elsewhere"),
    (
        "arn:aws:secretsmanager:us-east-1:1:secret:db",
        None,
        "DB_SECRET",
        "a.py",
        GENERIC,
        "reference to a secret held elsewhere",
    ),
    ("autolink", None, "token.markup", "a.py", GENERIC, "attribute of an object named like a secret"),
    ("https://username:password@proxy.example.net", None, "proxy_url", "a.py", GENERIC, "placeholder"),
    ("geheim$parole", None, "passwd", "request.py", GENERIC, "test or default value"),
    ("FOOBARSECRET", None, "AWS_SECRET_ACCESS_KEY", "models.py", GENERIC, "test or default value"),
    ("role-secret-key", None, "AWS_SECRET_ACCESS_KEY", "models.py", GENERIC, "test or default value"),
    ("IAmSensitive", None, "password", "types.py", GENERIC, "test or default value"),
    ("workspace", None, "token", "railway.py", GENERIC, "a single word, not a random secret"),
    ("user:password@tcp(host)/db", None, None, "mysql.yaml", "mysql", "placeholder"),
    ("postgres://user:pass@localhost:5432/foobar", None, "db", "networks.py", "postgres", "placeholder"),
    ("postgres://postgres:postgres@localhost:5432/app", None, "DATABASE_URL", ".env", "postgres", None),
    # password slots that hold a template in documentation and format strings
    (
        "postgresql://postgres:[password]@db.[project-ref].supabase.co:5432/postgres",
        None,
        "DATABASE_URL",
        "README.md",
        "postgres",
        "placeholder",
    ),
    (
        "postgresql://doadmin:[password]@[cluster-host]:25060/defaultdb",
        None,
        "DATABASE_URL",
        "docs/db.md",
        "postgres",
        "placeholder",
    ),
    ("mysql://app:<db-password>@mysql.internal:3306/shop", None, "DATABASE_URL", "README.md", "mysql", "placeholder"),
    (
        "amqp://worker:{rabbit_password}@rabbit.internal:5672//",
        None,
        "DATABASE_URL",
        "settings.py",
        GENERIC,
        "placeholder",
    ),
    ("postgres://%s:%s@%s:5432/%s", None, "DATABASE_URL", "db.go", "postgres", "placeholder"),
    ("user=%s password=%s dbname=%s", None, "DATABASE_URL", "db.go", "postgres", "placeholder"),
    ("host=db user=app password={password} dbname=app", None, "DATABASE_URL", "db.py", "postgres", "placeholder"),
    # a real password that merely holds brackets is still a password
    ("postgresql://app:{{password:12}}[pL2]@db.internal:5432/app", None, "DATABASE_URL", ".env", "postgres", None),
    ("host=db user=app password={{password:12}}[pL2] dbname=app", None, "DATABASE_URL", ".env", "postgres", None),
    ("rediss://:pass@localhost", None, None, "networks.py", "redis", "placeholder"),
    ("https://admin:admin@proxy.example.net", None, "proxy_url", "a.py", GENERIC, "a sample login on a made-up host"),
    ("Postgres-2024", None, "POSTGRES_PASSWORD", "compose.yml", GENERIC, "test or default value"),
    # test-looking values (generic rules only)
    ("test-password-123", None, "DB_PASSWORD", ".env", GENERIC, "placeholder"),
    ("dummySecret2024", None, "secret", "a.py", GENERIC, "placeholder"),
    ("fake_api_key_for_tests", None, "API_KEY", "tests/conftest.py", GENERIC, "code or identifier, not a literal"),
    ("secret123", None, "JWT_SECRET", "a.py", GENERIC, "test or default value"),
    ("Fake-Stripe-Key-42", None, "api_key", "tests/fixtures.py", GENERIC, "placeholder"),
    ("local-dev-root-2024", None, "api_key", "tests/fixtures.py", GENERIC, "test or default value"),
    ("admin-Admin-2024!", None, "ADMIN_PASSWORD", ".env.example", GENERIC, "test or default value"),
    ("postgres", None, "POSTGRES_PASSWORD", "compose.yml", GENERIC, "a single word, not a random secret"),
    # real values pass every filter
    ("{{password}}", None, "DB_PASSWORD", ".env", GENERIC, None),
    ("{{password:32}}", None, "client_secret", "oauth.json", GENERIC, None),
    ("{{uuid4}}", None, "HEROKU_API_KEY", ".env", "heroku", None),
    ("{{uuid4}}", None, "api_token", "a.py", GENERIC, None),
    ("{{github:ghp}}", None, "GITHUB_TOKEN", ".env", GENERIC, None),
    ("{{github:ghp}}", None, "token", "yarn.lock", "github", None),
    ("{{stripe:sk_live}}", None, "STRIPE_SECRET_KEY", ".env", "stripe", None),
    ("{{stripe:pk_live}}", None, "STRIPE_PUBLISHABLE_KEY", ".env", "stripe", None),
    ("{{datadog:app}}", None, "DD_APP_KEY", ".env", "datadog", None),
    ("{{twilio:token}}", None, "TWILIO_AUTH_TOKEN", ".env", "twilio", None),
    ("{{jwt}}", None, "SERVICE_JWT", ".env", GENERIC, None),
    ("{{aws-secret}}", None, "aws_secret_access_key", "credentials", "aws", None),
    ("{{heroku}}", None, "HEROKU_API_KEY", ".env", "heroku", None),
    ("{{postgres}}", None, "DATABASE_URL", ".env", "postgres", None),
    ("{{azure-storage:sas}}", None, "SAS", ".env", "azure", None),
    ("django-insecure-{{twilio:key-secret}}", None, "SECRET_KEY", "settings.py", GENERIC, None),
]


@pytest.mark.parametrize(
    ("value", "line", "name", "path", "provider", "expected"),
    [pytest.param(*case, id=f"{index}-{case[5] or 'kept'}") for index, case in enumerate(CASES)],
)
def test_filter_table(
    value: str, line: str | None, name: str | None, path: str, provider: str, expected: str | None
) -> None:
    secret = gen(value)
    text = f'{name} = "{secret}"' if line is None else line.replace("{v}", secret)
    ctx = FilterContext(secret=secret, line=text, name=name, path=path, rule_id=f"{provider}-rule", provider=provider)
    assert why_not_a_secret(ctx, FILTERS) == expected


@pytest.mark.parametrize(
    "template",
    [
        "{{password}}",
        "{{password:40}}",
        "{{aws-secret}}",
        "{{jwt}}",
        "{{twilio:key-secret}}",
        "{{uuid4}}",
        "{{datadog}}",
    ],
)
def test_random_generic_values_survive(template: str) -> None:
    """Filters must not drop real random values: 2,000 draws of each shape, all kept as generic secrets."""
    rng = random.Random(template)
    dropped = []
    for _ in range(2000):
        secret = expand(template, rng).text
        ctx = FilterContext(secret, f'API_TOKEN = "{secret}"', "API_TOKEN", "app/.env", "generic-rule", GENERIC)
        reason = why_not_a_secret(ctx, FILTERS)
        if reason:
            dropped.append((secret, reason))
    assert dropped == []
