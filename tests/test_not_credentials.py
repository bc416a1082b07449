"""Values that are not credentials, from real-looking files: words and UI labels in any language, translation
files, values that restate their own name, and identifiers public by design. Each kind comes with its
adversary: the real credential of the same shape or in the same file is still reported.

Every token-shaped value is generated at run time (credscope.testing.generate, or random bytes encoded here),
so this file holds no realistic secret. The literal blockchain addresses are published test vectors.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import re
import secrets
import string

import pytest

from credscope.catalogue import load_catalogue
from credscope.detect.engine import Detector
from credscope.detect.filters import FILTERS, FilterContext, why_not_a_secret
from credscope.detect.language import translation_file
from credscope.detect.public_ids import bech32_public, eip55, is_base58check_address, is_ethereum_address, keccak256
from credscope.model import Document, Reach
from credscope.testing.generate import expand

GENERIC = "generic"
DETECTOR = Detector(load_catalogue())

# --- helpers that build public and private values of each chain at run time ------------------------------------

_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def base58check(payload: bytes) -> str:
    raw = payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    number, text = int.from_bytes(raw, "big"), ""
    while number:
        number, digit = divmod(number, 58)
        text = _BASE58[digit] + text
    return "1" * (len(raw) - len(raw.lstrip(b"\0"))) + text


def p2pkh_address() -> str:
    return base58check(b"\x00" + secrets.token_bytes(20))


def wif_private_key() -> str:
    """A Bitcoin private key in Wallet Import Format (compressed): Base58Check like an address, 38 bytes."""
    return base58check(b"\x80" + secrets.token_bytes(32) + b"\x01")


def evm_address() -> str:
    return eip55("0x" + secrets.token_hex(20))


def evm_private_key() -> str:
    return "0x" + secrets.token_hex(32)


def age_secret_key() -> str:
    return "AGE-SECRET-KEY-1" + "".join(secrets.choice(_BECH32) for _ in range(58)).upper()


def google_client_id() -> str:
    alphabet = string.ascii_lowercase + string.digits
    body = "".join(secrets.choice(alphabet) for _ in range(32))
    return f"{secrets.randbelow(9 * 10**11) + 10**11}-{body}.apps.googleusercontent.com"


def mapbox_token(prefix: str) -> str:
    """`pk.` (public) or `sk.` (secret) + base64url JSON naming the account + `.` + a signature."""
    claims = json.dumps({"u": "shop-maps", "a": secrets.token_hex(12)}, separators=(",", ":")).encode()
    body = base64.urlsafe_b64encode(claims).decode().rstrip("=")
    return f"{prefix}.{body}.{secrets.token_urlsafe(16)[:22]}"


def gen(template: str) -> str:
    return expand(template, random.Random()).text


def why(value: str, name: str | None, path: str, provider: str = GENERIC) -> str | None:
    line = f'{name} = "{value}"' if name else value
    return why_not_a_secret(FilterContext(value, line, name, path, f"{provider}-rule", provider), FILTERS)


def found(path: str, text: str) -> list[tuple[str, str, str, int]]:
    document = Document(path=path, content=text.encode(), reach=Reach.FILE)
    return [(c.rule, c.provider, c.kind, c.location.line) for c in DETECTOR.detect(document)]


# --- 1. words and labels in any language ------------------------------------------------------------------------

WORD = "a single word, not a random secret"
LABEL = "a label naming a credential, not a secret"
PROSE = "natural-language text, not a secret"

# (value, name, path, reason): labels as UI libraries ship them (AWS Amplify UI, Clerk, Payload, Strapi,
# Directus and Medusa translations were all reported as passwords and API keys).
LABELS = [
    ("Contrasenya", "LABEL_PASSWORD", "src/app/login/login.component.ts", WORD),
    ("Wachtwoord", "password", "dist/esm/index.mjs", WORD),
    ("Contraseña", "password", "dist/index.js", WORD),
    ("Lösenord", "password", "dist/index.js", WORD),
    ("Lykilorð", "password", "dist/index.js", WORD),
    ("Adgangskode", "password", "dist/assets/da-DK-XOvFZJan.js", WORD),
    ("Slaptažodis", "password", "dist/index.js", WORD),
    ("Tvåfaktorsautentisering", "twoFactorSecret", "dist/assets/sv-SE-HNTaI_V_.js", WORD),
    ("2FA-token", "token", "src/components/LoginForm.tsx", WORD),
    ("API-Schlüssel", "apiKey", "dist/app.js", WORD),
    ("API-nøgle", "apiKey", "dist/app.js", WORD),
    ("API-sleutel", "apiKey", "dist/app.js", WORD),
    ("Passwort:", "password", "src/Login.vue", WORD),
    ("variable-2", "token", "dist/assets/handlebars-Cd3HKujf.js", WORD),  # CodeMirror's token classes
    ("Mot de passe", "password", "src/Login.vue", LABEL),
    ("Passwort vergessen?", "forgotPassword", "src/Login.vue", LABEL),
    ("Forgot password?", "forgotPassword", "src/Login.vue", LABEL),
    ("Mot_de_passe", "password", "src/Login.vue", LABEL),
    ("Jeton_d'accès", "accessToken", "src/Login.vue", LABEL),
    ("Введите пароль", "password", "src/Login.vue", PROSE),
    ("Новыйпароль", "password", "src/Login.vue", PROSE),
    ("パスワードを入力してください", "password", "src/Login.vue", PROSE),
    ("Eメールまたはパスワードが間違っています", "secret", "dist/app.js", PROSE),
    ("请输入您的登录密码", "password", "src/Login.vue", PROSE),
    ("2FA（双因素身份验证）", "twoFactorSecret", "dist/assets/zh-CN-COTOiqDf.js", PROSE),
    # the adversary: people's passwords that hold a word, and random values shaped almost like one
    ("Contraseña123", "password", "src/db.ts", None),
    ("Wachtwoord-7x!Q", "password", "src/db.ts", None),
    ("correct-horse-battery-staple", "passphrase", ".env", None),
    ("reunion-stabilize-clubhouse", "password", ".env", None),
    ("8HPKX-Xfsdby", "SMTP_PASSWORD", "config/app.json", None),  # a draft of the word filter dropped these
    ("R7-el_41", "db_password", "src/db.ts", None),
    ("T1RKS-Hw", "MAPBOX_ACCESS_TOKEN", ".env", None),
]


@pytest.mark.parametrize(("value", "name", "path", "expected"), LABELS)
def test_words_and_labels(value: str, name: str, path: str, expected: str | None) -> None:
    assert why(value, name, path) == expected


def test_words_are_judged_for_the_generic_provider_only() -> None:
    """A provider's own format is trusted over "looks like a word"."""
    assert why("Wachtwoord", "token", "src/Login.vue", provider="github") is None


