"""Every REST request a probe can send exists in its provider's own API description, as a pinned registry package
ships it (tests/data/api-descriptions.json, fetched by tests/fetch_descriptions.py; see tests/descriptions.py).

A probe sends only what its provider's YAML declares as reads (the guard refuses the rest before sending), so the
declared reads are the requests a probe can send: each must be a GET the description documents. The fields each
probe reads from the answers are checked against the same descriptions by tests/test_probe_verdicts.py, whose
fakes answer from them.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import tarfile
from pathlib import Path

import pytest
from descriptions import manifest, openapi_files
from fetch_descriptions import FetchError, fetch
from servers.openapi import description

from credscope.catalogue import builtin_provider_dir, load_provider

# The providers whose probes send REST requests; Cloudflare's and OpenAI's descriptions are in no registry package
# (the manifest says so), and their tests are skipped with that reason.
DESCRIBED = ["cloudflare", "datadog", "digitalocean", "github", "neon", "netlify", "openai", "twilio", "vercel"]
REGISTRIES = {"npm": "https://registry.npmjs.org/", "pypi": "https://files.pythonhosted.org/packages/"}


def test_the_manifest_names_every_described_provider_and_flyio() -> None:
    assert sorted(manifest()) == sorted([*DESCRIBED, "flyio"])
    assert sorted(name for name, entry in manifest().items() if "unavailable" in entry) == [
        "cloudflare",
        "flyio",
        "openai",
    ]


@pytest.mark.parametrize("name", sorted(n for n, e in manifest().items() if "unavailable" not in e))
def test_each_description_is_pinned_to_a_registry_archive(name: str) -> None:
    entry = manifest()[name]
    assert entry["archive"].startswith(REGISTRIES[entry["registry"]]), name
    assert entry["version"] in entry["archive"], name
    assert re.fullmatch(r"[0-9a-f]{64}", entry["archive_sha256"]), name
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", entry["pinned"]), name
    assert {"repository", "path"} <= set(entry["upstream"]), name
    for document in entry["documents"]:
        assert re.fullmatch(r"[0-9a-f]{64}", document["sha256"]), name
        assert document["file"].startswith("openapi/") and document["file"].endswith(".openapi.json"), name


@pytest.mark.parametrize("name", DESCRIBED)
def test_the_descriptions_here_are_the_pinned_ones(name: str) -> None:
    """The file a test reads was written from the manifest's pinned bytes: its stamp is the manifest's entry."""
    description(name)  # skipped, saying why, for a provider no registry package describes
    entry = manifest()[name]
    if "unavailable" in entry:
        pytest.skip(f"{name}: a copy put here by hand, pinned to no package")
    source = {key: value for key, value in entry.items() if key != "documents"}
    for path, document in zip(openapi_files(name), entry["documents"], strict=True):
        stamp = json.loads(path.read_text())["x-credscope-source"]
        assert stamp == {**source, "member": document["member"], "sha256": document["sha256"]}, path


@pytest.mark.parametrize("provider", DESCRIBED)
def test_every_declared_read_is_a_documented_operation(provider: str) -> None:
    spec = description(provider)
    reads = load_provider(builtin_provider_dir() / f"{provider}.yaml").reads
    assert reads
    for read in reads:
        method, path = read.split()[:2]
        assert method == "GET", read
        # A path parameter is one segment: send a sample value, as a probe would.
        concrete = re.sub(r"\{[^/]+\}", "sample", path)
        operation = spec.operation(method, concrete)
        assert operation is not None, f"{provider}: {read} is not in its API description"
        assert "200" in operation.spec.get("responses", {}), read


def _package(tmp_path: Path, files: dict[str, bytes]) -> tuple[str, str]:
    """An npm-like archive holding `files`, as a file:// URL, and its sha256."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    archive = tmp_path / "pkg-1.0.0.tgz"
    archive.write_bytes(buffer.getvalue())
    return archive.as_uri(), hashlib.sha256(buffer.getvalue()).hexdigest()


def _pinned(url: str, sha: str, member: str, data: bytes) -> dict[str, object]:
    document = {"member": member, "sha256": hashlib.sha256(data).hexdigest(), "file": "openapi/acme.openapi.json"}
    entry = {"registry": "npm", "package": "pkg", "version": "1.0.0", "archive": url, "archive_sha256": sha}
    return {"providers": {"acme": {**entry, "documents": [document]}, "gone": {"unavailable": "no package"}}}


