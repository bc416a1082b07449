"""The words filters know, and reading a value as those words: test and default words (`dummy`, `changeme`),
filler that qualifies a secret (`updated`, `wrong`), what credentials are called (`password`, `token`), and
the value's own surroundings (its name, its file's path, a URI's user and database)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from credscope.detect.filters.base import wordset

# Words of test values and defaults: `test-secret`, `dummy_password`, `changeme`, `foobarsecret`.
FAKE_WORDS = wordset(
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
# Words that qualify a secret without being one: `updated-token`, `wrong-password`, `new-refresh-token`,
# `base32-encoded-secret`, `admin-token-from-the-dashboard`, `gateway-auth`.
FILLER_WORDS = wordset(
    "updated update new old wrong bad invalid incorrect correct right good valid other another current previous "
    "next initial first second third temp temporary tmp generated custom special strong weak simple plain "
    "original changed modified rotated expired revoked reset set get show hide forgot forgotten confirm "
    "confirmation confirmed verify verified val string str text this that is to be our one two three primary "
    "secondary backup master main prod production shared common internal external service system long short "
    "refresh bearer authentication authorization identity "
    "base encoded encoding hex from or and with by via at on per gateway proxy"
)
# What a credential is called: a value made of these and filler restates a name (`smtp-password`, `2FA-token`).
CREDENTIAL_WORDS = wordset(
    "password passwords passwd pwd pass passphrase secret secrets token tokens key keys apikey credential "
    "credentials auth oauth jwt otp totp mfa pin"
)
KNOWN_WORDS = FAKE_WORDS | FILLER_WORDS | CREDENTIAL_WORDS
# Words as written in identifiers, digits kept on the word they follow: `AdminPassword123`, `JWTSecret`, `n8n`.
_WORD_RUN = re.compile(r"[A-Z]{2,}(?![a-z])[0-9]*|[A-Z]?[a-z0-9]+|[A-Z][0-9]*")
_LEET = str.maketrans("0134578@$", "oieastbas")


@dataclass
class Reading:
    """A value read as words: the runs made of known words, the runs that are not, and the anchors met."""

    known: int = 0
    unknown: list[str] = field(default_factory=list)
    anchored_by: set[str] = field(default_factory=set)

    def made_of_words(self) -> bool:
        """Every run known, or one unknown: a short one (`2FA`, `pg`, `n8n`), or any beside three known runs
        (`admin-token-from-tinybird`); a random value has many unknown runs."""
        if self.known == 0 or len(self.unknown) > 1:
            return False
        if not self.unknown:
            return True
        return len(self.unknown[0]) <= 3 or self.known >= 3


def read(value: str, vocabulary: frozenset[str], anchors: frozenset[str]) -> Reading:
    """`value` as runs of vocabulary words (digits at a run's ends are a number, not a word)."""
    reading = Reading()
    for run in _WORD_RUN.findall(value):
        word = run.lower().strip("0123456789")
        if not word:
            continue  # a number
        parts = None if any(c.isdigit() for c in word) else segmented(word, vocabulary)
        if parts is None:
            reading.unknown.append(word)
            continue
        reading.known += 1
        reading.anchored_by.update(p for p in parts if p in anchors)
    return reading


def segmented(word: str, vocabulary: frozenset[str]) -> list[str] | None:
    """`dbpassword` -> [db, password]: the word as vocabulary words of two letters or more, or None.

    Each end is reached from the first start, 2 to _LONGEST_WORD characters before it, that was reached and
    leaves a vocabulary word between them. Only the starts reached are tried: a random value reaches none past
    its first, and is given up as soon as no start reached lies within a word's length."""
    best: dict[int, list[str]] = {0: []}
    reached = [0]  # ascending
    for end in range(2, len(word) + 1):
        if reached[-1] < end - _LONGEST_WORD:
            return None
        for start in reached:
            if start < end - _LONGEST_WORD:
                continue
            if start > end - 2:
                break
            if word[start:end] in vocabulary:
                best[end] = [*best[start], word[start:end]]
                reached.append(end)
                break
    return best.get(len(word))


_LONGEST_WORD = 24


def unleet(value: str) -> str:
    """`bu1ldb0t` -> `buildbot`: the digits and signs people put for letters, read as those letters."""
    return value.lower().translate(_LEET)


def own_words(*texts: str) -> frozenset[str]:
    """The words of names around a value (a user, a database, a path), with what is left of each once a known
    word is taken off its end (`bbuser` -> `bb`), so that `bbpasswd` reads as its user's prefix + passwd."""
    found: set[str] = set()
    for text in texts:
        for piece in re.split(r"[^a-z0-9]+", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text).lower()):
            word = piece.strip("0123456789")
            if len(word) < 2:
                continue
            found.add(word)
            for known in KNOWN_WORDS:
                if len(known) >= 2 and len(word) > len(known) + 1:
                    if word.endswith(known):
                        found.add(word[: -len(known)])
                    elif word.startswith(known):
                        found.add(word[len(known) :])
    return frozenset(found)