# --- translation files ------------------------------------------------------------------------------------------

TRANSLATION_PATHS = [
    ("config/locales/nl.yml", True),  # Rails
    ("config/locales/devise.de.yml", True),
    ("locale/es/LC_MESSAGES/django.po", True),  # gettext
    ("po/fr.pot", True),
    ("src/assets/i18n/ca.json", True),  # Angular, ngx-translate
    ("src/locale/messages.de.xlf", True),
    ("public/locales/de/common.json", True),  # i18next
    ("src/locales/de.js", True),  # vue-i18n
    ("resources/lang/de/auth.php", True),  # Laravel
    ("lang/pt_BR.json", True),
    ("_locales/sv/messages.json", True),  # browser extensions
    ("lib/l10n/app_nl.arb", True),  # Flutter
    ("app/src/main/res/values-de/strings.xml", True),  # Android, localised
    ("app/src/main/res/values-pt-rBR/strings.xml", True),
    ("MyApp/nl.lproj/Localizable.strings", True),  # iOS
    ("src/main/resources/messages_de.properties", True),  # Java resource bundles
    ("src/main/resources/LoginBundle_fr_FR.properties", True),
    ("translations/messages.fr.yaml", True),  # Symfony
    ("messages.de.json", True),
    ("dist/ca-ES.js", True),
    ("dist/admin/src/translations/ca.json.js", True),
    # not translations: the default Android values hold google-services' API key, `es.yml` is Elasticsearch's
    # config, a translation directory's code may call a translation service with its key
    ("app/src/main/res/values/strings.xml", False),
    ("config/es.yml", False),
    ("deploy/de.json", False),
    ("src/i18n/index.ts", False),
    ("src/i18n/config.json", False),
    ("locales/.env", False),
    ("src/lang/compiler.py", False),
    ("src/main/resources/db_it.properties", False),
    ("config/user_id.json", False),
    ("src/app.ts", False),
    (".env", False),
]


@pytest.mark.parametrize(("path", "expected"), TRANSLATION_PATHS)
def test_translation_files(path: str, expected: bool) -> None:
    assert translation_file(path) is expected


def test_rails_locale_keeps_only_a_real_token() -> None:
    """Generic findings in a translation file go; a provider's token pasted into one is still reported."""
    github = gen("{{github:ghp}}")
    text = (
        "nl:\n"
        "  activerecord:\n"
        "    attributes:\n"
        "      user:\n"
        "        password: Wachtwoord\n"
        "        api_token: Toegangssleutel\n"
        "        reset_password_token: Herstelcode\n"
        "  integrations:\n"
        f"    github_token: {github}\n"
    )
    assert found("config/locales/nl.yml", text) == [("github-pat-classic", "github", "personal-access-token", 9)]


def test_angular_translation_keeps_only_a_real_stripe_key() -> None:
    stripe = gen("{{stripe:sk_live}}")
    text = (
        "{\n"
        '  "LABEL_USERNAME": "Usuari",\n'
        '  "LABEL_PASSWORD": "Contrasenya",\n'
        '  "LABEL_TOKEN": "2FA-token",\n'
        '  "LABEL_API_KEY": "Clau_API_secreta",\n'
        f'  "PAYMENTS_SECRET_KEY": "{stripe}"\n'
        "}\n"
    )
    assert found("src/assets/i18n/ca.json", text) == [("stripe-secret-key-live", "stripe", "secret-key-live", 6)]


def test_java_bundle_and_flutter_arb_hold_no_credentials() -> None:
    bundle = "account.password=Wachtwoord1\nsecurity.api.token=Sicherheitstoken\nlogin.secret=Geheimnis_42\n"
    assert found("src/main/resources/messages_de.properties", bundle) == []
    arb = '{\n  "password": "Wachtwoord",\n  "apiKey": "API-sleutel",\n  "@password": {"description": "label"}\n}\n'
    assert found("lib/l10n/app_nl.arb", arb) == []


def test_bundled_translations_outside_any_translation_path() -> None:
    """Build output (`dist/index.js`) has no telling path: the values themselves are words."""
    api_key = gen("{{password:32}}")
    text = (
        'var nl={Password:"Wachtwoord",password:"Wachtwoord",apiKey:"API-sleutel"};\n'
        'var sv={password:"Lösenord",apiKey:"API-nyckel",secret:"Tvåfaktorsautentisering"};\n'
        'var ja={secret:"Eメールまたはパスワードが間違っています"};\n'
        f'var client={{apiKey:"{api_key}"}};\n'
    )
    assert found("dist/index.js", text) == [("generic-secret-quoted", GENERIC, "api-key", 4)]


