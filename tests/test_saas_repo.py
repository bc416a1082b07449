"""A realistic SaaS repository, planted with credentials and decoys: every credential is found at the right
provider, kind, path and line, and no decoy is reported.

ONE TABLE below: each row is (what, path, text, expected). A file is the concatenation of its rows in table
order (inside the file's wrapper, for JSON and YAML that need one), so a row's line is known exactly. Each
row is its own test case, so the gap is visible at a glance. Tokens are generated at run time.
"""

from __future__ import annotations

import base64
import json
import os
import random
import string
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from credscope.api import ScanOptions, scan
from credscope.model import ScanResult
from credscope.testing.generate import expand

from helpers import Repo


@dataclass(frozen=True)
class Found:
    provider: str
    kind: str


DECOY = None


# Kubernetes env lists give a value its name in a sibling key (`- name: DB_PASSWORD` / `value: …`): the structured
# context does not read that convention yet, and the generic rules need the name before the value.
@dataclass(frozen=True)
class Row:
    what: str
    path: str
    text: str | Callable[[], str]  # a generator template, or a function building the text
    expected: Found | None
    offset: int = 0  # which line of the row's text the finding is on


def b64(template: str) -> Callable[[], str]:
    """The base64 of an expanded template, as in a Kubernetes Secret's `data`."""
    return lambda: base64.b64encode(expand(template).text.encode()).decode()


def integrity() -> str:
    return "sha512-" + base64.b64encode(os.urandom(64)).decode()


def bad_checksum_ghp() -> str:
    token = expand("{{github:ghp}}").text
    last = "A" if token[-1] != "A" else "B"
    return token[:-1] + last


def jwt_io() -> str:
    return ".".join(
        (
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
            "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ",
            "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
        )
    )


def alnum(length: int) -> str:
    return "".join(random.SystemRandom().choice(string.ascii_letters + string.digits) for _ in range(length))


# A file's wrapper: (head, separator between rows, tail). Files not listed: rows joined by newlines.
WRAPPERS = {
    "notebooks/eval.ipynb": (
        '{\n "cells": [\n  {\n   "cell_type": "code",\n   "metadata": {},\n   "outputs": [],\n   "source": [\n',
        ",\n",
        '\n   ]\n  }\n ],\n "metadata": {},\n "nbformat": 4,\n "nbformat_minor": 5\n}\n',
    ),
    ".cursor/mcp.json": ('{\n  "mcpServers": {\n', ",\n", "\n  }\n}\n"),
    "k8s/secret.yaml": ("apiVersion: v1\nkind: Secret\nmetadata:\n  name: shop\ntype: Opaque\ndata:\n", "\n", "\n"),
    "k8s/deployment.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: shop\nspec:\n  template:\n    spec:\n"
        "      containers:\n      - name: web\n        image: shop/web:1.4.2\n        env:\n",
        "\n",
        "\n",
    ),
    ".docker/config.json": ('{\n  "auths": {\n', ",\n", '\n  },\n  "credsStore": "desktop"\n}\n'),
    "package-lock.json": ('{\n  "name": "shop",\n  "lockfileVersion": 3,\n  "packages": {\n', ",\n", "\n  }\n}\n"),
    "config/appsettings.json": ('{\n  "ConnectionStrings": {\n', ",\n", "\n  }\n}\n"),
}

