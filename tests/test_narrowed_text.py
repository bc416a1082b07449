"""Astral characters stood for by private-use ones (detect/byte_view.py `narrowed_text`): a large text with an emoji
is two bytes a character instead of four, and what a scan finds in it is what it finds in the text as decoded."""

from __future__ import annotations

import base64
import functools
import json
import random
import sys
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest

from credscope.catalogue import Catalogue, load_catalogue
from credscope.detect import engine
from credscope.detect.byte_view import narrowed_text
from credscope.detect.engine import Detector, DocumentStats
from credscope.model import Document, Reach
from credscope.testing.generate import expand

from helpers import candidate_key

pytest.importorskip("hyperscan")

# Emoji, a skin-tone modifier, an arrow (Sm), a private-use character of the BMP (the stand-ins must avoid those the
# document holds) and a mathematical bold letter: a word character, which no private-use one stands for.
_INERT = ("🦄", "😀", "🏻", "🠆", "\ue000", "\ue001")
_LETTER = "𝐀"


@functools.cache
def _catalogue() -> Catalogue:
    return load_catalogue()


def _width(text: str) -> int:
    """Bytes a character of `text` takes in memory (1, 2 or 4)."""
    return (sys.getsizeof(text) - sys.getsizeof(text[:1])) // max(len(text) - 1, 1)


def test_a_large_text_with_emoji_is_two_bytes_a_character_and_restores_to_the_decoded_text() -> None:
    content = b"let a = 1;\n" * 200_000 + "// 🦄 done \ue000 😀🏻\n".encode() + b"let b = 2;\n" * 10
    text, restore = narrowed_text(content)
    assert len(text) == len(content.decode())
    assert _width(text) == 2
    assert text.translate(restore) == content.decode()
    assert "\ue000" in text and "\ue000" not in restore  # a stand-in is never a character the document holds


@pytest.mark.parametrize(
    ("tail", "why"),
    [
        (_LETTER, "a letter is a word character"),
        ("\U000e0001", "beyond plane 3"),
        ("🦄" * 1, "under the size"),
    ],
)
def test_a_text_is_left_as_decoded_where_a_stand_in_could_change_what_is_found(tail: str, why: str) -> None:
    body = b"x = 1;\n" * (10 if why == "under the size" else 200_000)
    content = body + f"// {tail} 🦄\n".encode()
    text, restore = narrowed_text(content)
    assert text == content.decode()
    assert restore == {}


def _sprinkled(rng: random.Random, line: str) -> str:
    """`line` with astral characters around and inside it, where a document would have them."""
    mark = rng.choice(_INERT)
    roll = rng.random()
    if roll < 0.3:
        return f"{line}  # {mark} {rng.choice(_INERT)}"
    if roll < 0.5:
        return f"{mark} {line}"
    return f"{line} {mark}"