# --- 2. values that restate their own name ------------------------------------------------------------------------

RESTATES = "the value restates its name"
ISSUER = "identifier or setting, not a secret"  # a JWT issuer is public; the name's last word says so
CREDENTIAL_WORDS = "words naming a credential, not a secret"

RESTATED = [
    ("updated-token", "token", "config/settings.json", RESTATES),
    ("updated-token", None, "config/settings.json", CREDENTIAL_WORDS),
    ("dbpassword123", "db_password", "config/database.yml", RESTATES),
    ("wrong-password", "password", "tests/test_auth.py", RESTATES),
    ("bad-password", "password", "wagtail/admin/tests/test_views.py", RESTATES),
    ("set-password", "token", "django/contrib/auth/views.py", CREDENTIAL_WORDS),
    ("pg-password-1", "PGPASSWORD", ".env", CREDENTIAL_WORDS),
    ("updatedSmtpPassword2", "SMTP_PASSWORD", ".env", RESTATES),
    ("n8n-token-exchange", "TOKEN_EXCHANGE_ISSUER", "dist/modules/token-exchange/token-exchange.types.js", ISSUER),
    ("oauth2_jwt_secret", "DATA_JWT_SECRET", "homeassistant/helpers/config_entry_oauth2_flow.py", RESTATES),
    ("authentication-key", "TYPE_AUTHKEY", "nautobot/extras/choices.py", CREDENTIAL_WORDS),
    # already recognised before, kept in the table as the issue's examples
    ("smtp-password", "SMTP_PASSWORD", ".env", "test or default value"),
    ("your-secure-password", "password", "config/settings.json", "placeholder"),
    ("api-key-value", "API_KEY", ".env", "test or default value"),
    # the adversary: a word that is neither the name, filler nor a credential word keeps the value
    ("horse-battery-password", "password", ".env", None),
    ("smtp-Q7xL.mv2-password", "SMTP_PASSWORD", ".env", None),
    ("2FA-Kq9-xR4-token", "token", ".env", None),
]


@pytest.mark.parametrize(("value", "name", "path", "expected"), RESTATED)
def test_values_that_restate_their_name(value: str, name: str | None, path: str, expected: str | None) -> None:
    assert why(value, name, path) == expected


def test_dotenv_with_restated_values_keeps_the_real_password() -> None:
    password = gen("{{password}}")
    text = (
        "SMTP_HOST=smtp.internal.example.net\n"
        "SMTP_PASSWORD=smtp-password\n"
        "API_KEY=api-key-value\n"
        "REDIS_PASSWORD=redis_password_1\n"
        f"DB_PASSWORD={password}\n"
    )
    assert found(".env", text) == [("generic-secret-unquoted", GENERIC, "password", 5)]


def test_json_and_yaml_settings_with_restated_values() -> None:
    password = gen("{{password:24}}")
    settings = (
        "{\n"
        '  "auth": {\n'
        '    "token": "updated-token",\n'
        '    "refresh_token": "new-refresh-token",\n'
        '    "password": "your-secure-password"\n'
        "  },\n"
        f'  "smtp": {{"password": "{password}"}}\n'
        "}\n"
    )
    assert found("config/settings.json", settings) == [("generic-secret-quoted", GENERIC, "password", 7)]
    database = "default:\n  adapter: postgresql\n  db_password: dbpassword123\n  admin_password: AdminPassword123\n"
    assert found("config/database.yml", database) == []


def test_login_test_with_a_wrong_password() -> None:
    text = (
        "def test_login_rejects_a_wrong_password(client):\n"
        '    response = client.post("/login", data={"username": "ana", "password": "wrong-password"})\n'
        "    assert response.status_code == 401\n"
    )
    assert found("tests/test_login.py", text) == []


# --- found in real packages: class names, web API keywords, template paths, stored hashes, rate limits ----------

ROUTE = "a URL path, route or role name, not a secret"
FOUND_IN_PACKAGES = [
    (
        "amplify-field__show-password",
        "password",
        "dist/esm/types/primitives/componentClassName.mjs",
        "code or identifier, not a literal",
    ),
    (
        "same-origin",
        "credentials",
        "admin/static/js/sidebar.js",
        "a keyword of a web API (fetch credentials mode), not a secret",
    ),
    ("tests/custom_page_password_required.html", "password", "tests/test_page_privacy.py", "path to a file"),
    (
        "md5$seasalt$1e9bf2bf5606aa5c39852cc30f0f6f22",
        "password",
        "test/customuser/fixtures/test.json",
        "password hash, not the password",
    ),
    (
        "pbkdf2_sha256$600000$Xk2jq3$Zm9vYmFyYmF6cXV4Zm9vYmFy",
        "password",
        "fixtures/users.json",
        "password hash, not the password",
    ),
    ("20/m/ip,5/m/key", "reset_password", "allauth/account/app_settings.py", "a rate limit, not a secret"),
    ("/account/password/reset/confirm", "PASSWORD_RESET_BY_CODE", "src/auth/routing.js", ROUTE),
    ("account/password_reset", "PASSWORD_RESET_TEMPLATE", "saleor/account/emails.py", ROUTE),
    ("roles/iam.serviceAccountTokenCreator", "SERVICE_ACCOUNT_TOKEN_CREATOR_ROLE", "lib/checkIam.js", ROUTE),
]


@pytest.mark.parametrize(("value", "name", "path", "expected"), FOUND_IN_PACKAGES)
def test_values_found_in_real_packages(value: str, name: str, path: str, expected: str) -> None:
    """From the npm and PyPI packages scanned for this (Amplify UI, Wagtail, django-allauth)."""
    assert why(value, name, path) == expected


