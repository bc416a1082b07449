"""Natural language where a credential was expected: UI labels and messages in any language, and the
translation files that hold them (`"LABEL_PASSWORD": "Contrasenya"`, `password: Wachtwoord`).

Each recogniser looks at the value or the path alone; `detect/filters/words.py` applies them to generic findings
only, so a provider-format token (a prefix, a checksum) in a translation file is still reported. A sentence
written as an identifier (`This-is-a-fake-token__Dont-send-this…`) is text too.
"""

from __future__ import annotations

import re
import unicodedata


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


# --- words and labels --------------------------------------------------------------------------------------------

# "Password", "token", "key" and "secret" in the languages UIs are translated into, accents stripped, as whole
# words or the stem of a compound (Passwortbestätigung, Zugriffstoken, Wachtwoordherstel).
_CREDENTIAL_WORDS = _wordset(
    "passwort kennwort wachtwoord contrasena contrasenya senha motdepasse parola parole parool losenord "
    "adgangskode passord salasana haslo heslo jelszo sifre lozinka geslo lykilord slaptazodis pasfhocal "
    "salasona wagwoord pasahitza contrasinal token tokens jeton jetons gettone schlussel "
    "schluessel sleutel nyckel nogle nokkel avain kulcs klucz kljuc cheie chave clave chiave geheim secreto "
    "segreto segredo secrete geheimnis secret password passwords passphrase credentials credential"
)
# Short ones match whole words only: `cle` is inside `clear`, `key` inside `keyboard`.
_SHORT_CREDENTIAL_WORDS = _wordset("cle mot pin key keys code pass")
_ENGLISH = _wordset("token tokens secret password passwords passphrase credentials credential")
_PROSE_END = "?!.:…？！。："
# One word of letters, lower case or capitalised, optionally after an acronym (`API-Schlüssel`, `2FA-token`)
# and before a closing punctuation mark (`Passwort:`); a lower-case one may end in a small ordinal
# (`variable-2`, a syntax-highlighting token class).
_ONE_WORD = re.compile(r"(?:([A-Z]{2,5}|\d[A-Z]{2,4}|[A-Z]{2,4}\d)[-\s])?([^\W\d_]{1,40})(?:[-_](\d{1,2}))?[?!.:…]?")
_VOWELS = frozenset("aeiouAEIOU")
# Words of letters joined by spaces, hyphens, underscores or apostrophes (`Mot de passe`, `Jeton_d'accès`).
_WORDS = re.compile(r"[^\W\d_]+(?:(?:['’]|[-_\s]['’]?)[^\W\d_]+){0,11}[?!.:…？！。：]{0,3}")
_SPLIT = re.compile(r"[^\W\d_]+")


