"""Offline scope inference, one table: each row a generated credential in its context, and exactly what
credscope must conclude — access, destructive, the named destructive actions, identity, evidence, severity."""

from __future__ import annotations

import base64
import datetime
import random
import string
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pytest

from credscope.catalogue import load_catalogue
from credscope.model import Access, Credential, Location, Reach, Scope, Severity, fingerprint_of
from credscope.policy import FailOn, Policy
from credscope.scope.core import severity_of
from credscope.scope.infer import assess
from credscope.scope.railway import VOLUME_DELETE_NOTE
from credscope.scope.registry import builtin_inferences

from helpers import token

CATALOGUE = load_catalogue()
INFERENCES = builtin_inferences()


@dataclass(frozen=True)
class Case:
    provider: str
    kind: str
    secret: Callable[[], str]  # generated when the test runs, never stored
    access: Access
    destructive: bool | None
    evidence: tuple[str, ...]  # each must be a substring of one evidence line
    identity: Mapping[str, str] = field(default_factory=dict)  # exact values of these keys
    actions: tuple[str, ...] = ()  # among destructive_actions
    not_actions: tuple[str, ...] = ()
    name: str | None = None
    path: str = "config.env"
    context: Mapping[str, str] = field(default_factory=dict)
    parts: Callable[[], dict[str, str]] = dict
    reach: Reach = Reach.TRACKED
    severity: Severity | None = None
    production: bool | None = None


def gen(template: str) -> Callable[[], str]:
    return lambda: token(template)


def old_generation_key_id() -> str:
    # Fifth character A-P: the generation bit is clear, so no account is encoded (scopes.md §2).
    rng = random.SystemRandom()
    body = rng.choice("ABCDEFGHIJKLMNOP") + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(15))
    return "AKIA" + body


def tampered_github_token() -> str:
    value = token("{{github:ghp}}")
    last = "A" if value[-1] != "A" else "B"
    return value[:-1] + last


