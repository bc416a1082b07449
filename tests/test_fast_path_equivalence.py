"""The fast path finds exactly what the reference path finds, on a generated tree that looks like real code.

The reference: every rule the pure-Python prefilter picks runs its regex over the whole text. The fast path:
Hyperscan's match ends, every rule's regex only in the windows around them (detect/prefilter.py). The tree
holds every provider's positive examples expanded into fresh tokens (seeded: reproducible), placed inside
what makes windows hard: large nested JSON, minified one-line bundles with non-ASCII text, base64 runs,
lockfiles, notebooks, source files, dotenv and YAML, CRLF line ends and control characters.
Nothing here is timed (benchmarks/run.py measures the speed).
"""

from __future__ import annotations

import functools
import json
import random

import pytest

from credscope.catalogue import Catalogue, load_catalogue
from credscope.detect.engine import Detector, DocumentStats
from credscope.model import Document, Reach
from credscope.testing.generate import expand

from helpers import candidate_key

pytest.importorskip("hyperscan")

_WORDS = ("config", "token", "value", "user", "secret", "key", "data", "résumé", "naïve", "数据", "ключ", "id")


@functools.cache
def _catalogue() -> Catalogue:
    return load_catalogue()


def _snippets(rng: random.Random) -> list[str]:
    """Every positive example of every rule, each line of it, with fresh tokens (seeded: reproducible)."""
    lines: list[str] = []
    for rule in _catalogue().rules:
        for example in rule.examples:
            text = expand(example.text, rng).text
            lines.extend(text.splitlines() or [text])
    return lines


def _noise(rng: random.Random, size: int, quotes: bool = True) -> str:
    """Words, hex digests, base64 runs and punctuation; without `quotes`, safe inside a string literal."""
    separators = [" ", ",", ";", "=", ":", "(", ")", "\n", ".", "-", "_", "/", "\\u00e9", "\\n"]
    separators += ['"', "'"] if quotes else []
    parts: list[str] = []
    length = 0
    while length < size:
        roll = rng.random()
        if roll < 0.15:
            parts.append(
                "".join(
                    rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
                    for _ in range(rng.randint(30, 400))
                )
            )
        elif roll < 0.25:
            parts.append(f"{rng.getrandbits(128):032x}")
        elif roll < 0.3 and quotes:
            parts.append("\x1c\x1f")
        else:
            parts.append(rng.choice(_WORDS))
        parts.append(rng.choice(separators))
        length += len(parts[-2]) + 1
    return "".join(parts)


def _tree(rng: random.Random) -> dict[str, str]:
    snippets = _snippets(rng)
    rng.shuffle(snippets)
    files: dict[str, str] = {}
    chunks = [snippets[i : i + 12] for i in range(0, len(snippets), 12)]
    for number, chunk in enumerate(chunks):
        kind = number % 8
        if kind == 0:  # a large nested JSON model, tokens as values under generated keys
            model = {
                f"op{n}": {"input": {"shape": _noise(rng, 40), "doc": _noise(rng, 200)}, "value": line}
                for n, line in enumerate(chunk)
            }
            model["blob"] = {"data": _noise(rng, 20000)}
            files[f"models/service-{number}.json"] = json.dumps(model, indent=1, ensure_ascii=rng.random() < 0.5)
        elif kind == 1:  # a minified bundle: one long line, non-ASCII text in it
            body = ";".join(
                f'var a{n}="{_noise(rng, 3000, quotes=False).replace(chr(10), " ")}";{line}'
                for n, line in enumerate(chunk)
            )
            files[f"dist/bundle-{number}.min.js"] = body + ";console.log('日本語');"
        elif kind == 2:  # a lockfile with integrity hashes
            entries = [
                f'    "node_modules/p{n}": {{"integrity": "sha512-{_noise(rng, 88)}", "note": "{line}"}}'
                for n, line in enumerate(chunk)
            ]
            files[f"pkg{number}/package-lock.json"] = '{\n  "packages": {\n' + ",\n".join(entries) + "\n  }\n}\n"
        elif kind == 3:  # a notebook
            cells = [{"cell_type": "code", "source": [line + "\n", _noise(rng, 100)], "outputs": []} for line in chunk]
            files[f"notebooks/n{number}.ipynb"] = json.dumps({"cells": cells, "nbformat": 4}, indent=1)
        elif kind == 4:  # source code with CRLF line ends
            files[f"src/app{number}.py"] = "\r\n".join(
                f"# {_noise(rng, 60, quotes=False).replace(chr(10), chr(32))}\r\n{line}" for line in chunk
            )
        elif kind == 5:
            files[f"deploy/values{number}.yaml"] = "\n".join(f"# {_noise(rng, 50)}\n{line}" for line in chunk)
        elif kind == 6:
            files[f"env{number}/.env"] = "\n".join(chunk) + "\n"
        else:  # text with everything mixed, lines of every length
            files[f"docs/notes{number}.txt"] = "\n".join(
                _noise(rng, rng.choice([10, 500, 5000])) + " " + line for line in chunk
            )
    return files


@pytest.mark.parametrize("seed", [1, 2])
def test_windows_find_what_whole_text_scans_find(seed: int) -> None:
    files = _tree(random.Random(seed))
    reference = Detector(_catalogue(), use_hyperscan=False)
    fast = Detector(_catalogue(), use_hyperscan=True)
    found_reference: list[tuple[object, ...]] = []
    found_fast: list[tuple[object, ...]] = []
    for path, text in sorted(files.items()):
        document = Document(path=path, content=text.encode("utf-8", "surrogatepass"), reach=Reach.FILE)
        found_reference += [candidate_key(c) for c in reference.detect(document, DocumentStats())]
        found_fast += [candidate_key(c) for c in fast.detect(document, DocumentStats())]
    assert fast._prefilter.engine == "hyperscan"
    assert found_fast == found_reference
    # The tree is not empty of findings: every provider with examples is found somewhere in it.
    providers = {provider for _rule, provider, *_ in found_reference}
    assert len(providers) >= len(_catalogue().providers) // 2