P = "app/billing/payments.py"
ROWS: list[Row] = [
    # --- Python -----------------------------------------------------------------------------------------------
    Row("Stripe live secret key", P, 'stripe.api_key = "{{stripe:sk_live}}"', Found("stripe", "secret-key-live")),
    Row("Stripe test key", P, 'STRIPE_TEST_KEY = "{{stripe:sk_test}}"', Found("stripe", "secret-key-test")),
    Row(
        "AWS key pair as boto3 keyword arguments",
        P,
        's3 = boto3.client("s3", aws_access_key_id="{{aws:akia}}", aws_secret_access_key="{{aws-secret}}")',
        Found("aws", "access-key"),
    ),
    Row("OpenAI key read from the environment", P, 'openai_key = os.environ["OPENAI_API_KEY"]', DECOY),
    Row("password read from a function", P, "db_password = get_secret('db')", DECOY),
    Row(
        "OpenAI project key",
        "app/ai/agent.py",
        'client = OpenAI(api_key="{{openai:proj}}")',
        Found("openai", "project-key"),
    ),
    Row(
        "Django insecure default secret",
        "app/settings.py",
        'SECRET_KEY = "django-insecure-{{password:50}}"',
        Found("generic", "secret"),
    ),
    Row("Django settings password literal 'postgres'", "app/settings.py", 'DATABASES_PASSWORD = "postgres"', DECOY),
    # --- TypeScript / JavaScript ------------------------------------------------------------------------------
    Row(
        "Supabase service_role JWT",
        "web/src/lib/supabase.ts",
        'export const admin = createClient("https://abcdefghijklmnopqrst.supabase.co", "{{supabase:service_role}}");',
        Found("supabase", "api-jwt"),
    ),
    Row(
        "Supabase anon JWT",
        "web/src/lib/supabase.ts",
        'const anonKey = "{{supabase:anon}}";',
        Found("supabase", "api-jwt"),
    ),
    Row(
        "anon key from process.env",
        "web/src/lib/supabase.ts",
        "const key = process.env.NEXT_PUBLIC_SUPABASE_ANON_KEY;",
        DECOY,
    ),
    Row(
        "SendGrid key in a mailer",
        "web/src/server/mail.js",
        'sgMail.setApiKey("{{sendgrid}}");',
        Found("sendgrid", "api-key"),
    ),
    Row("jwt.io sample token in a comment", "web/src/server/mail.js", lambda: f"// e.g. token = '{jwt_io()}'", DECOY),
    Row(
        "Stripe publishable live key",
        "web/src/checkout.tsx",
        'const stripe = loadStripe("{{stripe:pk_live}}");',
        Found("stripe", "publishable-key-live"),
    ),
    # --- Go ---------------------------------------------------------------------------------------------------
    Row(
        "MySQL DSN with password",
        "cmd/worker/main.go",
        'db, err := sql.Open("mysql", "orders:{{twilio:key-secret}}@tcp(mysql.prod.internal:3306)/orders")',
        Found("mysql", "connection-dsn"),
    ),
    Row("DSN built from variables", "cmd/worker/main.go", 'dsn := fmt.Sprintf("%s:%s@tcp(%s)/%s", u, p, h, d)', DECOY),
    Row("Slack bot token", "cmd/worker/main.go", 'const slackToken = "{{slack:xoxb}}"', Found("slack", "bot-token")),
    # --- Java -------------------------------------------------------------------------------------------------
    Row(
        "Twilio SID and auth token",
        "api/src/main/java/shop/Sms.java",
        'static final String SID = "{{twilio:sid}}";\nstatic final String TWILIO_AUTH_TOKEN = "{{twilio:token}}";',
        Found("twilio", "auth-token"),
        offset=1,
    ),
    Row(
        "Spring datasource password",
        "api/src/main/resources/application.properties",
        "spring.datasource.password={{password}}",
        Found("generic", "password"),
    ),
    Row(
        "Spring datasource URL without credentials",
        "api/src/main/resources/application.properties",
        "spring.datasource.url=jdbc:postgresql://db:5432/shop",
        DECOY,
    ),
    # --- Ruby -------------------------------------------------------------------------------------------------
    Row(
        "GitHub PAT in an Octokit client",
        "lib/tasks/release.rb",
        'client = Octokit::Client.new(access_token: "{{github:ghp}}")',
        Found("github", "personal-access-token"),
    ),
    Row(
        "GitHub token from ENV",
        "lib/tasks/release.rb",
        'client = Octokit::Client.new(access_token: ENV.fetch("GITHUB_TOKEN"))',
        DECOY,
    ),
    Row("Heroku API key", "lib/tasks/release.rb", 'HEROKU_API_KEY = "{{heroku}}"', Found("heroku", "api-key")),
    # --- .env -------------------------------------------------------------------------------------------------
    Row(
        "Postgres URL",
        ".env",
        "DATABASE_URL={{postgres:shop@db.prod.internal:5432/shop}}",
        Found("postgres", "connection-uri"),
    ),
    Row("Railway account token", ".env", "RAILWAY_API_TOKEN={{uuid4}}", Found("railway", "account-token")),
    Row("Railway project id", ".env", "RAILWAY_PROJECT_ID={{uuid4}}", DECOY),
    Row("Anthropic API key", ".env", "ANTHROPIC_API_KEY={{anthropic:api03}}", Found("anthropic", "api-key")),
    Row("Redis URL", ".env", "REDIS_URL={{redis}}", Found("redis", "connection-uri")),
    Row(
        "Datadog API + application key",
        ".env",
        "DD_API_KEY={{datadog}}\nDD_APP_KEY={{datadog:app}}",
        Found("datadog", "application-key"),
        offset=1,
    ),
    Row("session secret", ".env", "SESSION_SECRET={{password:48}}", Found("generic", "secret")),
    Row(
        "AWS temporary credentials (key id, secret, session token)",
        ".env",
        "AWS_ACCESS_KEY_ID={{aws:asia}}\nAWS_SECRET_ACCESS_KEY={{aws-secret}}\nAWS_SESSION_TOKEN={{aws-session}}",
        Found("aws", "access-key"),
        offset=1,
    ),
    Row(
        "example env: placeholder Stripe key",
        ".env.example",
        "STRIPE_SECRET_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx",
        DECOY,
    ),
    Row("example env: empty reference", ".env.example", "OPENAI_API_KEY=${OPENAI_API_KEY}", DECOY),
    Row("example env: your-key-here", ".env.example", "SENDGRID_API_KEY=your-key-here", DECOY),
    # --- docker-compose ---------------------------------------------------------------------------------------
    Row(
        "compose: Postgres password",
        "docker-compose.yml",
        "services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: {{password}}",
        Found("generic", "password"),
        offset=4,
    ),
    Row(
        "compose: Mongo password from variable",
        "docker-compose.yml",
        "  mongo:\n    environment:\n      MONGO_INITDB_ROOT_PASSWORD: ${MONGO_PASSWORD}",
        DECOY,
    ),
    # --- Kubernetes -------------------------------------------------------------------------------------------
    Row(
        "Secret data: base64 Postgres URL",
        "k8s/secret.yaml",
        lambda: "  DATABASE_URL: " + b64("{{postgres:shop@db.prod.internal:5432/shop}}")(),
        Found("postgres", "connection-uri"),
    ),
    Row(
        "Secret data: base64 Stripe restricted key",
        "k8s/secret.yaml",
        lambda: "  STRIPE_KEY: " + b64("{{stripe:rk_live}}")(),
        Found("stripe", "restricted-key-live"),
    ),
    Row(
        "Secret data: base64 of a non-secret",
        "k8s/secret.yaml",
        lambda: "  LOG_LEVEL: " + base64.b64encode(b"info").decode(),
        DECOY,
    ),
    Row(
        "Deployment env value by name",
        "k8s/deployment.yaml",
        '        - name: DB_PASSWORD\n          value: "{{password}}"',
        Found("generic", "password"),
        offset=1,
    ),
    Row(
        "Deployment env from secretKeyRef",
        "k8s/deployment.yaml",
        "        - name: STRIPE_KEY\n          valueFrom:\n            secretKeyRef: {name: shop, key: STRIPE_KEY}",
        DECOY,
    ),
    Row(
        "kubeconfig service-account token",
        "deploy/kubeconfig.yaml",
        "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n"
        "    server: https://k8s.prod.internal:6443\n  name: prod\n"
        "users:\n- name: deployer\n  user:\n    token: {{kubernetes:bound:prod:deployer}}\ncurrent-context: prod",
        Found("kubernetes", "service-account-token"),
        offset=9,
    ),
    # --- Terraform --------------------------------------------------------------------------------------------
    Row(
        "tfvars: DigitalOcean token",
        "infra/prod.tfvars",
        'do_token = "{{digitalocean:dop}}"',
        Found("digitalocean", "personal-access-token"),
    ),
    Row(
        "tfvars: Cloudflare legacy token",
        "infra/prod.tfvars",
        'cloudflare_api_token = "{{cloudflare:legacy-token}}"',
        Found("cloudflare", "api-token"),
    ),
    Row("tfvars: database password", "infra/prod.tfvars", 'db_password = "{{password}}"', Found("generic", "password")),
    Row("tfvars: region", "infra/prod.tfvars", 'region = "nyc3"', DECOY),
    # --- Jupyter notebook -------------------------------------------------------------------------------------
    Row(
        "notebook: OpenAI key set in os.environ",
        "notebooks/eval.ipynb",
        '    "os.environ[\\"OPENAI_API_KEY\\"] = \\"{{openai:svcacct}}\\"\\n"',
        Found("openai", "service-account-key"),
    ),
    Row(
        "notebook: Hugging Face token",
        "notebooks/eval.ipynb",
        '    "login(token=\\"{{huggingface}}\\")\\n"',
        Found("huggingface", "access-token"),
    ),
    Row(
        "notebook: Twilio token by name",
        "notebooks/eval.ipynb",
        '    "TWILIO_ACCOUNT_SID = \\"{{twilio:sid}}\\"\\n",\n    "TWILIO_AUTH_TOKEN = \\"{{twilio:token}}\\"\\n"',
        Found("twilio", "auth-token"),
        offset=1,
    ),
    Row("notebook: token from getpass", "notebooks/eval.ipynb", '    "hf_token = getpass.getpass()\\n"', DECOY),
    # --- CI workflow ------------------------------------------------------------------------------------------
    Row(
        "workflow: secrets reference",
        ".github/workflows/deploy.yml",
        "on: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n"
        "    env:\n      FLY_API_TOKEN: ${{ secrets.FLY_API_TOKEN }}",
        DECOY,
    ),
    Row(
        "workflow: hard-coded Netlify token",
        ".github/workflows/deploy.yml",
        "      NETLIFY_AUTH_TOKEN: {{netlify}}",
        Found("netlify", "personal-access-token"),
    ),
    Row(
        "workflow: Vercel token in a curl step",
        ".github/workflows/deploy.yml",
        '    steps:\n      - run: curl -H "Authorization: Bearer {{vercel:vcp}}" https://api.vercel.com/v9/projects',
        Found("vercel", "personal-token"),
        offset=1,
    ),
    # --- MCP config -------------------------------------------------------------------------------------------
    Row(
        "MCP: GitHub token in env",
        ".cursor/mcp.json",
        '    "github": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-github"],\n'
        '      "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": "{{github:fine}}"}}',
        Found("github", "fine-grained-token"),
        offset=1,
    ),
    Row(
        "MCP: Supabase token in args",
        ".cursor/mcp.json",
        '    "supabase": {"command": "npx", "args": ["-y", "@supabase/mcp-server-supabase", "--access-token", '
        '"{{supabase:pat}}"]}',
        Found("supabase", "management-token"),
    ),
    Row(
        "MCP: token from the environment",
        ".cursor/mcp.json",
        '    "linear": {"command": "npx", "args": ["mcp-remote"], "env": {"LINEAR_API_KEY": "${LINEAR_API_KEY}"}}',
        DECOY,
    ),
    # --- credential files -------------------------------------------------------------------------------------
    Row(
        "Docker config auth holding a Hub PAT",
        ".docker/config.json",
        lambda: '    "https://index.docker.io/v1/": {"auth": "' + expand("{{docker-auth:shopbot}}").text + '"}',
        Found("docker", "personal-access-token"),
    ),
    Row("OpenSSH deploy key", "deploy/id_ed25519", "{{pem:openssh}}", Found("private-key", "private-key")),
    Row("PuTTY key", "deploy/bastion.ppk", "{{pem:putty}}", Found("private-key", "private-key")),
    Row(
        "GCP service-account key file",
        "secrets/gcp-sa.json",
        "{{gcp-service-account:shop-prod-4411}}",
        Found("gcp", "service-account-key"),
        offset=4,
    ),
    Row(
        "Azure storage connection string",
        "config/appsettings.json",
        '    "Blob": "{{azure-storage:connection:shopmedia}}"',
        Found("azure", "storage-account-key"),
    ),
    Row(
        "Azure SAS URL in a backup script",
        "scripts/backup.sh",
        'az storage blob upload --blob-url "https://shopbackups.blob.core.windows.net/db/dump.sql?{{azure-storage:sas}}"',
        Found("azure", "sas-token"),
    ),
    Row(
        "Railway token beside the GraphQL host (the incident)",
        "scripts/fix_domains.sh",
        "curl -s https://backboard.railway.com/graphql/v2 \\\n  -H 'Authorization: Bearer {{uuid4}}' \\\n  -d @q.json",
        Found("railway", "account-token"),
        offset=1,
    ),
    Row(
        "PyPI token in .pypirc",
        ".pypirc",
        "[pypi]\nusername = __token__\npassword = {{pypi}}",
        Found("pypi", "api-token"),
        offset=2,
    ),
    Row("npm token in .npmrc", ".npmrc", "//registry.npmjs.org/:_authToken={{npm}}", Found("npm", "access-token")),
    Row("npm token from the environment", ".npmrc", "//npm.pkg.github.com/:_authToken=${GITHUB_TOKEN}", DECOY),
    # --- lockfiles --------------------------------------------------------------------------------------------
    Row(
        "package-lock integrity",
        "package-lock.json",
        lambda: f'    "node_modules/left-pad": {{"version": "1.3.0", "integrity": "{integrity()}"}}',
        DECOY,
    ),
    Row(
        "yarn.lock integrity",
        "yarn.lock",
        lambda: f'left-pad@^1.3.0:\n  version "1.3.0"\n  integrity {integrity()}',
        DECOY,
    ),
    Row(
        "poetry.lock hash",
        "poetry.lock",
        lambda: f'files = [\n    {{file = "x.whl", hash = "sha256:{os.urandom(32).hex()}"}},\n]',
        DECOY,
    ),
    Row(
        "go.sum line",
        "go.sum",
        lambda: "github.com/lib/pq v1.10.9 h1:" + base64.b64encode(os.urandom(32)).decode(),
        DECOY,
    ),
    # --- docs with example keys -------------------------------------------------------------------------------
    Row(
        "docs: AWS documented example pair",
        "docs/setup.md",
        "export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n"
        "export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        DECOY,
    ),
    Row(
        "docs: Stripe documented test key",
        "docs/setup.md",
        lambda: "curl https://api.stripe.com/v1/charges -u " + "sk_test_" + "4eC39HqLyjWDarjtT1zdp7dc" + ":",
        DECOY,
    ),
    Row(
        "docs: bearer placeholder",
        "docs/setup.md",
        "curl -H 'Authorization: Bearer <YOUR_API_KEY>' https://api.shop.dev",
        DECOY,
    ),
    Row("docs: truncated OpenAI key", "docs/setup.md", "OPENAI_API_KEY=sk-proj-...", DECOY),
    Row(
        "docs: real SendGrid key pasted by mistake",
        "docs/setup.md",
        "export SENDGRID_API_KEY={{sendgrid}}",
        Found("sendgrid", "api-key"),
    ),
    # --- test fixtures with fakes -----------------------------------------------------------------------------
    Row(
        "fixture: placeholder Stripe key",
        "tests/fixtures/settings.py",
        'STRIPE_KEY = "sk_test_xxxxxxxxxxxxxxxxxxxxxxxx"',
        DECOY,
    ),
    Row("fixture: test password", "tests/fixtures/settings.py", 'password = "test-password"', DECOY),
    Row(
        "fixture: GitHub token with a broken checksum",
        "tests/fixtures/settings.py",
        lambda: f'GITHUB_TOKEN = "{bad_checksum_ghp()}"',
        DECOY,
    ),
    Row("fixture: all-A GitHub token", "tests/fixtures/settings.py", 'OTHER_TOKEN = "ghp_' + "A" * 36 + '"', DECOY),
    Row(
        "fixture: unsigned JWT",
        "tests/fixtures/settings.py",
        'fake_jwt = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJlLWlnbm9yZWQtYnktdGVzdHM"',
        DECOY,
    ),
    Row("fixture: fake API key", "tests/fixtures/settings.py", 'api_key = "fake-api-key-for-tests"', DECOY),
    Row(
        "fixture: random id named *_ID",
        "tests/fixtures/settings.py",
        lambda: f'STRIPE_ACCOUNT_ID = "acct_{alnum(16)}"',
        DECOY,
    ),
]