def test_a_password_that_merely_starts_like_a_hash_or_a_class_name_is_kept() -> None:
    password = gen("{{password:24}}")
    assert why(f"md5{password}", "password", "fixtures/users.json") is None
    assert why(f"show-{password}", "password", "src/app.ts") is None


# --- 3. identifiers public by design -------------------------------------------------------------------------

ADDRESS = "blockchain address (public)"


def test_keccak256_and_eip55_against_published_vectors() -> None:
    assert keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    # EIP-55's own examples
    for address in (
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    ):
        assert eip55(address.lower()) == address
        assert is_ethereum_address(address)
    assert not is_ethereum_address("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD")  # one case flipped


def test_base58check_and_bech32_against_published_addresses() -> None:
    assert is_base58check_address("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2")  # Bitcoin wiki, P2PKH
    assert is_base58check_address("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy")  # Bitcoin wiki, P2SH
    assert not is_base58check_address("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3")
    assert bech32_public("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq") == ADDRESS
    assert bech32_public("BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ") == ADDRESS
    assert bech32_public("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdp") is None  # checksum broken
    recipient = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"  # age's README
    assert bech32_public(recipient) == "public key (age recipient)"


def _flip_case(address: str) -> str:
    """The same address with one letter's case flipped: no longer its EIP-55 checksum."""
    index = next(i for i, c in enumerate(address) if i > 1 and c.isalpha())
    return address[:index] + address[index].swapcase() + address[index + 1 :]


@pytest.mark.parametrize(
    ("make", "name", "provider", "expected"),
    [
        (evm_address, "TOKEN_CONTRACT", GENERIC, ADDRESS),
        (lambda: evm_address().lower(), "tokenAddress", GENERIC, ADDRESS),
        (lambda: evm_address().upper().replace("0X", "0x"), "token", GENERIC, ADDRESS),
        (p2pkh_address, "donation_secret", GENERIC, ADDRESS),
        (lambda: base58check(b"\x05" + secrets.token_bytes(20)), "treasury_token", GENERIC, ADDRESS),
        (google_client_id, "GOOGLE_AUTH_KEY", GENERIC, "OAuth client id (public by design)"),
        (lambda: mapbox_token("pk"), "MAPBOX_ACCESS_TOKEN", GENERIC, "Mapbox public token (public by design)"),
        (
            lambda: secrets.token_hex(16),
            "ALGOLIA_SEARCH_API_KEY",
            GENERIC,
            "Algolia search-only key (public by design)",
        ),
        # the adversary: private keys of the same chains and secret tokens of the same services
        (lambda: _flip_case(evm_address()), "token", GENERIC, None),
        (evm_private_key, "DEPLOYER_PRIVATE_KEY", GENERIC, None),
        (wif_private_key, "BTC_PRIVATE_KEY", GENERIC, None),
        (age_secret_key, "SOPS_AGE_SECRET_KEY", GENERIC, None),
        (lambda: mapbox_token("sk"), "MAPBOX_SECRET_TOKEN", GENERIC, None),
        (lambda: secrets.token_hex(16), "ALGOLIA_ADMIN_API_KEY", GENERIC, None),
        (lambda: secrets.token_hex(16), "ALGOLIA_API_KEY", GENERIC, None),
        (lambda: "AIza" + secrets.token_urlsafe(26)[:35], "FIREBASE_API_KEY", GENERIC, None),
    ],
)
def test_public_identifiers(make: object, name: str, provider: str, expected: str | None) -> None:
    assert callable(make)
    for _ in range(20):
        value = make()
        assert why(value, name, "src/config.ts", provider) == expected, value[:6]


def test_contract_addresses_beside_a_deployer_key() -> None:
    """A dApp's config: the token and contract addresses are public, the deployer's private key is not."""
    key = evm_private_key()
    text = (
        f'export const TOKEN_ADDRESS = "{evm_address()}";\n'
        f'export const tokens = {{ dai: {{ token: "{evm_address().lower()}", decimals: 18 }} }};\n'
        f'export const treasury = {{ token: "{p2pkh_address()}" }};\n'
        f'export const DEPLOYER_PRIVATE_KEY = "{key}";\n'
    )
    assert found("src/config/contracts.ts", text) == [("generic-secret-quoted", GENERIC, "secret", 4)]


def test_front_end_environment_keeps_what_is_secret() -> None:
    """Public-by-design values go; what the same services keep private, and Google API keys, stay."""
    firebase = "AIza" + secrets.token_urlsafe(26)[:35]
    lines = [
        f"GOOGLE_AUTH_KEY={google_client_id()}",
        f"MAPBOX_ACCESS_TOKEN={mapbox_token('pk')}",
        f"MAPBOX_SECRET_TOKEN={mapbox_token('sk')}",
        f"ALGOLIA_SEARCH_API_KEY={secrets.token_hex(16)}",
        f"ALGOLIA_ADMIN_API_KEY={secrets.token_hex(16)}",
        "SOPS_AGE_RECIPIENT_KEY=age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p",
        f"SOPS_AGE_SECRET_KEY={age_secret_key()}",
        f"FIREBASE_API_KEY={firebase}",
        f"STRIPE_PUBLISHABLE_KEY={gen('{{stripe:pk_live}}')}",
    ]
    assert found(".env.production", "\n".join(lines) + "\n") == [
        ("generic-secret-unquoted", GENERIC, "token", 3),
        ("algolia-admin-key", "algolia", "admin-key", 5),  # Algolia's own provider claims its admin key
        ("generic-secret-unquoted", GENERIC, "secret", 7),
        ("gcp-api-key", "gcp", "api-key", 8),  # and GCP's its AIza keys
        # Stripe's publishable key is reported as its own public kind (the catalogue's choice: it shows
        # the keys beside it in context, and scope says it can only create tokens)
        ("stripe-publishable-key-live", "stripe", "publishable-key-live", 9),
    ]


