"""Generic values judged by the name they are assigned to: the name's last word says the value is an id, a
path, a length, a scope or a setting; the token it names is a cursor, a CSRF token or a search term; or the name
says the value is a dummy or a redaction marker."""

from __future__ import annotations

import re

from credscope.detect.filters.base import GENERIC_PROVIDER, FilterContext, words_of, wordset

_SECRET_WORDS = wordset(
    "password passwd pwd passphrase pass secret secrets token key apikey credential credentials auth"
)
# The last word of a name says what its value is: `client_id`, `token_type`, `password_file`, `secretName`,
# `token_url`, `api_key_header`, `min_password_length`, `token_expires_at` hold no secret; nor do OAuth scopes,
# audiences and issuers (`IDENTITY_TOKEN_SCOPE`, `API_KEY_AUDIENCE`), the classes, models, functions and schemes
# a setting names (`ACCESS_TOKEN_MODEL`, `password_hash_function`, `password_scheme`, `secret_generator`) and
# where a credential comes from (`API_KEY_SOURCE`, `credential_chain`).
_NOT_SECRET_HEADS = frozenset(
    {
        *("id", "ids", "uuid", "guid", "name", "names", "file", "files", "path", "dir", "url", "uri", "endpoint"),
        *("type", "types", "field", "fields", "label", "header", "headers", "param", "prefix", "suffix", "length"),
        *("len", "size", "count", "policy", "regex", "pattern", "format", "ref", "version", "algorithm", "alg"),
        *("mode", "expiry", "expires", "at", "ttl", "timeout", "kind", "enabled", "required", "placeholder", "hint"),
        *("description", "text", "message", "error", "selector", "xpath", "location", "arn", "schema", "index"),
        *("limit", "rotation", "usage", "input", "box", "button", "validator", "validation", "strength", "id_ref"),
        *("used", "date", "time", "timestamp", "changed", "created", "updated", "age", "reset", "required"),
        *("scope", "scopes", "audience", "aud", "issuer", "iss", "model", "class", "function", "func", "scheme"),
        *("generator", "backend", "handler", "strategy", "transform", "source", "chain"),
    }
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
    if "." in ctx.name and not words_of(ctx.name.rsplit(".", 1)[1]) & _SECRET_WORDS:
        return "attribute of an object named like a secret"  # token.markup, secret.name
    return None


# Tokens that are not credentials: pagination cursors, idempotency and change tokens, CSRF tokens, domain
# verification strings (`NextToken`, `ClientRequestToken`, `ChangeToken`, `csrf_token`, `VerificationToken`).
_NOT_CREDENTIAL_TOKENS = wordset(
    "next page pagination continuation change client request creation idempotency lifecycle sync cursor "
    "csrf xsrf input output starting resume verification cancel upload update share marker notification "
    "challenge state nonce search query"
)


def not_a_credential_token(ctx: FilterContext) -> str | None:
    if ctx.provider != GENERIC_PROVIDER or not ctx.name:
        return None
    words = words_of(ctx.name)
    if "token" in words and words & _NOT_CREDENTIAL_TOKENS:
        return "pagination, idempotency or CSRF token, not a credential"
    return None


# Words a name uses for a value that is deliberately not real: `DUMMY_SECRET`, `FAKE_API_KEY`,
# `OIDC_CLIENT_SECRET_REDACTED_VALUE` (what an API returns instead of the secret), `MOCK_TOKEN`, `SENTINEL`.
_NOT_REAL = wordset("dummy fake fakes bogus mock mocked redacted masked sentinel placeholder")


def named_not_real(ctx: FilterContext) -> str | None:
    if ctx.provider == GENERIC_PROVIDER and ctx.name and words_of(ctx.name) & _NOT_REAL:
        return "the name says the value is not real (a dummy or a redaction marker)"
    return None