@dataclass(frozen=True)
class Planted:
    row: Row
    start: int  # the row's first line in its file
    line: int  # where its credential must be reported
    end: int


@pytest.fixture(scope="module")
def saas(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Planted], ScanResult]:
    """Write the repository once (tracked and untracked files), scan it once with the Python API."""
    root = tmp_path_factory.mktemp("saas") / "shop"
    root.mkdir()
    repo = Repo(root)
    repo.git("init", "-q", "-b", "main")
    planted: dict[str, Planted] = {}
    by_path: dict[str, list[Row]] = {}
    for row in ROWS:
        by_path.setdefault(row.path, []).append(row)
    for path, rows in by_path.items():
        head, separator, tail = WRAPPERS.get(path, ("", "\n", "\n"))
        text = head
        for index, row in enumerate(rows):
            first = text.count("\n") + 1
            body = row.text() if callable(row.text) else expand(row.text).text
            body = body.rstrip("\n")
            text += body + (separator if index < len(rows) - 1 else "")
            planted[row.what] = Planted(row, first, first + row.offset, first + body.count("\n"))
        repo.write(path, text + tail)
        if path.endswith((".json", ".ipynb")):
            json.loads(text + tail)  # the wrapper and rows make valid JSON, as real files are
    repo.commit("shop", ".")  # .env and the rest tracked, as in the repositories that leak
    return planted, scan([root], ScanOptions())