# --- 4. from application packages: names and code where a secret was expected -----------------------------------
# (Ghost, n8n, pretix, Keystone, modoboa, localstack, CKAN, JupyterHub, Weblate and django-allauth shipped these; the
# previews and the 40-package set are in benchmarks/labels.json.)


def alnum(length: int = 20) -> str:
    return gen(f"{{{{random:alnum:{length}}}}}")


SETTING = "identifier or setting, not a secret"
CODE = "code or identifier, not a literal"
NOT_REAL = "the name says the value is not real (a dummy or a redaction marker)"
TOTP_DUMMY = gen("{{random:base32:16}}")

NAMED = [
    ("members:identity", "IDENTITY_TOKEN_SCOPE", "core/server/services/members/token-service.js", SETTING),
    ("workflow:activate", "PUBLISH_API_KEY_SCOPE", "dist/workflows/workflow.service.js", SETTING),
    ("mcp-server-api", "API_KEY_AUDIENCE", "dist/modules/mcp/mcp-api-key.service.js", SETTING),
    ("pretixapi.OAuthIDToken", "OAUTH2_PROVIDER_ID_TOKEN_MODEL", "src/pretix/settings.py", SETTING),
    ("sha3_512", "invalid_password_hash_function", "keystone/tests/unit/test_password_hashing.py", SETTING),
    ("sha512crypt", "password_scheme", "modoboa/core/api/v2/tests.py", SETTING),
    ("env;instance", "credential_chain", "tests/unit/amazon/aws/hooks/test_duckdb.py", SETTING),
    ("x-amazon-apigateway-api-key-source", "API_KEY_SOURCE", "localstack/services/apigateway/helpers.py", SETTING),
    (
        "AWS::SecretsManager-2020-07-23",
        "SECRETSMANAGER_TRANSFORM",
        "localstack/cloudformation/transformers.py",
        SETTING,
    ),
    (
        "Another_Category",
        "search_token",
        "cms/tests/test_grouper_admin.py",
        "pagination, idempotency or CSRF token, not a credential",
    ),
    (TOTP_DUMMY, "DUMMY_SECRET", "homeassistant/auth/mfa_modules/totp.py", NOT_REAL),
    # the adversary: the same values under a name that says secret, and real values under names like these
    (TOTP_DUMMY, "TOTP_SECRET", "homeassistant/auth/mfa_modules/totp.py", None),
    ("RANDOM", "SCOPED_API_KEY", "src/app.ts", None),
    ("Summer_Holiday", "password", "src/app.ts", None),
]


@pytest.mark.parametrize(("value", "name", "path", "expected"), NAMED)
def test_names_that_say_the_value_is_not_a_secret(value: str, name: str, path: str, expected: str | None) -> None:
    assert why(value.replace("RANDOM", alnum(16)), name, path) == expected


def test_oauth_scopes_audiences_and_a_redaction_marker_beside_a_real_secret() -> None:
    """Ghost's and n8n's constants: scopes, an audience, the marker an API returns instead of the client secret."""
    secret = alnum(32)
    text = (
        "const IDENTITY_TOKEN_SCOPE = 'members:identity';\n"
        "const ENTITLEMENT_TOKEN_SCOPE = 'members:entitlements:read';\n"
        "const API_KEY_AUDIENCE = 'mcp-server-api';\n"
        f"exports.OIDC_CLIENT_SECRET_REDACTED_VALUE = '__n8n_CLIENT_SECRET_VALUE_{gen('{{uuid4}}')}';\n"
        "const CREDENTIAL_RETAIN_SCOPE = 'credential:connect';\n"
        f"const TOKEN_SIGNING_SECRET = '{secret}';\n"
    )
    assert found("dist/modules/sso-oidc/constants.js", text) == [("generic-secret-quoted", GENERIC, "token", 6)]


CODE_VALUES = [
    ("mysite.forms.MyCustomChangePasswordForm", "change_password", "docs/account/forms.rst", CODE),
    ("ckan.tests.factories:APIToken", "api-token", "ckan/cli/generate.py", CODE),
    ("jupyterhub.authenticators.shared:SharedPasswordAuthenticator", "shared-password", "pyproject.toml", CODE),
    ("weblate.accounts.password-reset-scope", "PASSWORD_RESET_SCOPE_SIGNING_SALT", "weblate/accounts/flows.py", CODE),
    ("OS-OAUTH1:access_token", "_ACCESS_TOKEN", "keystone/oauth1/core.py", CODE),
    ("AWS::SecretsManager::Secret", "secret_type", "templates/stack.py", SETTING),
    ("AWS::SecretsManager::Secret", "secret", "templates/stack.py", CODE),
    ("backend_kwarg__", "secrets", "airflow/api_fastapi/core_api/services/public/config.py", CODE),
    ("sha512crypt", "password", "modoboa/core/settings.py", "an algorithm name, not a secret"),
    (
        "sms_provider=ovh",
        "sms_ovh_application_secret",
        "modoboa/core/sms_backends/ovh.py",
        "a setting's condition (name=value), not a secret",
    ),
    # the adversary: random values with dots and colons, a word password with digits
    ("RANDOM.RANDOM", "password", "src/app.ts", None),
    ("alice:Wonderland42", "AUTH_TOKEN", "src/app.ts", None),
    ("RANDOM:RANDOM", "api_key", "src/app.ts", None),
]


