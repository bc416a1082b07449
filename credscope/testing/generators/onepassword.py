"""1Password service-account tokens: ``ops_`` + base64 of the JSON the 1Password CLI and SDKs read."""

from __future__ import annotations

import base64
import json
import random
import string

from credscope.testing.generate import Generator

_ALNUM = string.ascii_lowercase + string.digits


def _chars(rng: random.Random, alphabet: str, length: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def gen_onepassword_service_account(rng: random.Random, arg: str | None) -> str:
    """``ops_`` + base64 of {signInAddress, userAuth, email, srpX, muk, secretKey, throttleSecret, deviceUuid}.

    The field set follows the tokens `op service-account create` prints (the CLI decodes it to sign in); every
    value here is random: the account address, the SRP and key material, the secret key.
    """
    account = _chars(rng, _ALNUM, 10)
    claims = {
        "signInAddress": f"{account}.1password.com",
        "userAuth": {
            "method": "SRPg-4096",
            "alg": "PBES2g-HS256",
            "iterations": 650000,
            "salt": _b64url(rng.randbytes(16)),
        },
        "email": f"{_chars(rng, _ALNUM, 13)}@1passwordserviceaccounts.com",
        "srpX": rng.randbytes(32).hex(),
        "muk": {
            "alg": "A256GCM",
            "ext": False,
            "k": _b64url(rng.randbytes(32)),
            "key_ops": ["encrypt", "decrypt"],
            "kty": "oct",
            "kid": "mp",
        },
        "secretKey": gen_onepassword_secret_key(rng, None),
        "throttleSecret": {
            "seed": rng.randbytes(32).hex(),
            "uuid": _chars(rng, string.ascii_uppercase + string.digits, 26),
        },
        "deviceUuid": _chars(rng, _ALNUM, 26),
    }
    payload = json.dumps(claims, separators=(",", ":")).encode()
    return "ops_" + base64.b64encode(payload).decode("ascii").rstrip("=")


def gen_onepassword_secret_key(rng: random.Random, arg: str | None) -> str:
    """An account Secret Key: ``A3-`` then groups of 6, 6, 5, 5, 5, 5 upper-case letters and digits."""
    alphabet = string.ascii_uppercase.replace("O", "").replace("I", "") + "23456789"
    return "A3-" + "-".join(_chars(rng, alphabet, n) for n in (6, 6, 5, 5, 5, 5))


GENERATORS: dict[str, Generator] = {
    "onepassword-service-account": gen_onepassword_service_account,
    "onepassword-secret-key": gen_onepassword_secret_key,
}
