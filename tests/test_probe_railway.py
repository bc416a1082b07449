"""Railway --verify against the GraphQL fake: account, workspace and project tokens told apart, reach listed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from servers.railway import RailwayFake

from credscope.api import ScanOptions, scan
from credscope.catalogue import Catalogue, builtin_provider_dir, load_provider
from credscope.model import Access, Credential, ScopeSource
from credscope.probes.settings import ProbeSettings

pytest.importorskip("httpx")


def _verify(tmp_path: Path, fake: RailwayFake, files: dict[str, str], log: Path | None = None) -> dict[str, Credential]:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    settings = ProbeSettings(
        timeout=5,
        endpoints={"railway": f"{fake.server.url}/graphql/v2"},
        endpoint_origins={"railway": "CREDSCOPE_RAILWAY_ENDPOINT"},
        probe_log=log,
    )
    # Only Railway's YAML: this test is about its probe, whatever happens to the rest of the catalogue.
    catalogue = Catalogue({"railway": load_provider(builtin_provider_dir() / "railway.yaml")})
    result = scan([tmp_path], ScanOptions(verify=settings), catalogue=catalogue)
    assert any("CREDSCOPE_RAILWAY_ENDPOINT" in note for note in result.notes)
    return {c.secret: c for c in result.credentials}


def test_account_token_is_admin_and_lists_what_it_can_delete(tmp_path: Path, railway_fake: RailwayFake) -> None:
    found = _verify(tmp_path, railway_fake, {"fix_domains.sh": f"RAILWAY_API_TOKEN={railway_fake.account}\n"})
    scope = found[railway_fake.account].scope
    assert scope.scope_source is ScopeSource.QUERIED
    assert scope.access is Access.ADMIN
    assert scope.destructive is True
    assert scope.identity["token"] == "account"
    assert scope.identity["user"] == "alice@example.invalid"
    assert "railway:volumeDelete pg-data (rentals)" in scope.destructive_actions
    assert "railway:projectDelete rentals" in scope.destructive_actions
    assert "railway:serviceDelete postgres (rentals)" in scope.destructive_actions
    # The Side workspace is VIEWER only: nothing of it is destructive.
    assert not any("blog" in action for action in scope.destructive_actions)
    assert "can delete volume pg-data in project rentals (production, staging)" in scope.evidence
    assert "workspace Side: VIEWER — read only" in scope.evidence
    assert (
        "volume pg-data is shared by production, staging: volumeDelete takes no environment and removes it, with its"
        " backups, from all of them" in scope.evidence
    )
    assert found[railway_fake.account].severity.value == "critical"


def test_workspace_token_reaches_one_workspace(tmp_path: Path, railway_fake: RailwayFake) -> None:
    found = _verify(tmp_path, railway_fake, {"ci.env": f"RAILWAY_API_TOKEN={railway_fake.workspace}\n"})
    scope = found[railway_fake.workspace].scope
    assert scope.access is Access.ADMIN
    assert scope.identity["token"] == "workspace"
    assert scope.identity["workspace"] == "Rentals Co"
    assert scope.evidence[0] == "Railway answered apiToken but not me: a workspace token"
    assert "railway:volumeDelete pg-data (rentals)" in scope.destructive_actions
    assert "can delete volume pg-data in project rentals (production, staging)" in scope.evidence


def test_project_token_is_bound_to_its_environment(tmp_path: Path, railway_fake: RailwayFake) -> None:
    found = _verify(tmp_path, railway_fake, {".env": f"RAILWAY_TOKEN={railway_fake.project}\n"})
    credential = found[railway_fake.project]
    assert credential.kind == "project-token"
    scope = credential.scope
    assert scope.access is Access.WRITE
    assert scope.destructive is True
    assert scope.identity == {**scope.identity, "token": "project", "project": "rentals", "environment": "production"}
    assert "can delete volume pg-data in project rentals (production)" in scope.evidence
    assert "railway:serviceDelete api (rentals, production)" in scope.destructive_actions
    assert not any("projectDelete" in action for action in scope.destructive_actions)
    # The project token was sent only in its own header, and the probe started with projectToken.
    first = railway_fake.server.requests[0]
    assert first.headers["project-access-token"] == railway_fake.project
    assert "authorization" not in first.headers


def test_revoked_token_is_none(tmp_path: Path, railway_fake: RailwayFake) -> None:
    found = _verify(tmp_path, railway_fake, {"deploy.sh": f"RAILWAY_API_TOKEN={railway_fake.revoked}\n"})
    scope = found[railway_fake.revoked].scope
    assert scope.access is Access.NONE
    assert scope.destructive is False
    assert scope.scope_source is ScopeSource.QUERIED
    assert scope.evidence[0].startswith("live check: Railway refused the token as account, workspace and project")
    assert found[railway_fake.revoked].severity.value == "info"


def test_only_queries_are_sent_and_never_variables(tmp_path: Path, railway_fake: RailwayFake) -> None:
    log = tmp_path / "probe.log"
    _verify(
        tmp_path,
        railway_fake,
        {
            "a.sh": f"RAILWAY_API_TOKEN={railway_fake.account}\n",
            "b.env": f"RAILWAY_TOKEN={railway_fake.project}\n",
            "c.sh": f"RAILWAY_API_TOKEN={railway_fake.workspace}\n",
        },
        log,
    )
    assert railway_fake.mutations == []
    requests = railway_fake.server.requests
    assert requests, "the fake saw no request"
    for request in requests:
        assert request.method == "POST"
        assert request.path == "/graphql/v2"
        assert request.headers["user-agent"].startswith("credscope/")
        document = json.loads(request.body)["query"]
        assert document.lstrip().startswith("query ")
        assert "variables" not in document and "decryptVariables" not in document
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(entries) == len(requests)
    assert {e["provider"] for e in entries} == {"railway"}
    assert {e["method"] for e in entries} == {"POST"}
    assert {e["status"] for e in entries} == {"200"}
    assert {"CredscopeMe", "CredscopeApiToken", "CredscopeProjectToken", "CredscopeWorkspace"} <= {
        e["target"] for e in entries
    }
    text = log.read_text()
    for secret in (railway_fake.account, railway_fake.project, railway_fake.workspace):
        assert secret not in text