def _row_id(row: Row) -> str:
    return f"{row.path}: {row.what}"


@pytest.mark.parametrize("row", [pytest.param(row, id=_row_id(row)) for row in ROWS])
def test_row(row: Row, saas: tuple[dict[str, Planted], ScanResult]) -> None:
    planted, result = saas
    here = planted[row.what]
    found = [
        (credential.provider, credential.kind, location.line)
        for credential in result.credentials
        for location in credential.locations
        if location.path == row.path and here.start <= location.line <= here.end
    ]
    if row.expected is None:
        assert found == [], f"decoy reported: {row.what}"
    else:
        assert found == [(row.expected.provider, row.expected.kind, here.line)], row.what


def test_session_token_joins_its_key_pair(saas: tuple[dict[str, Planted], ScanResult]) -> None:
    """In dotenv form (`AWS_SESSION_TOKEN=…`) too, the STS token is part of the key pair's credential."""
    planted, result = saas
    here = planted["AWS temporary credentials (key id, secret, session token)"]
    [credential] = [
        c for c in result.credentials if any(loc.path == ".env" and loc.line == here.line for loc in c.locations)
    ]
    assert sorted(credential.parts) == ["access_key_id", "session_token"]


def test_nothing_outside_the_table(saas: tuple[dict[str, Planted], ScanResult]) -> None:
    """Every reported location belongs to a planted credential row: wrappers and filler yield nothing."""
    planted, result = saas
    stray = [
        (location.path, location.line, credential.provider, credential.kind)
        for credential in result.credentials
        for location in credential.locations
        if not any(p.row.path == location.path and p.start <= location.line <= p.end for p in planted.values())
    ]
    assert stray == []