@pytest.mark.parametrize(("value", "name", "path", "expected"), CODE_VALUES)
def test_code_where_a_secret_was_expected(value: str, name: str, path: str, expected: str | None) -> None:
    assert why(value.replace("RANDOM", alnum(12)), name, path) == expected


def test_entry_points_in_setup_cfg_and_pyproject_beside_an_upload_password() -> None:
    setup_cfg = (
        "[options.entry_points]\n"
        "ckan.plugins =\n"
        "    expire_api_token = ckanext.expire_api_token.plugin:ExpireApiTokenPlugin\n"
        "    example_iapitoken = ckanext.example_iapitoken.plugin:ExampleIApiTokenPlugin\n"
        "\n"
        "[upload]\n"
        f"password = {alnum(24)}\n"
    )
    assert found("setup.cfg", setup_cfg) == [("generic-secret-unquoted", GENERIC, "password", 7)]
    pyproject = (
        "[project.scripts]\n"
        'weblate = "weblate.runner:main"\n'
        'weblate-generate-secret-key = "weblate.utils.generate_secret_key:main"\n'
        '[project.entry-points."jupyterhub.authenticators"]\n'
        'shared-password = "jupyterhub.authenticators.shared:SharedPasswordAuthenticator"\n'
    )
    assert found("pyproject.toml", pyproject) == []


# --- 5. from application packages: values that describe themselves, and sentences ---------------------------------

DESCRIBED = [
    ("admin-token-from-tinybird", "adminToken", "core/server/data/tinybird/README.md", RESTATES),
    ("local-stats-or-admin-token", "token", "core/server/data/tinybird/README.md", RESTATES),
    ("mlflow-gateway-auth", "api_key", "mlflow/genai/utils/gateway_utils.py", CREDENTIAL_WORDS),
    ("build-time-secret-key", "SECRET_KEY", "src/pretix/_build_settings.py", RESTATES),
    ("BASE32ENCODEDSECRET", "secret", "lib/Adapters/Auth/mfa.js", RESTATES),
    (
        "proxy-managed",
        "apiKey",
        "dist/utils/ai-proxy-language-model.js",
        "a stand-in saying the credential is supplied elsewhere",
    ),
    (
        "This-is-a-fake-token__Dont-send-this-to-the-Recaptcha-service__The-Auth-Emulator-does-not-support-Recaptcha",
        "recaptchaStoken",
        "lib/emulator/auth/operations.js",
        "a sentence, not a secret",
    ),
    (
        "pretend-this-is-a-valid-hash",
        "password_hash",
        "ckan/tests/logic/action/test_create.py",
        "a sentence, not a secret",
    ),
    # the adversary: the same value away from its project's files, passphrases, a word with a real secret
    ("mlflow-gateway-auth", "api_key", "src/app/llm.py", None),
    ("purple-monkey-dishwasher-token", "token", "src/app/settings.py", None),
    ("correct-horse-battery-staple-tonight-moon", "passphrase", ".env", None),
    ("proxy-RANDOM", "apiKey", "dist/utils/ai-proxy-language-model.js", None),
]


@pytest.mark.parametrize(("value", "name", "path", "expected"), DESCRIBED)
def test_values_that_describe_themselves(value: str, name: str, path: str, expected: str | None) -> None:
    assert why(value.replace("RANDOM", alnum(14)), name, path) == expected


# --- 6. from application packages: connection strings written for readers ---------------------------------------


def test_docstring_examples_of_connection_strings_keep_only_the_real_one() -> None:
    """Masked, placeholder, made-up-host and one-letter logins in docstrings and CLI help; the module's own
    URI with a real password is still reported."""
    real = alnum()
    text = (
        "def mask(uri: str) -> str:\n"  # 1
        '    """Hide the password of a connection URI.\n'
        "\n"
        "    Examples::\n"
        "\n"
        "        postgresql://user:pass@host:5432/db -> postgresql://***:***@host:5432/db\n"  # 6
        "\n"
        "    To use a remote MySQL database instead, use something like:\n"
        "\n"
        "      --db='mysql://bbuser:bbpasswd@dbhost/bbdb'\n"  # 10
        "\n"
        '    from_url("redis://redis:SuperSecret@myredishost.com:6379")\n'  # 12
        '    GitLab PAT: "https://oauth2:my-token@gitlab.com/org/repo.git"\n'  # 13
        '    BitBucket Cloud: "https://x-token-auth:my-token@bitbucket.org/org/repo.git"\n'  # 14
        "    eg. 'postgresql://a:b@x' will use the 'postgresql' backend, 'mongodb://a:b@c' the 'mongodb' one\n"  # 15
        "    connection = mysql://examplename:somepassword@examplehost:3306/dbname\n"  # 16
        '    """\n'
        "\n"
        f'DATABASE_URL = "postgresql://app:{real}@db.internal.corp:5432/app"\n'  # 19
    )
    assert found("src/app/cli/connections.py", text) == [("postgres-uri", "postgres", "connection-uri", 19)]


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("postgresql://***:***@host:5432/db", "masked password (a redacted example)"),
        ("postgresql://buildbot:xxxx@127.0.0.1/buildbot", "masked password (a redacted example)"),
        ("https://oauth2:my-token@gitlab.com/org/repo.git", "placeholder password"),
        ("postgresql://a:b@x", "a one- or two-character password: an illustration"),
        (
            "mysql+pymysql://keystone:KEYSTONE_DBPASS@controller/keystone",
            "a constant's name where the password goes (a placeholder)",
        ),
        (
            "s3://ACCESSKEY:SECRETKEY@s3.amazon.com/BUCKET_NAME/sample.pdf",
            "a constant's name where the password goes (a placeholder)",
        ),
        ("postgresql://scott:tiger@localhost:5432/myapp", "documented sample login"),
        ("mysql://bbuser:bbpasswd@dbhost/bbdb", "a sample login on a made-up host"),
        ("postgres://my-login:my-password@my-host:5432/my-schema", "placeholder password"),
        ("postgresql://airflow:airflow@host:5432/airflow", "a sample login on a made-up host"),
        # the adversary: real passwords in the same places, and default logins on this machine (scope calls
        # them throw-away local values, at low severity)
        ("postgresql://app:RANDOM@host:5432/db", None),
        ("mysql://bbuser:RANDOM@dbhost/bbdb", None),
        ("mysql+pymysql://keystone:RANDOM@controller/keystone", None),
        ("mysql://root:MONKEY@db.prod.corp.net/app", None),
        ("postgresql://scott:RANDOM@localhost:5432/myapp", None),
        ("postgres://postgres:postgres@localhost:5432/app", None),
        ("mysql://mysqluser:mysqluserpassword@127.0.0.1:13306/app", None),
        ("postgresql://pguser:pguserpassword@0.0.0.0/app", None),
        ("mysql://ghost:ghost@ghost/ghost", None),
    ],
)
def test_logins_in_connection_strings(uri: str, expected: str | None) -> None:
    scheme = re.split(r"[+:]", uri, maxsplit=1)[0]
    provider = {"mysql": "mysql", "s3": GENERIC, "https": GENERIC}.get(scheme, "postgres")
    assert why(uri.replace("RANDOM", alnum(16)), "DATABASE_URL", "src/app/settings.py", provider) == expected


