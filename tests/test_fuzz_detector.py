"""Fuzzing the whole detector: documents of every format built from generated tokens, junk and mutations.

`Detector.detect` runs prefilter, rules, structured context, decoding, filters, overlap resolution, inline
ignores and pairing on whatever bytes a repository holds; it must never raise, must place every finding inside
the document, and must keep finding a well-formed token that sits on its own line among junk.
"""

from __future__ import annotations

import functools
import os
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credscope.catalogue import load_catalogue
from credscope.detect.engine import Detector, DocumentStats
from credscope.model import Document, Reach
from credscope.testing.generate import expand

FUZZ = settings(
    # CREDSCOPE_FUZZ_SCALE=20 for a deeper local run; CI keeps the default.
    max_examples=200 * int(os.environ.get("CREDSCOPE_FUZZ_SCALE", "1")),
    deadline=5000,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)

# Generators cheap enough to call per module; private keys and service-account files are generated once.
TEMPLATES = [
    "{{github:ghp}}",
    "{{github:fine}}",
    "{{aws}}",
    "{{aws-secret}}",
    "{{gitlab}}",
    "{{stripe}}",
    "{{slack}}",
    "{{openai}}",
    "{{anthropic}}",
    "{{huggingface}}",
    "{{jwt}}",
    "{{supabase:service_role}}",
    "{{kubernetes}}",
    "{{npm}}",
    "{{pypi}}",
    "{{docker}}",
    "{{docker-auth}}",
    "{{digitalocean}}",
    "{{cloudflare}}",
    "{{postgres}}",
    "{{mysql}}",
    "{{mongodb}}",
    "{{redis}}",
    "{{railway-legacy}}",
    "{{sendgrid}}",
    "{{twilio}}",
    "{{uuid4}}",
    "{{password}}",
    "{{pem:ec}}",
]
PATHS = [
    ".env",
    "config/app.json",
    "deploy/secret.yaml",
    "pyproject.toml",
    "setup.cfg",
    "main.tf",
    "nb.ipynb",
    "deploy.sh",
    "app/settings.py",
    "src/index.ts",
    "main.go",
    "README.md",
    ".docker/config.json",
    ".cursor/mcp.json",
    "kubeconfig",
    "notes.txt",
]
NAMES = ["GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "password", "api_key", "DATABASE_URL", "token", "auth", "x"]


@functools.cache
def _pool() -> tuple[str, ...]:
    return tuple(expand(template).text for template in TEMPLATES)


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(load_catalogue())


def _assignment(name: str, value: str, style: int) -> str:
    return [
        f"{name}={value}",
        f'{name}: "{value}"',
        f'"{name}": "{value}",',
        f'{name} = "{value}"',
        f"export {name}='{value}'",
        f'  - name: {name}\n    value: "{value}"',
        f"{value}",
        f'{{"auths": {{"r.io": {{"auth": "{value}"}}}}}}',
    ][style]


JUNK = st.one_of(
    st.text(max_size=40),
    st.binary(max_size=40).map(lambda b: b.decode("utf-8", "surrogateescape")),
    st.sampled_from(["{", "[", '"', "---", "kind: Secret", "data:", "  ", "# credscope: ignore-next-line", "\\"]),
)


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, str]:
    """A path and a document: assignments of pooled tokens (whole, cut or doubled) between junk lines."""
    pool = _pool()
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 12))):
        if draw(st.booleans()):
            value = draw(st.sampled_from(pool))
            match draw(st.integers(0, 4)):
                case 0:
                    value = value[: draw(st.integers(0, len(value)))]
                case 1:
                    value = value + value
                case 2:
                    at = draw(st.integers(0, len(value)))
                    value = value[:at] + draw(st.sampled_from(string.printable)) + value[at:]
                case _:
                    pass
            lines.append(_assignment(draw(st.sampled_from(NAMES)), value, draw(st.integers(0, 7))))
        else:
            lines.append(draw(JUNK))
    return draw(st.sampled_from(PATHS)), "\n".join(lines)


def _check(detector: Detector, path: str, content: bytes) -> list[tuple[str, str, int]]:
    stats = DocumentStats()
    found = detector.detect(Document(path, content, Reach.TRACKED), stats)
    line_count = content.count(b"\n") + 1
    for candidate in found:
        assert candidate.location.path == path
        assert 1 <= candidate.location.line <= line_count, candidate.location
        assert candidate.location.column >= 1
        assert candidate.secret
    return [(c.rule, c.secret, c.location.line) for c in found]


@FUZZ
@given(documents())
def test_detect_never_raises_on_generated_documents(detector: Detector, document: tuple[str, str]) -> None:
    path, text = document
    _check(detector, path, text.encode("utf-8", "surrogateescape"))


@FUZZ
@given(documents(), st.lists(st.tuples(st.integers(0, 10_000), st.binary(min_size=1, max_size=4)), max_size=6))
def test_detect_never_raises_on_byte_mutations(
    detector: Detector, document: tuple[str, str], edits: list[tuple[int, bytes]]
) -> None:
    path, text = document
    content = bytearray(text.encode("utf-8", "surrogateescape"))
    for position, data in edits:
        at = position % (len(content) + 1)
        content[at : at + len(data)] = data
    _check(detector, path, bytes(content))


@FUZZ
@given(st.lists(JUNK, max_size=8), st.lists(JUNK, max_size=8), st.sampled_from(["notes.txt", "README.md", "run.sh"]))
def test_a_token_on_its_own_line_is_found_among_junk(
    detector: Detector, before: list[str], after: list[str], path: str
) -> None:
    secret = _pool()[0]  # a checksummed ghp_ token: found by its own shape, whatever surrounds it
    head = "\n".join(line.replace("\n", " ").replace("\r", " ") for line in before)
    tail = "\n".join(line.replace("\n", " ") for line in after)
    if "ignore" in head.rsplit("\n", 1)[-1]:
        head += "\nplain line"  # an ignore-next-line marker right above the token rightly hides it
    text = (head + "\n" if before else "") + secret + "\n" + tail
    line = text[: text.index(secret)].count("\n") + 1
    found = _check(detector, path, text.encode("utf-8", "surrogateescape"))
    assert ("github-pat-classic", secret, line) in found