def client_certificate(groups: list[str], common_name: str, days: int) -> str:
    """A kubeconfig client-certificate-data value: base64 of a freshly made PEM certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    attributes = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, g) for g in groups]
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    subject = x509.Name(attributes)
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubernetes")])
    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = (now - datetime.timedelta(days=400), now + datetime.timedelta(days=days))
    if days < 0:
        start, end = now - datetime.timedelta(days=400), now + datetime.timedelta(days=days)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .sign(key, hashes.SHA256())
    )
    return base64.b64encode(certificate.public_bytes(serialization.Encoding.PEM)).decode("ascii")


def jwt(claims: str) -> Callable[[], str]:
    return gen("{{jwt:" + claims + "}}")


PAST = int(time.time()) - 86_400
FUTURE = int(time.time()) + 30 * 86_400
SECRET_TEMPLATE = "{{aws-secret}}"
RAILWAY_ACCOUNT_ACTIONS = (
    "railway:volumeDelete",
    "railway:serviceDelete",
    "railway:projectDelete",
    "railway:environmentDelete",
    "railway:projectScheduleDeleteForce",
    "railway:workspaceDelete",
)

CASES = {
    # --- Railway: the kind comes from the name, header or file -----------------------------------------------------
    "railway-account-token-by-variable": Case(
        "railway", "account-token", gen("{{uuid4}}"), Access.ADMIN, True,
        ("assigned to RAILWAY_API_TOKEN, which the Railway CLI sends as a Bearer account or workspace token",
         VOLUME_DELETE_NOTE, "only a live query (query { me }) tells them apart"),
        actions=RAILWAY_ACCOUNT_ACTIONS, name="RAILWAY_API_TOKEN", severity=Severity.CRITICAL,
    ),
    "railway-account-token-by-bearer-header": Case(
        "railway", "account-token", gen("{{uuid4}}"), Access.ADMIN, True,
        ("sent as a Bearer token: an account or workspace token (Railway refuses project tokens there)",),
        actions=("railway:volumeDelete",), name="Authorization", path="api.ts",
    ),
    "railway-workspace-token": Case(
        "railway", "workspace-token", gen("{{uuid4}}"), Access.ADMIN, True,
        ("assigned to RAILWAY_WORKSPACE_TOKEN", "access to all the workspace's resources"),
        actions=("railway:volumeDelete", "railway:projectDelete"), not_actions=("railway:workspaceDelete",),
        name="RAILWAY_WORKSPACE_TOKEN",
    ),
    "railway-project-token-by-variable": Case(
        "railway", "project-token", gen("{{uuid4}}"), Access.WRITE, True,
        ("assigned to RAILWAY_TOKEN, which the Railway CLI sends as Project-Access-Token",
         "A project token is scoped to one environment"),
        actions=("railway:serviceDelete", "railway:environmentPatchCommit"),
        not_actions=("railway:volumeDelete", "railway:projectDelete"),
        name="RAILWAY_TOKEN", path=".env", reach=Reach.IGNORED, severity=Severity.HIGH,
    ),
    "railway-project-token-by-header": Case(
        "railway", "project-token", gen("{{uuid4}}"), Access.WRITE, True,
        ("sent in the Project-Access-Token header: a project token",),
        name="Project-Access-Token", path="deploy.sh", severity=Severity.HIGH,
    ),
    "railway-legacy-session": Case(
        "railway", "cli-session", gen("{{railway-legacy:future}}"), Access.ADMIN, True,
        ("legacy Railway CLI session (rw_Fe26.2): sent as a Bearer token", "the iron seal expires "),
        actions=RAILWAY_ACCOUNT_ACTIONS, path=".railway/config.json", reach=Reach.HOME,
    ),
    "railway-legacy-session-expired": Case(
        "railway", "cli-session", gen("{{railway-legacy:expired}}"), Access.NONE, False,
        ("legacy Railway CLI session (rw_Fe26.2) expired ", "it no longer authenticates"),
        path=".railway/config.json", reach=Reach.HOME, severity=Severity.INFO,
    ),
    "railway-oauth-access-token": Case(
        "railway", "oauth-token", gen("{{password:43}}"), Access.ADMIN, True,
        ("accessToken in the Railway CLI config file: the CLI asks for scopes workspace:admin project:admin",),
        identity={"token": "accessToken"}, actions=("railway:volumeDelete", "railway:workspaceDelete"),
        path=".railway/config.json", context={"field": "accessToken"}, reach=Reach.HOME,
    ),
    "railway-oauth-refresh-token": Case(
        "railway", "oauth-token", gen("{{password:43}}"), Access.ADMIN, True,
        ("refreshToken in the Railway CLI config file: rotates and lasts about a year",),
        identity={"token": "refreshToken"}, path=".railway/config.json", context={"field": "refreshToken"},
        reach=Reach.HOME,
    ),
    # --- AWS: account decoded, key type, canaries, profile context -------------------------------------------------
    "aws-akia-account-decoded": Case(
        "aws", "access-key", gen(SECRET_TEMPLATE), Access.UNKNOWN, None,
        ("key id encodes AWS account 123456789012", "AKIA: a long-term access key",
         "IAM permissions are not in the key: only a live query (--verify) can read them"),
        identity={"account": "123456789012", "key_type": "long-term"},
        parts=lambda: {"access_key_id": token("{{aws:akia:123456789012}}")}, severity=Severity.HIGH,
    ),
    "aws-asia-temporary": Case(
        "aws", "access-key", gen(SECRET_TEMPLATE), Access.UNKNOWN, None,
        ("ASIA: temporary STS credentials", "session token found beside it", "key id encodes AWS account 210987654321"),
        identity={"account": "210987654321", "key_type": "temporary"},
        parts=lambda: {"access_key_id": token("{{aws:asia:210987654321}}"), "session_token": token("{{aws-session}}")},
    ),
    "aws-old-key-not-decodable": Case(
        "aws", "access-key", gen(SECRET_TEMPLATE), Access.UNKNOWN, None,
        ("predates account-id encoding: account not decodable",),
        identity={"key_type": "long-term"}, parts=lambda: {"access_key_id": old_generation_key_id()},
    ),
    "aws-canary-account": Case(
        "aws", "access-key", gen(SECRET_TEMPLATE), Access.NONE, False,
        ("account 052310077262 is a known canary-token account: using the key alerts its owner",),
        identity={"account": "052310077262", "canary": "yes"},
        parts=lambda: {"access_key_id": token("{{aws:akia:052310077262}}")}, severity=Severity.INFO,
        production=False,
    ),
    "aws-profile-and-role": Case(
        "aws", "access-key", gen(SECRET_TEMPLATE), Access.UNKNOWN, None,
        ("AWS profile prod", "the profile assumes role arn:aws:iam::123456789012:role/deployer (role_arn)",
         "other profiles assume arn:aws:iam::123456789012:role/admin with this key (source_profile)"),
        identity={"profile": "prod", "role_arn": "arn:aws:iam::123456789012:role/deployer"},
        parts=lambda: {"access_key_id": token("{{aws:akia:123456789012}}")},
        context={
            "profile": "prod",
            "role_arn": "arn:aws:iam::123456789012:role/deployer",
            "assumable_roles": "arn:aws:iam::123456789012:role/admin",
        },
        path=".aws/credentials", reach=Reach.HOME,
    ),
    "aws-key-id-alone": Case(
        "aws", "access-key-id", gen("{{aws:akia:123456789012}}"), Access.NONE, False,
        ("an access key id alone grants nothing",), identity={"account": "123456789012"},
    ),
    # --- Stripe: secret vs restricted vs publishable, live vs test -------------------------------------------------
    "stripe-secret-live": Case(
        "stripe", "secret-key-live", gen("{{stripe:sk_live}}"), Access.ADMIN, True,
        ("sk_live_: a secret key: Stripe secret keys can make any API request on the account",),
        identity={"mode": "live"}, actions=("stripe:refunds.create", "stripe:customers.delete"),
        severity=Severity.CRITICAL,
    ),
    "stripe-restricted-live": Case(
        "stripe", "restricted-key-live", gen("{{stripe:rk_live}}"), Access.UNKNOWN, None,
        ("rk_live_: a restricted key: its per-resource permissions are set in the dashboard",),
        identity={"mode": "live"},
    ),
    "stripe-secret-test": Case(
        "stripe", "secret-key-test", gen("{{stripe:sk_test}}"), Access.WRITE, False,
        ("test mode: it cannot move real money or touch live data",), identity={"mode": "test"},
        severity=Severity.LOW, production=False,
    ),
    "stripe-publishable-live": Case(
        "stripe", "publishable-key-live", gen("{{stripe:pk_live}}"), Access.READ, False,
        ("pk_live_: a publishable key",), severity=Severity.LOW,
    ),
    # --- Supabase: JWT role claim, new key prefixes ----------------------------------------------------------------
    "supabase-service-role-jwt": Case(
        "supabase", "api-jwt", gen("{{supabase:service_role:abcdefghijklmnopqrst}}"), Access.ADMIN, True,
        ("JWT claim role=service_role bypasses row-level security", "claims decoded without verifying"),
        identity={"project": "abcdefghijklmnopqrst", "role": "service_role"},
        actions=("supabase:rows.delete",), severity=Severity.CRITICAL,
    ),
    "supabase-anon-jwt": Case(
        "supabase", "api-jwt", gen("{{supabase:anon:abcdefghijklmnopqrst}}"), Access.READ, False,
        ("JWT claim role=anon: the public anon key",), identity={"role": "anon"}, severity=Severity.LOW,
    ),
    "supabase-expired-jwt": Case(
        "supabase", "api-jwt", jwt('{"iss": "supabase", "role": "service_role", "exp": ' + str(PAST) + "}"),
        Access.NONE, False, ("Supabase JWT expired ",), severity=Severity.INFO,
    ),
    "supabase-secret-key": Case(
        "supabase", "secret-key", gen("{{supabase:secret}}"), Access.ADMIN, True,
        ("sb_secret_: a secret API key, with the service_role's power",), actions=("supabase:rows.delete",),
    ),
    "supabase-publishable-key": Case(
        "supabase", "publishable-key", gen("{{supabase:publishable}}"), Access.READ, False,
        ("sb_publishable_: a publishable key, public by design",),
    ),
    "supabase-management-token": Case(
        "supabase", "management-token", gen("{{supabase:pat}}"), Access.ADMIN, True,
        ("sbp_: a personal access token for the Management API",), actions=("supabase:projects.delete",),
    ),
    # --- PyPI: caveats ---------------------------------------------------------------------------------------------
    "pypi-user-wide": Case(
        "pypi", "api-token", gen("{{pypi:user}}"), Access.ADMIN, False,
        ("a user-wide token: it can upload to every project of its user", "no Expiration caveat: valid until revoked",
         "PyPI tokens can only upload"),
        identity={"index": "pypi.org"}, severity=Severity.HIGH,
    ),
    "pypi-user-wide-legacy-caveat": Case(
        "pypi", "api-token", gen("{{pypi:user,legacy}}"), Access.ADMIN, False,
        ("caveat RequestUser (or permissions=user)",),
    ),
    "pypi-project-scoped": Case(
        "pypi", "api-token", gen("{{pypi:project:requests;flask}}"), Access.WRITE, False,
        ("caveat ProjectName: scoped to project requests, flask",), identity={"projects": "requests, flask"},
        severity=Severity.MEDIUM,
    ),
    "pypi-expiring": Case(
        "pypi", "api-token", gen("{{pypi:project:requests,expires=future}}"), Access.WRITE, False,
        ("Expiration caveat: expires ",),
    ),
    "pypi-expired": Case(
        "pypi", "api-token", gen("{{pypi:user,expires=past}}"), Access.NONE, False,
        ("PyPI token (Expiration caveat) expired ",), severity=Severity.INFO,
    ),
    "pypi-test-index": Case(
        "pypi", "test-api-token", gen("{{pypi:user,test}}"), Access.ADMIN, False,
        ("issued by test.pypi.org: the test index",), identity={"index": "test.pypi.org"}, severity=Severity.LOW,
        production=False,
    ),
    # --- OpenAI and Anthropic --------------------------------------------------------------------------------------
    "openai-admin-key": Case(
        "openai", "admin-key", gen("{{openai:admin}}"), Access.ADMIN, True,
        ("sk-admin-: an organisation Admin API key",), identity={"key_type": "admin"},
        actions=("openai:organization.api_keys.delete",),
    ),
    "openai-project-key": Case(
        "openai", "project-key", gen("{{openai:proj}}"), Access.UNKNOWN, None,
        ("sk-proj-: a project API key; it may have All, Restricted or Read Only permissions",),
        identity={"key_type": "project"},
    ),
    "anthropic-admin-key": Case(
        "anthropic", "admin-key", gen("{{anthropic:admin01}}"), Access.ADMIN, True,
        ("sk-ant-admin01-: an Admin API key",), actions=("anthropic:users.delete",),
    ),
    "anthropic-api-key": Case(
        "anthropic", "api-key", gen("{{anthropic:api03}}"), Access.WRITE, True,
        ("sk-ant-api03-: a workspace API key",), actions=("anthropic:files.delete",),
        not_actions=("anthropic:users.delete",),
    ),
    # --- Databases: superuser by name, compose password, host ------------------------------------------------------
    "postgres-throwaway-localhost": Case(
        "postgres", "connection-uri", lambda: "postgres://postgres:postgres@localhost:5432/app", Access.ADMIN, True,
        ("role postgres is the server's superuser by convention", "host localhost is this machine: a local database",
         "the password is a well-known default: a throw-away local value"),
        identity={"role": "postgres", "host": "localhost", "database": "app"},
        actions=("postgres:DROP DATABASE",), severity=Severity.LOW, production=False,
    ),
    "postgres-superuser-production": Case(
        "postgres", "connection-uri", gen("{{postgres:admin@prod-db.example.net:5432/rentals}}"), Access.ADMIN, True,
        ("role admin is the server's superuser by convention", "host prod-db.example.net names production"),
        identity={"role": "admin", "host": "prod-db.example.net", "database": "rentals"},
        actions=("postgres:DROP DATABASE", "postgres:COPY PROGRAM"), severity=Severity.CRITICAL, production=True,
    ),
    "postgres-managed-app-role": Case(
        "postgres", "connection-uri", gen("{{postgres:app@db.abcdefghij.supabase.co:5432/postgres}}"),
        Access.UNKNOWN, None,
        ("role app is not a superuser by name; its privileges need a live query (--verify)",
         "host db.abcdefghij.supabase.co is a managed database service"),
        identity={"role": "app"}, production=True,
    ),
    "postgres-password-in-compose": Case(
        "postgres", "password", gen("{{password}}"), Access.ADMIN, True,
        ("POSTGRES_PASSWORD in a compose file sets the password of the image's superuser",
         "the database's host is not in the value"),
        identity={"role": "postgres"}, actions=("postgres:DROP DATABASE",), name="POSTGRES_PASSWORD",
        path="docker-compose.yml",
    ),
    "postgres-password-in-compose-throwaway": Case(
        "postgres", "password", lambda: "postgres", Access.ADMIN, True,
        ("the password is a well-known default: a throw-away local value",), name="POSTGRES_PASSWORD",
        path="compose.yaml", severity=Severity.LOW, production=False,
    ),
    "mysql-root-go-dsn": Case(
        "mysql", "connection-dsn", lambda: "root:" + token("{{password}}") + "@tcp(db.prod.example.com:3306)/shop",
        Access.ADMIN, True, ("role root is the server's superuser by convention", "names production"),
        identity={"role": "root", "host": "db.prod.example.com", "database": "shop"},
        actions=("mysql:DROP DATABASE",), production=True,
    ),
    "mongodb-atlas-admin": Case(
        "mongodb", "connection-uri", gen("{{mongodb:admin@cluster0.abcde.mongodb.net/app}}"), Access.ADMIN, True,
        ("is a managed database service",), actions=("mongodb:dropDatabase",), production=True,
    ),
    "redis-default-user": Case(
        "redis", "connection-uri", gen("{{redis}}"), Access.ADMIN, True,
        ("no ACL user: the password authenticates the default user",), actions=("redis:FLUSHALL",),
    ),
    "generic-postgres-password-in-compose": Case(
        "generic", "password", gen("{{password}}"), Access.ADMIN, True,
        ("POSTGRES_PASSWORD in a compose file sets the password of the image's superuser",),
        identity={"role": "postgres"}, actions=("postgres:DROP DATABASE",), name="POSTGRES_PASSWORD",
        path="docker-compose.yml",
    ),
    "generic-mysql-root-password-throwaway": Case(
        "generic", "password", lambda: "example", Access.ADMIN, True,
        ("MYSQL_ROOT_PASSWORD in a compose file sets the password of the image's superuser (root)",
         "a throw-away local value"),
        name="MYSQL_ROOT_PASSWORD", path="docker-compose.yaml", severity=Severity.LOW, production=False,
    ),
    "generic-password-unknown": Case(
        "generic", "password", gen("{{password}}"), Access.UNKNOWN, None,
        ("A password names no service or user",), name="SMTP_PASSWORD", severity=Severity.MEDIUM,
    ),
    # --- Kubernetes ------------------------------------------------------------------------------------------------
    "kubernetes-system-masters-certificate": Case(
        "kubernetes", "client-key", gen("{{pem:ec}}"), Access.ADMIN, True,
        ("client certificate in group system:masters: cluster-admin that no RBAC change can revoke",),
        identity={"user": "kubernetes-super-admin", "groups": "system:masters"},
        parts=lambda: {"client_certificate": client_certificate(["system:masters"], "kubernetes-super-admin", 300)},
        path=".kube/config", reach=Reach.HOME, severity=Severity.CRITICAL,
    ),
    "kubernetes-expired-certificate": Case(
        "kubernetes", "client-key", gen("{{pem:ec}}"), Access.NONE, False, ("client certificate expired ",),
        parts=lambda: {"client_certificate": client_certificate(["system:masters"], "old-admin", -10)},
    ),
    "kubernetes-admin-user-name": Case(
        "kubernetes", "token", gen("{{password:40}}"), Access.ADMIN, True,
        ("kubeconfig user kubernetes-admin: an admin user by name",), identity={"user": "kubernetes-admin"},
        context={"user": "kubernetes-admin"}, path=".kube/config",
    ),
    "kubernetes-local-cluster": Case(
        "kubernetes", "kubeconfig-token", gen("{{password:40}}"), Access.ADMIN, True,
        ("kubeconfig user kind-admin: an admin user by name", "cluster server https://127.0.0.1:6443: this machine"),
        context={"kube_user": "kind-admin", "server": "https://127.0.0.1:6443"}, path=".kube/config",
        severity=Severity.LOW, production=False,
    ),
    "kubernetes-service-account-bound": Case(
        "kubernetes", "service-account-token", gen("{{kubernetes:bound:payments:deployer}}"), Access.UNKNOWN, None,
        ("service account payments/deployer: a bound token", "what RBAC grants it needs a live query"),
        identity={"service_account": "deployer", "namespace": "payments"},
    ),
    "kubernetes-service-account-legacy": Case(
        "kubernetes", "service-account-token", gen("{{kubernetes:legacy:kube-system:ci}}"), Access.UNKNOWN, None,
        ("a legacy secret-based service-account token: it never expires",),
        identity={"service_account": "ci", "namespace": "kube-system"},
    ),
    # --- GitHub ----------------------------------------------------------------------------------------------------
    "github-classic-pat": Case(
        "github", "personal-access-token", gen("{{github:ghp}}"), Access.UNKNOWN, None,
        ("ghp_: a classic personal access token; its scopes (X-OAuth-Scopes) need a live query",
         "checksum valid: a token in GitHub's issued format"),
        identity={"token_type": "classic-pat"},
    ),
    "github-classic-pat-bad-checksum": Case(
        "github", "personal-access-token", tampered_github_token, Access.UNKNOWN, None,
        ("checksum invalid: not a token GitHub issued",),
    ),
    "github-fine-grained": Case(
        "github", "fine-grained-token", gen("{{github:fine}}"), Access.UNKNOWN, None,
        ("github_pat_: a fine-grained personal access token", "fine-grained tokens carry no published checksum"),
        identity={"token_type": "fine-grained-pat"},
    ),
    "github-installation": Case(
        "github", "installation-token", gen("{{github:ghs}}"), Access.UNKNOWN, None,
        ("ghs_: a GitHub App installation token; it expires an hour after it was issued",),
        identity={"token_type": "installation"},
    ),
    # --- JWTs in general -------------------------------------------------------------------------------------------
    "jwt-admin-role": Case(
        "generic", "jwt", jwt('{"sub": "ops", "role": "admin", "exp": ' + str(FUTURE) + "}"), Access.ADMIN, None,
        ("JWT asserts admin: an administrative grant", "role=admin"), identity={"sub": "ops"},
        severity=Severity.CRITICAL,
    ),
    "jwt-read-scope": Case(
        "generic", "jwt", jwt('{"sub": "reporter", "scope": "read:users read:orders"}'), Access.READ, False,
        ("JWT asserts only read:users, read:orders", "no exp claim: it does not expire"),
    ),
    "jwt-no-grants": Case(
        "generic", "jwt", jwt('{"sub": "u-1", "iss": "https://auth.example.com"}'), Access.UNKNOWN, None,
        ("what it allows depends on the service that accepts it", "iss=https://auth.example.com"),
        identity={"iss": "https://auth.example.com", "sub": "u-1"},
    ),
    "jwt-expired": Case(
        "generic", "jwt", jwt('{"sub": "ops", "role": "admin", "exp": ' + str(PAST) + "}"), Access.NONE, False,
        ("JWT expired ",), severity=Severity.INFO,
    ),
    # --- Azure Storage ---------------------------------------------------------------------------------------------
    "azure-account-key": Case(
        "azure", "storage-account-key", gen("{{azure-storage:key}}"), Access.ADMIN, True,
        ("an account key (Shared Key): full control",), identity={"account": "stprodfiles"},
        actions=("azure:container.delete",), context={"account": "stprodfiles"}, severity=Severity.CRITICAL,
    ),
    "azure-sas-with-delete": Case(
        "azure", "sas-token", gen("{{azure-storage:sas:rwdlacup}}"), Access.WRITE, True,
        ("SAS permissions sp=rwdlacup: can delete", "SAS ss=bfqt, srt=sco"),
        actions=("azure:sas-delete",),
    ),
    "azure-sas-read-only": Case(
        "azure", "sas-token", gen("{{azure-storage:sas:rl}}"), Access.READ, False,
        ("SAS permissions sp=rl", "no delete permission (d, x, y) in sp"),
    ),
    "azure-sas-expired": Case(
        "azure", "sas-token", gen("{{azure-storage:sas:rwdl:expired}}"), Access.NONE, False,
        ("SAS (se) expired ",),
    ),
}  # fmt: skip


def credential_for(case: Case) -> Credential:
    secret = case.secret()
    context = {**case.context, **({"name": case.name} if case.name else {})}
    location = Location(path=case.path, line=3, column=7, reach=case.reach, context=context)
    return Credential(
        fingerprint=fingerprint_of(secret),
        provider=case.provider,
        kind=case.kind,
        rule=f"{case.provider}-test",
        secret=secret,
        locations=(location,),
        parts=case.parts(),
    )


@pytest.mark.parametrize("case", [pytest.param(case, id=name) for name, case in CASES.items()])
def test_offline_inference(case: Case) -> None:
    credential = credential_for(case)
    assessed = assess(credential, CATALOGUE, INFERENCES)
    scope = assessed.scope
    shown = f"{scope}"
    assert scope.access is case.access, shown
    assert scope.destructive is case.destructive, shown
    for action in case.actions:
        assert action in scope.destructive_actions, shown
    for action in case.not_actions:
        assert action not in scope.destructive_actions, shown
    assert bool(scope.destructive_actions) == bool(case.destructive), shown
    for expected in case.evidence:
        assert any(expected in line for line in scope.evidence), f"{expected!r} not in {scope.evidence}"
    for key, value in case.identity.items():
        assert scope.identity.get(key) == value, shown
    assert scope.production is case.production, shown
    if case.severity is not None:
        assert assessed.severity is case.severity, shown
    # Evidence and identity are shown to people: never the secret itself (a default like "postgres" aside).
    assert len(credential.secret) < 12 or all(
        credential.secret not in line for line in (*scope.evidence, *scope.identity.values())
    )


SEVERITIES = {
    "admin-destructive-tracked": (Access.ADMIN, True, None, (Reach.TRACKED,), Severity.CRITICAL),
    "admin-destructive-ignored-stays-critical": (Access.ADMIN, True, None, (Reach.IGNORED,), Severity.CRITICAL),
    "admin-not-destructive-tracked": (Access.ADMIN, False, None, (Reach.TRACKED,), Severity.HIGH),
    "write-destructive-tracked": (Access.WRITE, True, None, (Reach.TRACKED,), Severity.HIGH),
    "write-destructive-ignored": (Access.WRITE, True, None, (Reach.IGNORED,), Severity.HIGH),
    "write-destructive-history-still-leaked": (Access.WRITE, True, None, (Reach.HISTORY,), Severity.HIGH),
    "write-destructive-ignored-and-history": (Access.WRITE, True, None, (Reach.IGNORED, Reach.HISTORY), Severity.HIGH),
    "write-destructive-home": (Access.WRITE, True, None, (Reach.HOME,), Severity.HIGH),
    "write-harmless-home-stays-medium": (Access.WRITE, False, None, (Reach.HOME,), Severity.MEDIUM),
    "unknown-tracked": (Access.UNKNOWN, None, None, (Reach.TRACKED,), Severity.MEDIUM),
    "unknown-env": (Access.UNKNOWN, None, None, (Reach.ENV,), Severity.MEDIUM),
    "read-tracked": (Access.READ, False, None, (Reach.TRACKED,), Severity.LOW),
    "read-local-stays-low": (Access.READ, False, None, (Reach.UNTRACKED,), Severity.LOW),
    "none-expired": (Access.NONE, False, None, (Reach.TRACKED,), Severity.INFO),
    "admin-destructive-not-production": (Access.ADMIN, True, False, (Reach.TRACKED,), Severity.LOW),
}


@pytest.mark.parametrize(
    ("access", "destructive", "production", "reaches", "expected"),
    [pytest.param(*row, id=name) for name, row in SEVERITIES.items()],
)
def test_severity_from_access_destructive_reach(
    access: Access, destructive: bool | None, production: bool | None, reaches: tuple[Reach, ...], expected: Severity
) -> None:
    scope = Scope(access=access, destructive=destructive, production=production)
    assert severity_of(scope, reaches) is expected


def _judged(scope: Scope) -> Credential:
    location = Location(path="a.env", line=1, column=1, reach=Reach.TRACKED)
    return Credential(fingerprint_of("x" * 30), "railway", "account-token", "r", "x" * 30, (location,), scope=scope)


POLICIES = {
    "admin-fails-admin": (FailOn.ADMIN, Access.ADMIN,
        Scope(access=Access.ADMIN, destructive=True, destructive_actions=("railway:volumeDelete",)),
        "--fail-on admin: access admin; can destroy: railway:volumeDelete"),
    "write-passes-admin": (FailOn.ADMIN, Access.ADMIN, Scope(access=Access.WRITE, destructive=True), None),
    "write-fails-write": (FailOn.WRITE, Access.ADMIN, Scope(access=Access.WRITE), "--fail-on write: access write"),
    "read-passes-write": (FailOn.WRITE, Access.ADMIN, Scope(access=Access.READ), None),
    "unknown-as-admin": (FailOn.ADMIN, Access.ADMIN, Scope(),
        "--fail-on admin: access unknown, counted as admin (--unknown-as)"),
    "unknown-as-write-passes-admin": (FailOn.ADMIN, Access.WRITE, Scope(), None),
    "unknown-as-read-passes-write": (FailOn.WRITE, Access.READ, Scope(), None),
    "expired-passes": (FailOn.WRITE, Access.ADMIN, Scope(access=Access.NONE), None),
    "not-production-passes-admin": (FailOn.ADMIN, Access.ADMIN, Scope(access=Access.ADMIN, production=False), None),
    "any-fails-everything": (FailOn.ANY, Access.ADMIN, Scope(access=Access.READ),
        "--fail-on any: a railway account-token was found (access read)"),
    "none-never-fails": (FailOn.NONE, Access.ADMIN, Scope(access=Access.ADMIN, destructive=True), None),
}  # fmt: skip


@pytest.mark.parametrize(
    ("fail_on", "unknown_as", "scope", "reason"), [pytest.param(*row, id=name) for name, row in POLICIES.items()]
)
def test_policy_reasons(fail_on: FailOn, unknown_as: Access, scope: Scope, reason: str | None) -> None:
    credential = _judged(scope)
    verdict = Policy(fail_on=fail_on, unknown_as=unknown_as).judge([credential])
    assert verdict.reasons.get(credential.fingerprint) == reason
    assert verdict.passed is (reason is None)
    assert verdict.failing == (() if reason is None else (credential.fingerprint,))


def test_policy_defaults_are_admin_and_conservative() -> None:
    assert (Policy().fail_on, Policy().unknown_as) == (FailOn.ADMIN, Access.ADMIN)
    with pytest.raises(ValueError, match="unknown_as must be admin, write or read"):
        Policy(unknown_as=Access.NONE)