def test_install_guide_placeholders_and_a_configured_password() -> None:
    """OpenStack's guides write the password to choose as a constant's name; a configured one is reported."""
    guide = (
        "Edit the ``/etc/keystone/keystone.conf`` file:\n"
        "\n"
        "   .. code-block:: ini\n"
        "\n"
        "      [database]\n"
        "      # ...\n"
        "      connection = mysql+pymysql://keystone:KEYSTONE_DBPASS@controller/keystone\n"
    )
    assert found("doc/source/install/keystone-install-ubuntu.rst", guide) == []
    configured = f"[database]\nconnection = mysql+pymysql://keystone:{alnum(18)}@controller/keystone\n"
    assert found("etc/keystone/keystone.conf", configured) == [("mysql-uri", "mysql", "connection-uri", 2)]


def test_commented_out_sample_config_keeps_a_real_token_in_a_comment() -> None:
    """Flask-AppBuilder's example configs comment out SQLAlchemy's scott/tiger; a token in a comment stays."""
    github = gen("{{github:ghp}}")
    text = (
        'SQLALCHEMY_DATABASE_URI = "sqlite:///" + os.path.join(basedir, "app.db")\n'
        "# SQLALCHEMY_DATABASE_URI = 'postgresql://scott:tiger@localhost:5432/myapp'\n"
        "# SQLALCHEMY_ECHO = True\n"
        f'# GITHUB_TOKEN = "{github}"\n'
        f"# SQLALCHEMY_BINDS = {{'audit': 'postgresql://scott:{alnum(16)}@db.internal.corp:5432/audit'}}\n"
    )
    assert found("examples/quickhowto/config.py", text) == [
        ("github-pat-classic", "github", "personal-access-token", 4),
        ("postgres-uri", "postgres", "connection-uri", 5),
    ]


def test_a_configuration_template_example_field() -> None:
    """Airflow's config.yml documents each option with an `example:`; the option's value is reported."""
    template = (
        "database:\n"
        "  options:\n"
        "    sql_alchemy_conn_async:\n"
        "      description: The SQLAlchemy connection string for async drivers.\n"
        "      type: string\n"
        "      sensitive: true\n"
        '      example: "postgresql+asyncpg://postgres:airflow@postgres/airflow"\n'
        "      default: ~\n"
        "    sql_alchemy_conn:\n"
        f'      value: "postgresql://airflow:{alnum()}@postgres/airflow"\n'
    )
    assert found("src/airflow/config_templates/config.yml", template) == [
        ("postgres-uri", "postgres", "connection-uri", 10)
    ]


# --- 7. from application packages: typed fakes and documentation samples of keys ------------------------------

TYPED = "typed fake (alphabet runs)"
# Pieces of a documentation sample written so, the fake typed at the keyboard, assembled here.
INSTAGRAM_SAMPLE = "AQXNnd2hIT6z9bHFzZz2Kp1" + "ghiMz_Rtyuvw" + "XYZ123abc"


def test_jsdoc_examples_keep_a_real_token_in_a_comment() -> None:
    """parse-server's adapters document authData with typed fakes; a real token pasted in a comment stays."""
    real = alnum(40)
    text = (
        "/**\n"  # 1
        " * @example\n"
        " * {\n"
        ' *   "facebook": { "id": "1234567", "access_token": "abc123def456ghi789" },\n'  # 4
        f' *   "instagram": {{ "id": "1234567", "access_token": "{INSTAGRAM_SAMPLE}" }},\n'  # 5
        ' *   "mfa": { "secret": "BASE32ENCODEDSECRET", "token": "123456" },\n'  # 6
        f' *   "github": {{ "id": "7654321", "access_token": "{real}" }}\n'  # 7
        " * }\n"
        " */\n"
    )
    assert found("lib/Adapters/Auth/index.js", text) == [("generic-secret-quoted", GENERIC, "token", 7)]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("abc123def456ghi789", TYPED),
        (INSTAGRAM_SAMPLE, TYPED),
        ("AbCdEf!123456", TYPED),
        ("5678defg-5678-defg-5678-defg56", TYPED),
        # the adversary: a person's password with one run in it, random values of every alphabet
        ("Toto12345!", None),
        ("Password123!", "test or default value"),
    ],
)
def test_typed_fakes(value: str, expected: str | None) -> None:
    assert why(value, "access_token", "src/auth.js") == expected


