"""Generic values made of words: UI labels and translation files (detect/language.py), test and default
values (`dummy-password`, `foobarsecret`), and values that restate their own name (`smtp-password`)."""

from __future__ import annotations

import re

from credscope.detect.filters.base import GENERIC_PROVIDER, FilterContext, words_of, wordset
from credscope.detect.filters.vocabulary import CREDENTIAL_WORDS, FAKE_WORDS, KNOWN_WORDS, read
from credscope.detect.language import natural_language, translation_file


def translation(ctx: FilterContext) -> str | None:
    """A translation file holds labels (`"password": "Wachtwoord"`); a provider's own format is still reported."""
    if ctx.provider == GENERIC_PROVIDER and translation_file(ctx.path):
        return "translation file (UI labels, not credentials)"
    return None


def words_not_secrets(ctx: FilterContext) -> str | None:
    """A word, a UI label or a sentence in any language where a secret was expected."""
    return natural_language(ctx.secret) if ctx.provider == GENERIC_PROVIDER else None


def test_value(ctx: FilterContext) -> str | None:
    """Generic values made only of words like test/dummy/password and digits: fixtures and defaults."""
    if ctx.provider != GENERIC_PROVIDER:
        return None
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", ctx.secret)
    words = [w for w in re.split(r"[^A-Za-z]+", spaced.lower()) if w]
    name_words = words_of(ctx.name) if ctx.name else set()
    known = [w in FAKE_WORDS or w in name_words or _made_of_fake_words(w) for w in words]
    if words and all(known):
        return "test or default value"
    if len(words) >= 3 and known.count(False) == 1 and re.fullmatch(r"[a-z]+(?:[-_. ][a-z]+)+", ctx.secret):
        return "test or default value"  # role-secret-key, prod-db-password: words, not randomness
    if ctx.name and _squashed(ctx.secret) == _squashed(ctx.name):
        return "the value repeats its name"  # {'secretsmanager': 'secrets-manager'}
    password = _URL_PASSWORD.search(ctx.secret) if "@" in ctx.secret else None
    if password and (password.group(2).lower() in FAKE_WORDS or password.group(1) == password.group(2)):
        return "test or default value"  # https://user:password@proxy.example
    return None


# Tried only where a run of such characters starts (the lookbehind): from every position it was quadratic.
_URL_PASSWORD = re.compile(r"(?<![^:@/\s,])([^:@/\s,]*):([^:@/\s,]+)@")


def _made_of_fake_words(word: str) -> bool:
    """`foobarsecret`, `abcsecretkey`: a run of fake words of three to twelve letters, written together. Only the
    starts reached are tried, and a word is given up once none lies within twelve letters (see `segmented`)."""
    if len(word) < 6:
        return False
    reached = [0]  # ascending
    for end in range(3, len(word) + 1):
        if reached[-1] < end - 12:
            return False
        if any(word[start:end] in FAKE_WORDS for start in reached if end - 12 <= start <= end - 3):
            reached.append(end)
    return reached[-1] == len(word)


def _squashed(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


_WORDS_ONLY = re.compile(r"[A-Za-z0-9]+(?:[-_. ][A-Za-z0-9]+)*")


def restates_name(ctx: FilterContext) -> str | None:
    """A value made of its name's words, credential words, filler words and digits: `SMTP_PASSWORD=smtp-password`,
    `"token": "updated-token"`, `db_password: dbpassword123`, `2FA-token`; also of the words of its file's path
    (`mlflow-gateway-auth` in mlflow/…/gateway_utils.py). At most one word may be unknown, a short one (`2FA`,
    `pg`, `n8n`) or any beside three known ones (`admin-token-from-tinybird`); a random value has many."""
    if ctx.provider != GENERIC_PROVIDER or not _WORDS_ONLY.fullmatch(ctx.secret):
        return None
    name_words = {w for w in words_of(ctx.name) if not w.isdigit()} if ctx.name else set()
    vocabulary = KNOWN_WORDS | name_words | _path_words(ctx.path)
    reading = read(ctx.secret, vocabulary, CREDENTIAL_WORDS | name_words)
    if not reading.anchored_by or not reading.made_of_words():
        return None
    if reading.anchored_by & name_words:
        return "the value restates its name"
    return "words naming a credential, not a secret"


# Words saying a credential comes from somewhere else, in values that stand in for it: `proxy-managed`,
# `injected-at-runtime`, `provided-by-gateway` (a client library wants a non-empty key; the proxy holds the real one).
_ELSEWHERE = wordset("managed provided injected supplied handled delegated elsewhere runtime")


def supplied_elsewhere(ctx: FilterContext) -> str | None:
    if ctx.provider != GENERIC_PROVIDER or not _WORDS_ONLY.fullmatch(ctx.secret):
        return None
    name_words = {w for w in words_of(ctx.name) if not w.isdigit()} if ctx.name else set()
    reading = read(ctx.secret, KNOWN_WORDS | _ELSEWHERE | name_words | _path_words(ctx.path), _ELSEWHERE)
    if reading.anchored_by and not reading.unknown:
        return "a stand-in saying the credential is supplied elsewhere"
    return None


def _path_words(path: str) -> frozenset[str]:
    """Words of four letters or more in the file's folders and name (`mlflow`, `gateway`), not its extension."""
    folders, _, base = path.replace("\\", "/").rpartition("/")
    return frozenset(w for w in words_of(f"{folders}/{base.split('.')[0]}") if len(w) >= 4 and w.isalpha())
