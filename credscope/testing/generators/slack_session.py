"""Slack's token-rotation tokens and browser-session credentials, in the layouts Slack issues them.

``{{slack:xoxe}}`` draws upper-case bodies; the tokens Slack hands out are base64url text, so these are what a
leaked one looks like: ``xoxe-1-`` + base64url("3-1-<team>-<user>-<id>-<64 hex>"), ``xoxe.xoxp-1-`` +
base64url("2-2-<team>-<user>-<id>-<id>-<64 hex>"), the ``d`` cookie ``xoxd-`` + URL-encoded base64, and the web
client's ``xoxc-`` token.
"""

from __future__ import annotations

import base64
import random
import string
import urllib.parse

from credscope.testing.generate import Generator

_KINDS = ("xoxe", "xoxe.xoxp", "xoxe.xoxb", "xoxd", "xoxc")


def _digits(rng: random.Random, length: int) -> str:
    return str(rng.randrange(1, 10)) + "".join(rng.choice(string.digits) for _ in range(length - 1))


def _hex(rng: random.Random, length: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(length))


def _b64url(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode("ascii").rstrip("=")


def gen_slack_session(rng: random.Random, arg: str | None) -> str:
    """arg: xoxe (a refresh token, the default), xoxe.xoxp / xoxe.xoxb (rotating access tokens), xoxd (the
    browser's ``d`` session cookie), xoxc (the web client's token that goes with it)."""
    kind = arg or "xoxe"
    if kind not in _KINDS:
        raise ValueError(f"generator 'slack-session': unknown argument {kind!r}; expected one of {', '.join(_KINDS)}")
    team, user = _digits(rng, 13), _digits(rng, 13)
    if kind == "xoxe":
        return "xoxe-1-" + _b64url(f"3-1-{team}-{user}-{_digits(rng, 13)}-{_hex(rng, 64)}")
    if kind in ("xoxe.xoxp", "xoxe.xoxb"):
        body = f"2-2-{team}-{user}-{_digits(rng, 13)}-{_digits(rng, 13)}-{_hex(rng, 64)}"
        return f"{kind}-1-{_b64url(body)}"
    if kind == "xoxd":
        cookie = base64.b64encode(rng.randbytes(rng.randrange(96, 144))).decode("ascii")
        return "xoxd-" + urllib.parse.quote(cookie, safe="")
    return f"xoxc-{team}-{user}-{_digits(rng, 13)}-{_hex(rng, 64)}"


GENERATORS: dict[str, Generator] = {"slack-session": gen_slack_session}