@pytest.mark.parametrize("alphabet", ["hex", "alnum", "lower-alnum", "base64", "base64url"])
@pytest.mark.parametrize("length", [12, 16, 24, 32, 40, 64])
def test_random_values_are_not_typed_fakes(alphabet: str, length: int) -> None:
    rng = random.Random(f"{alphabet}{length}")
    values = [expand(f"{{{{random:{alphabet}:{length}}}}}", rng).text for _ in range(500)]
    assert [v[:4] for v in values if why(v, "api_key", "src/app.ts") == TYPED] == []


def test_random_hex_with_separators_is_not_a_typed_fake() -> None:
    """Digits and hex have runs by chance (`345`, `def`): four of them in an Asana token, whose separators are
    not hex, do not make it typed (one draw in some hundred thousand has four)."""
    rng = random.Random()

    def digits(length: int) -> str:
        return expand(f"{{{{random:digits:{length}}}}}", rng).text

    def hex_(length: int) -> str:
        return expand(f"{{{{random:hex:{length}}}}}", rng).text

    value = f"1/{digits(4)}345{digits(3)}678{digits(3)}:{hex_(12)}def{hex_(7)}cde{hex_(7)}"
    assert why(value, "access_token", "src/app.py") != TYPED


def test_documentation_samples_of_keys() -> None:
    """django-allauth's docs: a PEM block of one word repeated, an elided certificate; real ones stay."""
    fake_body = "\n".join(["    " + "s3cr3t" * 10 + "s3cr", "    3t" + "s3cr3t" * 10 + "s3", "    c3ts3cr3t"])
    apple = (
        '"settings": {\n'
        "    # The certificate you downloaded when generating the key.\n"
        f'    "certificate_key": """-----BEGIN PRIVATE KEY-----\n{fake_body}\n    -----END PRIVATE KEY-----\n    """\n'
        "}\n"
    )
    assert found("docs/socialaccount/providers/apple.rst", apple) == []
    saml = '"private_key": "MIID/zCCAuegAwIBAg...VGgdy+xoA==",\n'
    assert found("docs/socialaccount/providers/saml.rst", saml) == []
    real = gen("{{pem:pkcs8}}")
    assert found("docs/socialaccount/providers/apple.rst", f'"certificate_key": """{real}"""\n') == [
        ("private-key-pem", "private-key", "private-key", 1)
    ]
    cut = base64.b64encode(secrets.token_bytes(30)).decode()
    assert found("config/saml.py", f'SAML_PRIVATE_KEY = "{cut}"\n') == [("generic-secret-quoted", GENERIC, "secret", 1)]


# --- recall: real values under every kind of name are still found ---------------------------------------------

_NAMES = str.split(
    "SMTP_PASSWORD DB_PASSWORD db_password password adminPassword NEW_PASSWORD UPDATED_TOKEN API_KEY apiKey "
    "SECRET_KEY client_secret JWT_SECRET LABEL_PASSWORD TWO_FA_TOKEN MAIL_PASSWORD REDIS_PASSWORD stripe_secret "
    "session_secret webhook_secret ACCESS_TOKEN refresh_token AUTH_TOKEN PRIVATE_KEY MAPBOX_ACCESS_TOKEN "
    "WALLET_SECRET ETH_PRIVATE_KEY default_password old_password wrong_password POSTGRES_PASSWORD "
    "ALGOLIA_API_KEY translation_api_key"
)
_TEMPLATES = (
    "{{password}}",
    "{{password:16}}",
    "{{password:32}}",
    "{{aws-secret}}",
    "{{twilio:key-secret}}",
    "{{uuid4}}",
    "{{datadog}}",
)
# (path, line): every generic rule's form, in ordinary files and in code beside translations (`i18n/setup.ts`
# may call a translation service with its key; only locale-named files there are translations).
_FORMS = (
    (".env", "{name}={value}"),
    ("config/settings.py", '{name} = "{value}"'),
    ("config/app.json", '  "{name}": "{value}",'),
    ("config/app.yml", '{name}: "{value}"'),
    ("src/app.ts", 'const {name} = "{value}";'),
    ("app/i18n/setup.ts", 'const {name} = "{value}";'),
    ("src/lang/client.py", '{name} = "{value}"'),
    ("deploy/values.yaml", "{name}: {value}"),
)


def test_two_thousand_generated_secrets_under_varied_names_are_all_found() -> None:
    """Property: the not-a-credential filters drop none of 2,000 generated passwords and tokens. Each is found
    once, on its line: as a generic secret, or by the provider whose own rule claims its name (ALGOLIA_API_KEY)."""
    rng = random.Random(20240615)
    missed = []
    for _ in range(2000):
        name, template = rng.choice(_NAMES), rng.choice(_TEMPLATES)
        path, form = rng.choice(_FORMS)
        value = expand(template, rng).text
        document = Document(path=path, content=form.format(name=name, value=value).encode(), reach=Reach.FILE)
        hits = [(c.provider, c.location.line) for c in DETECTOR.detect(document) if c.secret == value]
        if [line for _provider, line in hits] != [1]:
            missed.append((template, name, path, value[:3]))
    assert missed == []
