"""Tokens of artifact registries whose format is an encoding (JFrog reference tokens)."""

from __future__ import annotations

import base64
import random
import string
import time

from credscope.testing.generate import Generator

_ALNUM = string.ascii_letters + string.digits


def gen_jfrog_reference(rng: random.Random, arg: str | None) -> str:
    """A JFrog reference (or identity) token: base64 of ``reftkn:01:<expiry, Unix seconds>:<random>``, 64 characters.

    The layout is what JFrog Platform prints for a reference token (it decodes to that text); the random part is
    drawn here, and the expiry lies a year ahead (0 would mean it never expires).
    """
    expiry = int(time.time()) + rng.randrange(30, 365) * 86_400
    head = f"reftkn:01:{expiry}:".encode()
    tail = "".join(rng.choice(_ALNUM) for _ in range(48 - len(head))).encode()
    return base64.b64encode(head + tail).decode("ascii")


def gen_azure_devops_legacy(rng: random.Random, arg: str | None) -> str:
    """An Azure DevOps PAT of the pre-2024 form: 52 characters of lower-case base32 (a-z, 2-7)."""
    alphabet = string.ascii_lowercase + "234567"
    return "".join(rng.choice(alphabet) for _ in range(52))


GENERATORS: dict[str, Generator] = {
    "jfrog-reference": gen_jfrog_reference,
    "azure-devops-legacy": gen_azure_devops_legacy,
}
