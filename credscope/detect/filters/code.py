"""Generic values that are code, not literals: dotted names, entry points and calls, URLs without credentials,
file paths, routes, dates, algorithm names, rate limits, keywords of web APIs."""

from __future__ import annotations

import re

from credscope.detect import heuristics
from credscope.detect.filters.base import GENERIC_PROVIDER, FilterContext

_URL = re.compile(r"^[a-z][a-z0-9+.-]*://(?![^/\s]*@)", re.IGNORECASE)
_PATH = re.compile(
    r"^(?:~|\.{1,2}|/(?:run|etc|var|home|opt|usr|tmp|srv|mnt|secrets|app|data|config|root|Users))/[\w./-]+$"
    r"|^[\w./-]+\.(?:pem|key|crt|cer|p12|pfx|jks|keystore|json|txt|yaml|yml|env|gpg|asc"
    # templates and documents (`tests/page_password_required.html`)
    r"|html?|j2|jinja2?|tmpl|tpl|hbs|mustache|twig|erb|ejs|md|rst|xml|csv)$|^[A-Za-z]:\\\\"
)
# Dotted names (`self.password`, `settings.SECRET_KEY`, `config.db.apiKey`, `mysite.forms.MyCustomForm`,
# `pretixapi.OAuthIDToken`, `weblate.accounts.password-reset-scope`), calls and indexing, camelCase and snake_case
# words: each segment lower/snake, kebab, UPPER_SNAKE, camelCase or PascalCase (acronyms included), as code is
# written and random text is not.
_SEGMENT = (
    r"(?:[a-z_$][a-z0-9_$]*|[a-z][a-z0-9]*(?:-[a-z0-9]+)+|[A-Z_][A-Z0-9_]*|[a-z]+(?:[A-Z][a-z]+[0-9]*)+"
    r"|(?:[A-Z][a-z])?(?:[A-Z]*[A-Z][a-z]{2,})+[A-Z]*)"
)
_CODE = re.compile(
    rf"^{_SEGMENT}(?:\.{_SEGMENT})+$|[()\[\]]|^[a-z]+(?:[A-Z][a-z]+)+$|^_{{0,2}}(?:[a-z]+_{{1,2}})+[a-z]*$"
    # entry points and import strings (`ckan.tests.factories:APIToken`, `weblate.runner:main`)
    rf"|^{_SEGMENT}(?:\.{_SEGMENT})+:{_SEGMENT}(?:\.{_SEGMENT})*$"
    # qualified names of Ruby, Rust, C++, PHP and CloudFormation (`AWS::SecretsManager::Secret`) and namespaced
    # identifiers (`OS-OAUTH1:access_token`)
    r"|^[A-Za-z_]\w*(?:::[A-Za-z_][\w-]*)+$|^[A-Za-z][\w-]*:(?:[a-z]+_)+[a-z]+$"
    # PascalCase names (`NextPageToken`, `AWSSecretKey`) and UPPER_SNAKE variable names (`AWS_SECRET_ACCESS_KEY`)
    r"|^[A-Z]*[A-Z][a-z]{2,}(?:[A-Z][a-z]+)+$|^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$"
    # HTTP header names (`Access-Control-Allow-Credentials`, `X-Api-Key`)
    r"|^[A-Z][a-z]*(?:-[A-Z][a-z]*)+$"
    # BEM class names (`amplify-field__show-password`, `login-form--password`)
    r"|^[a-z]+(?:-[a-z]+)*(?:(?:__|--)[a-z]+(?:-[a-z]+)*)+$"
)
# Names of hash and password-hashing algorithms (`sha512crypt`, `sha3_512`, `pbkdf2_sha256`, `argon2id`).
_ALGORITHM = re.compile(
    r"(?i)(?:pbkdf2|bcrypt|scrypt|argon2(?:id|i|d)?|md5|sha(?:1|224|256|384|512)|sha3[_-]?(?:224|256|384|512)"
    r"|blake2[bs])(?:[_-]?(?:sha(?:1|256|512)|md5|crypt|hmac))*"
)
# A setting's condition or query, `name=value`: modoboa's `"sms_ovh_application_secret": "sms_provider=ovh"`.
_CONDITION = r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+=[a-z][a-z0-9_-]*"
_SETTING = re.compile(rf"{_CONDITION}(?:[&,]{_CONDITION})*")
# Keywords of web APIs that take a `credentials` option: fetch's `credentials: "same-origin"`, CORS attributes.
_API_KEYWORDS = frozenset({"same-origin", "use-credentials"})
# URL paths and template names in lower case (`/account/password/reset/`, `account/password_reset`) and Google
# Cloud IAM role names (`roles/iam.serviceAccountTokenCreator`).
_ROUTE = re.compile(r"/?[a-z][a-z0-9_-]*(?:/[a-z][a-z0-9_-]*)+/?|roles/[a-z]+\.[A-Za-z]+")
_RATE_LIMIT = re.compile(r"\d{1,9}/\d{0,9}[smhd](?:/[a-z]{1,16})?(?:,\d{1,9}/\d{0,9}[smhd](?:/[a-z]{1,16})?){0,8}")


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
    if _ALGORITHM.fullmatch(secret):
        return "an algorithm name, not a secret"
    if _SETTING.fullmatch(secret):
        return "a setting's condition (name=value), not a secret"
    if _RATE_LIMIT.fullmatch(secret):
        return "a rate limit, not a secret"  # django-allauth's `"reset_password": "20/m/ip,5/m/key"`
    if secret in _API_KEYWORDS:
        return "a keyword of a web API (fetch credentials mode), not a secret"
    if secret.isdigit() or heuristics.is_not_alphanumeric_string(secret):
        return "no letters: a number or punctuation"
    if heuristics.is_swagger_file(ctx.path) or _API_EXAMPLES.search(ctx.path):
        return "API documentation example value"
    return None


# API reference examples shipped with SDKs (botocore's data/*/examples-1.json): request samples, not secrets.
_API_EXAMPLES = re.compile(r"(?:^|/)examples?-\d+\.json$|(?:^|/)(?:openapi|swagger)[^/]*\.(?:json|ya?ml)$")
_DATE = re.compile(r"^\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?)?(?:Z|[+-]\d\d:?\d\d)?$")