def _documents(rng: random.Random, large: int) -> Iterator[tuple[str, str]]:
    """Every positive example of every rule, with emoji around them and in values and names, in files of each
    format the scanner parses, each padded with `large` characters of filler holding emoji too."""
    lines: list[str] = []
    for rule in _catalogue().rules:
        for example in rule.examples:
            lines.extend(expand(example.text, rng).text.splitlines())
    secret = expand("{{random:alnum:20}}", rng).text
    rng.shuffle(lines)
    filler = "// " + " 🦄 ".join(f"w{n}" for n in range(large // 6)) + "\n"
    # A Kubernetes Secret: what its data decodes to is not the document's text, and may hold the private-use
    # character that would stand for the emoji beside it.
    decoded = base64.b64encode(f"{secret[:10]}\ue000{secret[10:]}".encode()).decode()
    yield (
        "k8s/secret.yaml",
        f"{filler.replace('//', '#')}apiVersion: v1\nkind: Secret  # 🦄\ndata:\n  password: {decoded}\n",
    )
    # Emoji in values and names: the findings must hold them as written.
    yield (
        "config/.env",
        (
            f'{filler.replace("//", "#")}DB_PASSWORD="{secret[:8]}🦄{secret[8:]}"\n'
            f"SMTP_PASSWORD_😀={secret[::-1]}🏻x\n# {secret[:4]}\ue000\n"
        ),
    )
    chunks = [lines[i : i + 16] for i in range(0, len(lines), 16)]
    for number, chunk in enumerate(chunks):
        sprinkled = [_sprinkled(rng, line) for line in chunk]
        kind = number % 4
        if kind == 0:
            model = {f"op{n}😀": {"value": line, "doc": filler[:200]} for n, line in enumerate(chunk)}
            model["blob🦄"] = {"data": filler}
            yield f"models/m{number}.json", json.dumps(model, indent=1, ensure_ascii=False)
        elif kind == 1:
            yield f"src/app{number}.py", filler.replace("//", "#") + "\n".join(sprinkled) + "\n"
        elif kind == 2:
            body = "\n".join(f"# {_INERT[n % len(_INERT)]}\n{line}" for n, line in enumerate(chunk))
            yield f"deploy/values{number}.yaml", filler.replace("//", "#") + body + "\n"
        else:
            yield f"dist/bundle{number}.min.js", filler.replace("\n", " ") + ";".join(sprinkled) + "\n"


@pytest.mark.parametrize("large", [0, 300_000])
def test_what_is_found_in_a_narrowed_text_is_what_is_found_in_the_decoded_one(
    monkeypatch: pytest.MonkeyPatch, large: int
) -> None:
    documents = list(_documents(random.Random(7), large))
    detector = Detector(_catalogue())
    detector.warm()
    # Dense databases read around names or whole, by what each way has cost so far: the findings are the same, but
    # not how many matches are counted as unnamed. One way for both runs.
    prefilter: Any = detector._prefilter._engine
    prefilter.place_names = True
    narrowed = 0

    def run(smallest: int) -> tuple[list[tuple[object, ...]], list[object]]:
        nonlocal narrowed

        def text_of(content: bytes, *, narrow: bool = True) -> tuple[str, dict[int, int]]:
            nonlocal narrowed
            text, restore = narrowed_text(content, smallest=smallest, narrow=narrow)
            narrowed += bool(restore)
            return text, restore

        monkeypatch.setattr(engine, "narrowed_text", text_of)
        found: list[tuple[object, ...]] = []
        stats: list[object] = []
        for path, text in documents:
            document_stats = DocumentStats()
            document = Document(path=path, content=text.encode(), reach=Reach.FILE)
            found += [candidate_key(c) for c in detector.detect(document, document_stats)]
            stats.append(document_stats)
        return found, stats

    decoded = run(sys.maxsize)
    assert narrowed == 0
    assert run(0) == decoded
    # Each holds emoji, and none a letter of the astral planes; those whose values are decoded (Kubernetes Secrets,
    # Docker configs: a few examples) are not narrowed.
    assert narrowed >= len(documents) * 9 // 10
    secrets = [str(key[3]) for key in decoded[0]]
    assert any("🦄" in secret for secret in secrets)  # a secret holding one is reported as it is written
    assert any("\ue000" in secret for secret in secrets)  # and one decoded from base64 as it decodes
    assert len(decoded[0]) > 200


def test_a_scan_of_a_large_bundle_with_an_emoji_holds_its_text_at_two_bytes_a_character() -> None:
    secret = expand("{{random:alnum:24}}").text
    content = (b"var a=1;" * 500_000) + f'var k={{password:"{secret}"}};// 🦄\n'.encode()
    detector = Detector(_catalogue())
    document = Document(path="dist/app.min.js", content=content, reach=Reach.FILE)
    detector.detect(document)  # databases loaded, patterns compiled: not measured
    tracemalloc.start()
    try:
        found = detector.detect(document)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [c.secret for c in found] == [secret]
    # The text at four bytes a character alone would be 4× the content.
    assert peak < 3.5 * len(content)
