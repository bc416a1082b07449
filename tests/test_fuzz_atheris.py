"""Coverage-guided fuzzing with atheris (libFuzzer) of the parsers and the detector, bounded for CI.

Run as a script it is the libFuzzer harness; the test starts it in a subprocess with a fixed number of runs and a
time cap, so a crash (an exception escaping, or a native fault such as libyaml's stack overflow) fails the test
with libFuzzer's report and the input that caused it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

# The document paths the harness chooses among, one per parser and store the fuzz input can reach.
_PATHS = (
    ".env",
    "a.json",
    "a.yaml",
    "a.toml",
    "a.cfg",
    "a.tf",
    "a.ipynb",
    "a.sh",
    "a.py",
    "a.js",
    "a.go",
    "a.rb",
    "a.java",
    ".cursor/mcp.json",
    ".continue/config.yaml",
    ".codex/config.toml",
    "kubeconfig",
    "notes.txt",
)


def _harness() -> None:  # pragma: no cover - runs in the subprocess
    import atheris

    with atheris.instrument_imports(include=["credscope"]):
        from credscope.catalogue import load_catalogue
        from credscope.detect.decode_sources import decoded_values
        from credscope.detect.decoding import decode_jwt_claims, decode_pypi_macaroon, parse_macaroon_v2
        from credscope.detect.engine import Detector
        from credscope.detect.parsers import parse_document
        from credscope.model import Document, Reach
        from credscope.sources.home import repo_store_for
        from credscope.sources.stores import parse_store

    detector = Detector(load_catalogue())

    def one_input(data: bytes) -> None:
        if not data:
            return
        path = _PATHS[data[0] % len(_PATHS)]
        content = data[1:]
        text = content.decode("utf-8", "surrogateescape")
        parsed = parse_document(path, text)
        if parsed is not None:
            decoded_values(parsed.assignments)
        parse_macaroon_v2(content)
        decode_pypi_macaroon("pypi-" + text)
        decode_jwt_claims(text)
        document = Document(path, content, Reach.TRACKED)
        store = repo_store_for(path)
        if store is not None:
            document = parse_store(document, store.store, store.parser, lambda _why: None)
        detector.detect(document)

    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


def test_atheris_finds_no_crash(tmp_path: Path) -> None:
    pytest.importorskip("atheris")  # in the test extra on Linux x86_64; elsewhere hypothesis covers the same code
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    # Seeds: one small valid document per format, so libFuzzer starts from structure rather than noise.
    seeds = [
        b'\x00A=1\nGITHUB_TOKEN="ghp_x"\n',
        # credscope: ignore-next-line (a fake fixture value)
        b'\x01{"auths": {"r": {"auth": "dXNlcjpwYXNz"}}, "a": [1, {"b": null}]}',
        b"\x02kind: Secret\ndata:\n  t: dG9rZW4=\nx: &a [1]\ny: *a\n",
        b'\x03[tool.x]\ntoken = "v"\n',
        b"\x04[default]\naws_secret_access_key = v\n",
        b'\x05provider "x" {\n  token = "v"\n}\n',
        b'\x06{"cells": [{"cell_type": "code", "source": ["t = 1"]}]}',
        b'\x0d{"mcpServers": {"s": {"env": {"K": "v"}}}}',
        b"\x0emodels:\n- title: m\n  apiKey: v\n",
        b"\x10apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n    token: v\ncurrent-context: c\n",
    ]
    for index, seed in enumerate(seeds):
        (corpus / f"seed-{index}").write_bytes(seed)
    result = subprocess.run(
        [
            sys.executable,
            __file__,
            "-runs=2500",
            "-max_total_time=25",
            "-max_len=4096",
            "-rss_limit_mb=2048",
            "-timeout=10",
            f"-artifact_prefix={tmp_path}/",
            str(corpus),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        cwd=tmp_path,
    )
    report = result.stderr[-4000:]
    assert result.returncode == 0, report
    assert "Done 2500 runs" in result.stderr or "max_total_time" in result.stderr, report
    assert not list(tmp_path.glob("crash-*")), report


if __name__ == "__main__":
    _harness()
