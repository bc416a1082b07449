"""Generic values made of words: UI labels and translation files (detect/language.py), test and default
values (`dummy-password`, `foobarsecret`), and values that restate their own name (`smtp-password`)."""

from __future__ import annotations

import re

from credscope.detect.filters.base import GENERIC_PROVIDER, FilterContext, words_of, wordset
from credscope.detect.language import natural_language, translation_file


def translation(ctx: FilterContext) -> str | None:
    """A translation file holds labels (`"password": "Wachtwoord"`); a provider's own format is still reported."""
    if ctx.provider == GENERIC_PROVIDER and translation_file(ctx.path):
        return "translation file (UI labels, not credentials)"
    return None


def words_not_secrets(ctx: FilterContext) -> str | None:
    """A word, a UI label or a sentence in any language where a secret was expected."""
    return natural_language(ctx.secret) if ctx.provider == GENERIC_PROVIDER else None


_FAKE_WORDS = wordset(
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


def test_value(ctx: FilterContext) -> str | None:
    """Generic values made only of words like test/dummy/password and digits: fixtures and defaults."""
    if ctx.provider != GENERIC_PROVIDER:
        return None
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", ctx.secret)
    words = [w for w in re.split(r"[^A-Za-z]+", spaced.lower()) if w]
    name_words = words_of(ctx.name) if ctx.name else set()
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
_FILLER_WORDS = wordset(
    "updated update new old wrong bad invalid incorrect correct right good valid other another current previous "
    "next initial first second third temp temporary tmp generated custom special strong weak simple plain "
    "original changed modified rotated expired revoked reset set get show hide forgot forgotten confirm "
    "confirmation confirmed verify verified val string str text this that is to be our one two three primary "
    "secondary backup master main prod production shared common internal external service system long short "
    "refresh bearer authentication authorization identity"
)
# What a credential is called: a value made of these and filler restates a name (`smtp-password`, `2FA-token`).
_CREDENTIAL_WORDS = wordset(
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
    name_words = {w for w in words_of(ctx.name) if not w.isdigit()} if ctx.name else set()
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
