"""Probe faults, through the real probe client and the GitHub probe, against local servers: timeouts, resets,
TLS spoken to a plain-HTTP server, 429 with Retry-After, 5xx, malformed JSON, huge and dripping answers, and
redirects to another host. Each gives `unknown` with the reason in the evidence, within the time limit, and the
probe log says what happened; a redirect is never followed, so the other host sees no connection at all.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from email.utils import formatdate
from pathlib import Path

import pytest
from servers.http import FakeServer, Received, Reply, Responder, json_reply

from credscope.catalogue import Catalogue, builtin_provider_dir, load_provider
from credscope.model import Access, Credential, Location, Reach, ScopeSource, fingerprint_of
from credscope.probes.client import MAX_ANSWER_BYTES
from credscope.probes.runner import verify
from credscope.probes.settings import ProbeSettings
from credscope.scope.infer import assess
from credscope.scope.registry import builtin_inferences

from helpers import token

pytest.importorskip("httpx")
StartServer = Callable[[Responder], FakeServer]
TIMEOUT = 1.5
# The probe's own budget plus room for a busy shared machine; the probe itself stops at TIMEOUT.
BOUND = TIMEOUT + 3


def _catalogue() -> Catalogue:
    return Catalogue({"github": load_provider(builtin_provider_dir() / "github.yaml")})


def _credential() -> Credential:
    secret = token("{{github:ghp}}")
    location = Location("deploy.sh", 1, 1, Reach.TRACKED, context={"name": "GITHUB_TOKEN"})
    found = Credential(
        fingerprint_of(secret), "github", "personal-access-token", "github-pat-classic", secret, (location,)
    )
    return assess(found, _catalogue(), builtin_inferences())


def _probe(url: str, tmp_path: Path, timeout: float = TIMEOUT) -> tuple[Credential, float, list[dict[str, str]]]:
    log = tmp_path / "probe.jsonl"
    settings = ProbeSettings(timeout=timeout, endpoints={"github": url}, probe_log=log)
    credential = _credential()
    started = time.monotonic()
    [probed], _ = verify([credential], _catalogue(), settings)
    elapsed = time.monotonic() - started
    entries = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    assert credential.secret not in log.read_text() if log.exists() else True
    return probed, elapsed, entries


def _unknown(credential: Credential) -> str:
    """The reason of an `unknown` live check; what was inferred offline stays behind it."""
    assert credential.scope.access is Access.UNKNOWN
    assert credential.scope.scope_source is ScopeSource.INFERRED
    first = credential.scope.evidence[0]
    assert first.startswith("live check failed: ")
    assert credential.scope.evidence[1:] == _credential().scope.evidence
    return first.removeprefix("live check failed: ")


def _statuses(entries: list[dict[str, str]]) -> list[str]:
    return [entry["status"] for entry in entries]


# --- raw socket servers for faults an HTTP server library cannot produce ------------------------------------------


class RawServer:
    """Accepts on 127.0.0.1 and hands each connection to `handle`; counts connections; stopped by the fixture."""

    def __init__(self, handle: Callable[[socket.socket], None]) -> None:
        self.handle = handle
        self.connections = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}"

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._one, args=(connection,), daemon=True).start()

    def _one(self, connection: socket.socket) -> None:
        with connection:
            try:
                _read_request(connection)
                self.handle(connection)
            except OSError:
                pass

    def stop(self) -> None:
        self.stopping.set()
        self.listener.close()
        self.thread.join(timeout=5)


def _read_request(connection: socket.socket) -> bytes:
    connection.settimeout(5)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


@pytest.fixture
def raw_server() -> Iterator[Callable[[Callable[[socket.socket], None]], RawServer]]:
    started: list[RawServer] = []
    stop = threading.Event()

    def start(handle: Callable[[socket.socket], None]) -> RawServer:
        server = RawServer(handle)
        server.stopping = stop
        started.append(server)
        return server

    yield start
    stop.set()
    for server in started:
        server.stop()


def test_no_answer_is_a_timeout(tmp_path: Path, raw_server: Callable[..., RawServer]) -> None:
    server = raw_server(lambda connection: server.stopping.wait(30))
    probed, elapsed, entries = _probe(server.url, tmp_path)
    assert _unknown(probed) == f"timeout: no answer within {TIMEOUT:g}s"
    assert _statuses(entries) == ["timeout"]
    assert elapsed < BOUND


def test_a_dripping_answer_is_cut_at_the_deadline(tmp_path: Path, raw_server: Callable[..., RawServer]) -> None:
    # One byte every 0.2 s of a 1000-byte body: each read beats httpx's per-read timeout, so only a deadline on
    # the whole answer ends it. Regression: the probe waited for all of it (about 200 s).
    def drip(connection: socket.socket) -> None:
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
        while not server.stopping.wait(0.2):
            connection.sendall(b" ")

    server = raw_server(drip)
    probed, elapsed, entries = _probe(server.url, tmp_path)
    assert _unknown(probed) == f"timeout: no complete answer within {TIMEOUT:g}s"
    assert _statuses(entries) == ["timeout"]
    assert elapsed < BOUND


def test_a_connection_reset_is_a_network_error(tmp_path: Path, raw_server: Callable[..., RawServer]) -> None:
    def reset(connection: socket.socket) -> None:
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close sends RST

    server = raw_server(reset)
    probed, elapsed, entries = _probe(server.url, tmp_path)
    assert _unknown(probed) in ("network error: ReadError", "network error: RemoteProtocolError")
    assert _statuses(entries) == ["network-error"]
    assert server.connections == 1  # not retried: a reset is not a 5xx
    assert elapsed < BOUND


def test_a_connection_closed_without_an_answer(tmp_path: Path, raw_server: Callable[..., RawServer]) -> None:
    server = raw_server(lambda connection: None)
    probed, _, entries = _probe(server.url, tmp_path)
    assert _unknown(probed) == "network error: RemoteProtocolError"
    assert _statuses(entries) == ["network-error"]


def test_nothing_listening_is_a_network_error(tmp_path: Path) -> None:
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]
    probed, elapsed, entries = _probe(f"http://127.0.0.1:{port}", tmp_path)
    assert _unknown(probed) == "network error: ConnectError"
    assert _statuses(entries) == ["network-error"]
    assert elapsed < BOUND


def test_tls_spoken_to_a_plain_http_server(tmp_path: Path, fake_server: StartServer) -> None:
    server = fake_server(lambda _: json_reply(200, b'{"login": "octo"}'))
    probed, elapsed, entries = _probe(server.url.replace("http://", "https://"), tmp_path)
    assert _unknown(probed) == "network error: ConnectError"
    assert _statuses(entries) == ["network-error"]
    assert server.requests == []  # the handshake failed: no request, no credential, was ever sent
    assert elapsed < BOUND


def test_429_with_a_retry_after_date_beyond_the_wait_limit(tmp_path: Path, fake_server: StartServer) -> None:
    later = formatdate(time.time() + 3600, usegmt=True)
    server = fake_server(lambda _: json_reply(429, b'{"message": "slow down"}', **{"Retry-After": later}))
    probed, elapsed, entries = _probe(server.url, tmp_path)
    reason = _unknown(probed)
    assert reason.startswith("rate-limited (HTTP 429, Retry-After 3")
    assert reason.endswith("s is longer than credscope waits)")
    assert len(server.requests) == 1
    assert _statuses(entries) == ["429"]
    assert elapsed < BOUND


def test_429_again_and_again_with_short_waits(tmp_path: Path, fake_server: StartServer) -> None:
    server = fake_server(lambda _: json_reply(429, b"{}", **{"Retry-After": "0"}))
    probed, elapsed, entries = _probe(server.url, tmp_path)
    assert _unknown(probed) == "rate-limited (HTTP 429) after 3 attempt(s)"
    assert _statuses(entries) == ["429", "429", "429"]
    assert elapsed < BOUND


def test_5xx_is_retried_then_unknown(tmp_path: Path, fake_server: StartServer) -> None:
    server = fake_server(lambda _: (502, {"Content-Type": "text/html"}, b"<html>Bad gateway</html>"))
    probed, elapsed, entries = _probe(server.url, tmp_path, timeout=3.0)
    assert _unknown(probed) == "server error (HTTP 502) after 3 attempt(s)"
    assert _statuses(entries) == ["502", "502", "502"]
    assert elapsed < 3.0 + 3


def test_a_5xx_then_an_answer_is_the_answer(tmp_path: Path, fake_server: StartServer) -> None:
    replies = iter([json_reply(503, b"{}"), json_reply(200, b'{"login": "octo"}', **{"X-OAuth-Scopes": "repo"})])
    server = fake_server(lambda _: next(replies))
    probed, _, entries = _probe(server.url, tmp_path)
    assert probed.scope.scope_source is ScopeSource.QUERIED
    assert probed.scope.access is Access.WRITE
    assert probed.scope.identity["user"] == "octo"
    assert _statuses(entries) == ["503", "200"]


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2, 3]", b"", b"\xff\xfe\x00garbage", b'"a string"'])
def test_malformed_json(tmp_path: Path, fake_server: StartServer, body: bytes) -> None:
    server = fake_server(lambda _: (200, {"Content-Type": "application/json", "X-OAuth-Scopes": "repo"}, body))
    probed, _, entries = _probe(server.url, tmp_path)
    assert _unknown(probed) == "GET /user: the answer (HTTP 200) is not a JSON object"
    assert _statuses(entries) == ["200"]


def test_a_huge_answer_is_not_read_whole(tmp_path: Path, fake_server: StartServer) -> None:
    huge = b'{"login": "' + b"x" * (MAX_ANSWER_BYTES + 1024) + b'"}'
    server = fake_server(lambda _: json_reply(200, huge, **{"X-OAuth-Scopes": "repo"}))
    probed, elapsed, entries = _probe(server.url, tmp_path, timeout=5.0)
    assert _unknown(probed) == f"answer larger than {MAX_ANSWER_BYTES // 2**20} MiB: not read further"
    assert _statuses(entries) == ["too-large"]
    assert elapsed < 5.0 + 3


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_to_another_host_is_never_followed(tmp_path: Path, fake_server: StartServer, status: int) -> None:
    elsewhere = fake_server(lambda _: json_reply(200, b'{"login": "thief"}', **{"X-OAuth-Scopes": "admin:org"}))
    target = elsewhere.url.replace("127.0.0.1", "localhost") + "/user"
    server = fake_server(lambda _: (status, {"Location": target}, b""))
    probed, _, entries = _probe(server.url, tmp_path)
    assert _unknown(probed) == (f"GET /user: redirected (HTTP {status}) to {target}; not followed with the credential")
    assert _statuses(entries) == [str(status)]
    assert _never_contacted(elsewhere)
    assert len(server.requests) == 1


def _never_contacted(elsewhere: FakeServer) -> bool:
    """The other host never saw a connection, so it never saw the token."""
    return elsewhere.connections == 0 and elsewhere.requests == []


def test_a_redirect_on_the_same_host_is_not_followed_either(tmp_path: Path, fake_server: StartServer) -> None:
    def respond(received: Received) -> Reply:
        if received.path == "/user":
            return 302, {"Location": "/admin/steal"}, b""
        return json_reply(200, b'{"login": "thief"}')

    server = fake_server(respond)
    probed, _, _ = _probe(server.url, tmp_path)
    assert _unknown(probed) == "GET /user: redirected (HTTP 302) to /admin/steal; not followed with the credential"
    assert [r.path for r in server.requests] == ["/user"]
