"""The probe stage in the pipeline: offline means no socket at all; online, a provider that hangs, fails or
rate-limits gives `unknown` with the reason, within the timeout; the real CLI wires it all."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from servers.http import FakeServer, Received, Reply, Responder, json_reply
from servers.railway import RailwayFake

from credscope.api import ScanOptions, scan
from credscope.catalogue import Catalogue, builtin_provider_dir, load_provider
from credscope.model import Access, ScopeSource
from credscope.probes.settings import ProbeSettings, endpoints_from_environment

from helpers import run_cli, token

pytest.importorskip("httpx")
StartServer = Callable[[Responder], FakeServer]


def _catalogue(*ids: str) -> Catalogue:
    return Catalogue({p: load_provider(builtin_provider_dir() / f"{p}.yaml") for p in ids})


def _workspace(tmp_path: Path) -> Path:
    root = tmp_path / "work"
    root.mkdir()
    (root / "fix_domains.sh").write_text(f"RAILWAY_API_TOKEN={token('{{uuid4}}')}\n")
    (root / ".env").write_text(f"DATABASE_URL={token('{{postgres:admin@db.example.net:5432/rentals}}')}\n")
    (root / "gh.txt").write_text(f"GITHUB_TOKEN={token('{{github:ghp}}')}\n")
    (root / "credentials").write_text(
        f"[default]\naws_access_key_id = {token('{{aws:akia}}')}\naws_secret_access_key = {token('{{aws-secret}}')}\n"
    )
    return root


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Any attempt to open a connection or resolve a name is recorded and fails."""
    attempts: list[str] = []

    def refuse(what: str) -> Callable[..., object]:
        def refused(*args: object, **kwargs: object) -> object:
            attempts.append(what)
            raise OSError(f"test forbids {what}")

        return refused

    monkeypatch.setattr(socket.socket, "connect", refuse("socket.connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("socket.connect_ex"))
    monkeypatch.setattr(socket, "create_connection", refuse("socket.create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("socket.getaddrinfo"))
    yield attempts


def test_without_verify_no_socket_is_opened(tmp_path: Path, no_network: list[str]) -> None:
    root = _workspace(tmp_path)
    result = scan([root], ScanOptions(), catalogue=_catalogue("railway", "postgres", "github", "aws"))
    assert {c.provider for c in result.credentials} == {"railway", "postgres", "github", "aws"}
    assert all(c.scope.scope_source is ScopeSource.INFERRED for c in result.credentials)
    assert no_network == []


def test_the_no_network_fixture_does_catch_a_probe(tmp_path: Path, no_network: list[str]) -> None:
    """The same scan with --verify does try the network: so the test above could have failed."""
    root = _workspace(tmp_path)
    options = ScanOptions(verify=ProbeSettings(timeout=2))
    result = scan([root], options, catalogue=_catalogue("railway", "postgres", "github", "aws"))
    assert no_network, "the probes never tried to connect"
    assert {c.scope.access for c in result.credentials} == {Access.UNKNOWN}


def _railway_scan(tmp_path: Path, server: FakeServer, timeout: float) -> tuple[float, tuple[str, ...]]:
    root = tmp_path / "w"
    root.mkdir()
    (root / "deploy.sh").write_text(f"RAILWAY_API_TOKEN={token('{{uuid4}}')}\n")
    settings = ProbeSettings(timeout=timeout, endpoints={"railway": f"{server.url}/graphql/v2"})
    started = time.monotonic()
    result = scan([root], ScanOptions(verify=settings), catalogue=_catalogue("railway"))
    elapsed = time.monotonic() - started
    [credential] = result.credentials
    assert credential.scope.access is Access.UNKNOWN
    assert credential.scope.destructive is True  # what was inferred offline about destruction still stands
    return elapsed, credential.scope.evidence


@pytest.fixture
def hanging(fake_server: StartServer) -> Iterator[FakeServer]:
    release = threading.Event()

    def hang(_: Received) -> Reply:
        release.wait(30)
        return json_reply(200, b"{}")

    yield fake_server(hang)
    release.set()


def test_a_hanging_provider_is_unknown_within_the_timeout(tmp_path: Path, hanging: FakeServer) -> None:
    elapsed, evidence = _railway_scan(tmp_path, hanging, timeout=1.0)
    assert evidence[0] == "live check failed: timeout: no answer within 1s"
    assert elapsed < 8  # scanning included (on a busy machine); the probe itself gave up after one second


def test_a_failing_provider_is_unknown_after_bounded_retries(tmp_path: Path, fake_server: StartServer) -> None:
    server = fake_server(lambda _: json_reply(500, b'{"error": "boom"}'))
    elapsed, evidence = _railway_scan(tmp_path, server, timeout=3.0)
    assert evidence[0] == "live check failed: server error (HTTP 500) after 3 attempt(s)"
    assert len(server.requests) == 3
    assert elapsed < 6


def test_rate_limited_provider_with_a_long_retry_after_is_not_waited_for(
    tmp_path: Path, fake_server: StartServer
) -> None:
    server = fake_server(lambda _: json_reply(429, b"{}", **{"Retry-After": "3600"}))
    elapsed, evidence = _railway_scan(tmp_path, server, timeout=3.0)
    assert evidence[0] == "live check failed: rate-limited (HTTP 429, Retry-After 3600s is longer than credscope waits)"
    assert len(server.requests) == 1
    assert elapsed < 5


def test_a_short_retry_after_is_honoured(tmp_path: Path, fake_server: StartServer) -> None:
    calls: list[float] = []

    def limited_once(_: Received) -> Reply:
        calls.append(time.monotonic())
        if len(calls) == 1:
            return json_reply(429, b"{}", **{"Retry-After": "1"})
        return json_reply(200, b'{"data": null, "errors": [{"message": "Not Authorized"}]}')

    server = fake_server(limited_once)
    root = tmp_path / "w"
    root.mkdir()
    (root / "deploy.sh").write_text(f"RAILWAY_API_TOKEN={token('{{uuid4}}')}\n")
    settings = ProbeSettings(timeout=5, endpoints={"railway": f"{server.url}/graphql/v2"})
    [credential] = scan([root], ScanOptions(verify=settings), catalogue=_catalogue("railway")).credentials
    assert credential.scope.access is Access.NONE  # after the wait, Railway's answer settled it
    assert calls[1] - calls[0] >= 0.95


def test_endpoint_overrides_come_from_the_environment() -> None:
    endpoints, origins = endpoints_from_environment(
        {
            "CREDSCOPE_RAILWAY_ENDPOINT": "http://127.0.0.1:8080/graphql/v2",
            "CREDSCOPE_PRIVATE_KEY_ENDPOINT": " ",
            "HOME": "/x",
        }
    )
    assert endpoints == {"railway": "http://127.0.0.1:8080/graphql/v2"}
    assert origins == {"railway": "CREDSCOPE_RAILWAY_ENDPOINT"}


def test_cli_verify_with_an_endpoint_override(tmp_path: Path, railway_fake: RailwayFake) -> None:
    root = tmp_path / "w"
    root.mkdir()
    (root / "fix_domains.sh").write_text(f"RAILWAY_API_TOKEN={railway_fake.account}\n")
    log = tmp_path / "probe.jsonl"
    result = run_cli(
        "scan",
        str(root),
        "--verify",
        "--probe-log",
        str(log),
        "--probe-timeout",
        "5",
        "--format",
        "json",
        env={"CREDSCOPE_RAILWAY_ENDPOINT": f"{railway_fake.server.url}/graphql/v2", "HOME": str(tmp_path)},
    )
    assert result.exit_code == 1, result.stderr
    report = result.json()
    [finding] = [f for f in report["findings"] if f["provider"] == "railway"]  # type: ignore[union-attr]
    assert finding["access"] == "admin"
    assert finding["scope_source"] == "queried"
    assert "railway:volumeDelete pg-data (rentals)" in finding["destructive_actions"]
    assert any("CREDSCOPE_RAILWAY_ENDPOINT" in note for note in report["notes"])  # type: ignore[union-attr]
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert entries and {e["provider"] for e in entries} == {"railway"}
    assert railway_fake.account not in log.read_text()
    assert railway_fake.account not in result.stdout


def test_cli_probe_options_need_verify(tmp_path: Path) -> None:
    result = run_cli("scan", str(tmp_path), "--probe-log", str(tmp_path / "log"))
    assert result.exit_code == 2
    assert "needs --verify" in result.stderr


def test_per_provider_concurrency_and_rate_are_bounded(fake_server: StartServer) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from credscope.catalogue import Provider
    from credscope.probes.client import ProbeClient

    lock = threading.Lock()
    in_flight = [0, 0]  # now, most ever
    starts: list[float] = []

    def slow(_: Received) -> Reply:
        with lock:
            in_flight[0] += 1
            in_flight[1] = max(in_flight[1], in_flight[0])
            starts.append(time.monotonic())
        time.sleep(0.1)
        with lock:
            in_flight[0] -= 1
        return json_reply(200, b"{}")

    server = fake_server(slow)

    def run(concurrency: int, rate: float) -> None:
        provider = Provider(id="example", name="Example", source="x.yaml", rules=(), hosts=("h",), reads=("GET /user",))
        settings = ProbeSettings(
            timeout=10, endpoints={"example": server.url}, concurrency=concurrency, rate_per_second=rate
        )
        with ProbeClient(Catalogue({"example": provider}), settings) as client:
            session = client.session(provider)
            with ThreadPoolExecutor(max_workers=6) as pool:
                assert list(pool.map(lambda _: session.get("/user", {}).status, range(6))) == [200] * 6

    run(concurrency=2, rate=1000)
    assert in_flight[1] == 2
    starts.clear()
    in_flight[1] = 0
    run(concurrency=6, rate=10)
    # Six starts at ten per second span at least half a second, though six could run at once.
    assert max(starts) - min(starts) >= 0.45
