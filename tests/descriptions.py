"""Where the tests find providers' API descriptions, which the repository does not hold.

The OpenAPI documents and Fly.io's GraphQL schema the probes were checked against are third-party files fetched
from the providers' public repositories; they are not committed. A test run reads them from
`$CREDSCOPE_API_DESCRIPTIONS` (default `~/.cache/credscope/api-descriptions`: `openapi/<provider>.openapi.json`,
`flyio/schema.graphql`). Where one is there, every fake checks each request and answer against it and the
description tests run; where it is not, the fakes answer their scenarios unchecked and the description tests are
skipped, saying which file is missing. Railway's schema is the copy in the project's research notes
(`../shared/research/railway-schema.graphql`), which every checkout has beside it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(os.environ.get("CREDSCOPE_API_DESCRIPTIONS", Path.home() / ".cache" / "credscope" / "api-descriptions"))
OPENAPI = ROOT / "openapi"
FLYIO_SCHEMA = ROOT / "flyio" / "schema.graphql"
RAILWAY_SCHEMA = Path(__file__).resolve().parent.parent.parent / "shared" / "research" / "railway-schema.graphql"


def require(path: Path) -> Path:
    """`path`, or skip the test that needs it, naming the file and where it comes from."""
    if not path.is_file():
        pytest.skip(f"{path} is not here: API descriptions are fetched, not committed (tests/descriptions.py)")
    return path


def require_module(path: Path) -> None:
    """Skip a whole test module whose fakes build their answers from the description at `path`."""
    if not path.is_file():
        pytest.skip(f"{path} is not here: API descriptions are fetched, not committed", allow_module_level=True)