def _folded(word: str) -> str:
    """Lower case without accents: `Schlüssel` -> `schlussel`, `Lykilorð` -> `lykilord`."""
    decomposed = unicodedata.normalize("NFKD", word.lower().replace("ð", "d").replace("ø", "o").replace("ł", "l"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _cased_like_a_word(word: str) -> bool:
    """`wachtwoord` or `Wachtwoord`, not `wACHTwoord` or `XKQZ`."""
    rest = word[1:]
    return rest == rest.lower() and (rest != rest.upper() or len(word) == 1)


def _is_word(word: str) -> bool:
    """Cased like a word and with a vowel (any accented letter counts): `Wachtwoord`, `nøgle`, not `Xfsdby`."""
    return _cased_like_a_word(word) and any(c in _VOWELS or not c.isascii() for c in word)


def _non_latin(char: str) -> bool:
    return char.isalpha() and not unicodedata.name(char, "LATIN").startswith("LATIN")


def natural_language(value: str) -> str | None:
    """Why `value` is a word, a label or a sentence rather than a secret, or None."""
    letters = [c for c in value if c.isalpha()]
    foreign = sum(1 for c in letters if _non_latin(c))
    # Cyrillic, Greek, CJK, Arabic, Hebrew, Thai…: machine tokens are ASCII, and people do not type passwords
    # in scripts that need an input method.
    if foreign >= 2 and 2 * foreign >= len(letters):
        return "natural-language text, not a secret"
    one = _ONE_WORD.fullmatch(value)
    if one and _is_word(one.group(2)) and not (one.group(3) and (one.group(1) or not one.group(2).islower())):
        word = one.group(2)
        # A lower-case ASCII run alone may be a random token past twenty letters; a capital, an accent or an
        # acronym in front makes it a word.
        if word.isascii() and word.islower() and word == value and len(word) > 20:
            return None
        return "a single word, not a random secret"
    if _WORDS.fullmatch(value):
        words = _SPLIT.findall(value)
        if all(_cased_like_a_word(w) for w in words) and _names_a_credential(words, prose=_is_prose(value)):
            return "a label naming a credential, not a secret"
    if _sentence(value):
        return "a sentence, not a secret"
    return None


# English function words: a value holding several of them among six words or more is a sentence written as an
# identifier (`This-is-a-fake-token__Dont-send-this-to-the-service`), not a passphrase of random words.
_FUNCTION_WORDS = _wordset(
    "a an the this that these is are was be been do does did dont don't not no to of in on at by for from with "
    "it its and or but if only must should will can cannot"
)
_JOINED_WORDS = re.compile(r"[A-Za-z']+(?:(?:[-_ ]{1,2})[A-Za-z']+){5,40}")


def _sentence(value: str) -> bool:
    if not _JOINED_WORDS.fullmatch(value):
        return False
    words = re.split(r"[-_ ]+", value)
    if not all(_cased_like_a_word(w) for w in words):
        return False
    return sum(1 for w in words if w.lower() in _FUNCTION_WORDS) >= 2


def _is_prose(value: str) -> bool:
    return any(c.isspace() for c in value) or value[-1] in _PROSE_END


def _names_a_credential(words: list[str], *, prose: bool) -> bool:
    """A word of the credential vocabulary in any language. English ones count only in prose (`Forgot
    password?`): joined by hyphens they are restated names, judged in filters/words.py (test_value)."""
    folded = [_folded(w) for w in words]
    if "motdepasse" in "".join(folded):
        return True
    for word in folded:
        for stem in _CREDENTIAL_WORDS:
            if (word == stem or (len(stem) >= 5 and stem in word)) and (prose or stem not in _ENGLISH):
                return True
        if word in _SHORT_CREDENTIAL_WORDS and prose:
            return True
    return False


# --- translation files ---------------------------------------------------------------------------------------------

# Directories that hold translations: Rails `config/locales`, Django `locale/`, Chrome `_locales/`, Angular
# `i18n/`, Flutter `l10n/`, Laravel `lang/`, Symfony `translations/`, iOS `xx.lproj/`.
_TRANSLATION_DIRS = _wordset(
    "locale locales _locales i18n l10n lang langs language languages translation translations "
    "localization localizations localisation localisations"
)
# Formats that only ever hold translations.
_TRANSLATION_EXTENSIONS = _wordset("po pot mo xlf xliff arb strings stringsdict xtb")
# Data formats a translation directory holds; code (js, ts, php, rb, py) only under a locale-named file or
# folder (`locales/de.js`, `lang/de/auth.php`), since a translation directory may also hold the code that calls
# a translation service with its API key.
_DATA_EXTENSIONS = _wordset("json yaml yml properties xml csv ftl resx ini toml txt")
_CODE_EXTENSIONS = _wordset("js mjs cjs ts jsx tsx php rb py")
# ISO 639-1 language codes.
_LANGUAGES = _wordset(
    "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz "
    "ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io "
    "is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn "
    "mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se "
    "sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo "
    "wa wo xh yi yo za zh zu"
)
# A locale: language, then script and region or a UN M.49 area (`de`, `pt_BR`, `zh-Hant-TW`, `es-419`).
_LOCALE = re.compile(r"([a-z]{2})(?:[-_](?:[A-Z][a-z]{3}|[A-Z]{2}|\d{3})){0,2}")
_LOCALE_WITH_REGION = re.compile(r"([a-z]{2})[-_](?:[A-Z][a-z]{3}[-_])?(?:[A-Z]{2}|\d{3})")
# A bundle's locale suffix: `messages.de`, `messages_pt_BR`, `LoginBundle_fr_FR`, `app_de`.
_SUFFIXED = re.compile(r"([\w-]+?)[._]([a-z]{2})((?:[-_](?:[A-Z][a-z]{3}|[A-Z]{2}|\d{3})){0,2})")
# Language codes that are also words in file names (`user_id.json`, `db_it.properties`, `status_ok`): a
# suffix of one of them says "translation" only after a bundle-like name or with a region.
_AMBIGUOUS = _wordset("id it is no or to be as an am my so he hi ha ho la na ms os ts")
_BUNDLE = re.compile(
    r"(?i)(?:messages?|strings|labels|translations?|i18n|l10n|locale|lang|texts?|resources?|\w*bundle)"
)
# Android's localised resources (`res/values-de/`, `res/values-pt-rBR/`, `res/values-b+sr+Latn/`); the default
# `res/values/` also holds configuration (google-services' `google_api_key`) and is not one.
_ANDROID = re.compile(r"(?:^|/)res/values-(?:[a-z]{2,3}(?:-r[A-Z]{2})?|b\+[a-z]{2,3}(?:\+\w{2,8}){0,3})/[^/]+\.xml$")
_NOT_TRANSLATIONS = re.compile(r"(?i)config|setting|secret|credential|(?:^|[._-])env(?:[._-]|$)")


def _is_locale(name: str, *, region: bool = False) -> bool:
    found = (_LOCALE_WITH_REGION if region else _LOCALE).fullmatch(name)
    return found is not None and found.group(1) in _LANGUAGES


def _bundle_suffix(stem: str) -> bool:
    """`messages.de`, `LoginBundle_fr_FR`: a name, then a locale that is not also a plain word."""
    found = _SUFFIXED.fullmatch(stem)
    if found is None or found.group(2) not in _LANGUAGES:
        return False
    return found.group(2) not in _AMBIGUOUS or bool(found.group(3)) or _BUNDLE.fullmatch(found.group(1)) is not None


def translation_file(path: str) -> bool:
    """Whether `path` names a file of translated UI strings."""
    *folders, base = path.replace("\\", "/").split("/")
    stem, dot, extension = base.rpartition(".")
    extension = extension.lower() if dot else ""
    if extension in _TRANSLATION_EXTENSIONS or _ANDROID.search(path) or any(f.endswith(".lproj") for f in folders):
        return True
    if (extension not in _DATA_EXTENSIONS and extension not in _CODE_EXTENSIONS) or _NOT_TRANSLATIONS.search(base):
        return False
    first = stem.split(".")[0]  # `de.json.js` (a bundled translation), `en-US.min.js`
    if _is_locale(first, region=True):  # `ca-ES.js`, `pt_BR.json`: unmistakable anywhere
        return True
    suffixed = _bundle_suffix(stem)
    if any(f.lower() in _TRANSLATION_DIRS for f in folders):
        return (
            extension in _DATA_EXTENSIONS
            or suffixed
            or _is_locale(first)
            or any(_is_locale(f) for f in folders[-2:])  # `lang/de/auth.php`, `locales/de/common.js`
        )
    return suffixed and extension in _DATA_EXTENSIONS