def test_fetch_writes_the_pinned_document_once_and_yaml_as_json(tmp_path: Path) -> None:
    data = b"openapi: 3.0.3\npaths: {}\ninfo: {title: acme, version: 2024-01-05}\n"
    url, sha = _package(tmp_path, {"package/openapi.yaml": data})
    pinned = _pinned(url, sha, "package/openapi.yaml", data)
    said = fetch(pinned, tmp_path / "api")
    assert said == ["acme: openapi/acme.openapi.json from pkg 1.0.0", "gone: not fetched, no package"]
    written = json.loads((tmp_path / "api/openapi/acme.openapi.json").read_text())
    assert written["info"] == {"title": "acme", "version": "2024-01-05"}  # a date stays the text written
    assert written["x-credscope-source"]["sha256"] == hashlib.sha256(data).hexdigest()
    Path(url.removeprefix("file://")).unlink()  # a second run must not need the archive
    assert fetch(pinned, tmp_path / "api")[0] == "acme: openapi/acme.openapi.json is already the pinned one"


def test_fetch_refuses_an_archive_or_a_document_other_than_the_pinned_one(tmp_path: Path) -> None:
    data = b'{"openapi": "3.0.3", "paths": {}}'
    url, sha = _package(tmp_path, {"package/openapi.json": data})
    with pytest.raises(FetchError, match=r"pkg-1\.0\.0\.tgz has sha256 [0-9a-f]{64}, the manifest pins 0{64}$"):
        fetch(_pinned(url, "0" * 64, "package/openapi.json", data), tmp_path / "api")
    with pytest.raises(FetchError, match=r"^package/openapi\.json in .* has sha256 [0-9a-f]{64}, the manifest pins"):
        fetch(_pinned(url, sha, "package/openapi.json", b"other"), tmp_path / "api")
    with pytest.raises(FetchError, match=r"holds no file package/missing\.json$"):
        fetch(_pinned(url, sha, "package/missing.json", data), tmp_path / "api")
    assert not (tmp_path / "api/openapi/acme.openapi.json").exists()


def test_fetch_says_in_one_line_that_the_registry_cannot_be_reached(tmp_path: Path) -> None:
    # Port 9 (discard) on this machine's loopback: nothing listens, the connection is refused at once.
    pinned = _pinned("http://127.0.0.1:9/pkg-1.0.0.tgz", "0" * 64, "package/openapi.json", b"{}")
    with pytest.raises(FetchError) as raised:
        fetch(pinned, tmp_path / "api")
    assert str(raised.value).startswith("cannot download http://127.0.0.1:9/pkg-1.0.0.tgz: ")
    assert "\n" not in str(raised.value)


# The mapping, written out: a changed YAML or description shows here first.
MAPPED = {
    "cloudflare": [
        "GET /client/v4/accounts → /accounts",
        "GET /client/v4/accounts/{account_id}/tokens/verify → /accounts/{account_id}/tokens/verify",
        "GET /client/v4/accounts/{account_id}/tokens/{id} → /accounts/{account_id}/tokens/{token_id}",
        "GET /client/v4/user/tokens/verify → /user/tokens/verify",
        "GET /client/v4/user/tokens/{id} → /user/tokens/{token_id}",
    ],
    "datadog": [
        "GET /api/v1/validate → /api/v1/validate",
        "GET /api/v2/current_user/application_keys → /api/v2/current_user/application_keys",
        "GET /api/v2/users/{user_id}/permissions → /api/v2/users/{user_id}/permissions",
    ],
    "digitalocean": [
        "GET /v2/account → /v2/account",
        "GET /v2/databases → /v2/databases",
        "GET /v2/droplets → /v2/droplets",
        "GET /v2/projects → /v2/projects",
        "GET /v2/volumes → /v2/volumes",
    ],
    "github": [
        "GET /installation/repositories → /installation/repositories",
        "GET /user → /user",
        "GET /user/installations → /user/installations",
    ],
    "neon": [
        "GET /api/v2/auth → /auth",
        "GET /api/v2/organizations/{org_id}/members → /organizations/{org_id}/members",
        "GET /api/v2/projects → /projects",
        "GET /api/v2/users/me → /users/me",
        "GET /api/v2/users/me/organizations → /users/me/organizations",
    ],
    "netlify": [
        "GET /api/v1/accounts → /accounts",
        "GET /api/v1/sites → /sites",
        "GET /api/v1/user → /user",
    ],
    "openai": ["GET /v1/models → /models", "GET /v1/organization/projects → /organization/projects"],
    "twilio": [
        "GET /2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json → "
        "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json",
        "GET /2010-04-01/Accounts/{AccountSid}/Keys.json → /2010-04-01/Accounts/{AccountSid}/Keys.json",
    ],
    "vercel": [
        "GET /v2/teams → /v2/teams",
        "GET /v2/user → /v2/user",
        "GET /v5/user/tokens/current → /v5/user/tokens/{tokenId}",
    ],
}


@pytest.mark.parametrize("provider", DESCRIBED)
def test_declared_reads_map_to_the_expected_operations(provider: str) -> None:
    spec = description(provider)
    mapped = sorted(
        f"{read} → {spec.operation('GET', re.sub(r'{[^/]+}', 'sample', read.split()[1])).template}"  # type: ignore[union-attr]
        for read in load_provider(builtin_provider_dir() / f"{provider}.yaml").reads
    )
    assert mapped == MAPPED[provider]
