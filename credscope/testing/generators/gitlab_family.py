"""GitLab's routable token layout under any prefix (``glrtr-``, ``glwt-``…), beside ``{{gitlab:…}}``'s own kinds."""

from __future__ import annotations

import base64
import random
import re
import string

from credscope.detect.checksums import encode_base, gitlab_routable_crc32
from credscope.testing.generate import Generator

_PREFIX = re.compile(r"gl[a-z]{2,6}-")


def _base36(number: int) -> str:
    return encode_base(number, string.digits + string.ascii_lowercase, 1)


def gen_gitlab_routable(rng: random.Random, arg: str | None) -> str:
    """A routable token under the prefix in arg (default ``glrtr-``): base64url(16 random bytes + routing payload +
    its length byte), ``.01.``, the payload length in base36 (2 chars) and the base36 CRC32, as in
    gitlab-org/gitlab routable_token.rb (validator ``gitlab-routable-crc32``). The routing payload names an
    organisation, a project and a token type, like a runner token registered on gitlab.com."""
    prefix = arg or "glrtr-"
    if not _PREFIX.fullmatch(prefix):
        raise ValueError(f"generator 'gitlab-routable': {prefix!r} is not a GitLab prefix such as glrtr-")
    routing = f"o:1\np:{_base36(rng.randrange(1, 80_000_000))}\nt:3".encode()
    raw = rng.randbytes(16) + routing + bytes([len(routing)])
    payload = base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
    body = f"{prefix}{payload}.01.{_base36(len(payload)).rjust(2, '0')}"
    return body + gitlab_routable_crc32(body)


GENERATORS: dict[str, Generator] = {"gitlab-routable": gen_gitlab_routable}
