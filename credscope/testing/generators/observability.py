"""Tokens of observability services whose format is base64 of a small JSON document (Grafana, Sentry)."""

from __future__ import annotations

import base64
import json
import random
import string
import time
from collections.abc import Mapping

from credscope.testing.generate import Generator

_ALNUM = string.ascii_letters + string.digits


def _chars(rng: random.Random, alphabet: str, length: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


def _b64json(document: Mapping[str, object]) -> str:
    return base64.b64encode(json.dumps(document, separators=(",", ":")).encode()).decode("ascii")


def gen_grafana_cloud(rng: random.Random, arg: str | None) -> str:
    """A Grafana Cloud access-policy token: ``glc_`` + base64 of {"o": org, "n": name, "k": key, "m": {"r": region}}."""
    document = {
        "o": str(rng.randrange(100_000, 9_999_999)),
        "n": f"stack-{rng.randrange(100_000, 999_999)}-alloy-{_chars(rng, string.ascii_lowercase, 6)}",
        "k": _chars(rng, _ALNUM, 32),
        "m": {"r": rng.choice(("prod-eu-west-2", "prod-us-central-0", "prod-ap-southeast-1"))},
    }
    return "glc_" + _b64json(document).rstrip("=")


def gen_grafana_legacy(rng: random.Random, arg: str | None) -> str:
    """A legacy Grafana API key: base64 of {"k": 32 characters, "n": the key's name, "id": the organisation}."""
    document = {
        "k": _chars(rng, _ALNUM, 32),
        "n": f"ci-{_chars(rng, string.ascii_lowercase, 8)}",
        "id": rng.randrange(1, 50),
    }
    return _b64json(document)


def gen_sentry_org(rng: random.Random, arg: str | None) -> str:
    """A Sentry organization token: ``sntrys_`` + base64 of {iat, url, region_url, org} + ``_`` + 43 characters."""
    document = {
        "iat": round(time.time() - rng.randrange(0, 10**7), 6),
        "url": "https://sentry.io",
        "region_url": rng.choice(("https://us.sentry.io", "https://de.sentry.io")),
        "org": f"{_chars(rng, string.ascii_lowercase, 7)}-{_chars(rng, string.ascii_lowercase, 4)}",
    }
    secret = base64.b64encode(rng.randbytes(32)).decode("ascii").rstrip("=")
    return f"sntrys_{_b64json(document)}_{secret}"


GENERATORS: dict[str, Generator] = {
    "grafana-cloud": gen_grafana_cloud,
    "grafana-legacy": gen_grafana_legacy,
    "sentry-org": gen_sentry_org,
}
