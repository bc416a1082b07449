"""A small threaded HTTP server on 127.0.0.1 that records every connection and request it receives."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes


Reply = tuple[int, Mapping[str, str], bytes]
Responder = Callable[[Received], Reply]


@dataclass
class Recorder:
    connections: int = 0
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class FakeServer:
    """Answers with `responder`; `url` is http://127.0.0.1:<port>. Use as a context manager."""

    def __init__(self, responder: Responder) -> None:
        self.responder = responder
        self.recorder = Recorder()
        recorder = self.recorder
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                received = Received(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                with recorder.lock:
                    recorder.requests.append(received)
                status, headers, payload = outer.responder(received)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = do_PATCH = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def verify_request(self, request: Any, client_address: Any) -> bool:
                with recorder.lock:
                    recorder.connections += 1
                return True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def requests(self) -> list[Received]:
        with self.recorder.lock:
            return list(self.recorder.requests)

    @property
    def connections(self) -> int:
        with self.recorder.lock:
            return self.recorder.connections

    def __enter__(self) -> FakeServer:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def json_reply(status: int, payload: bytes, **headers: str) -> Reply:
    return status, {"Content-Type": "application/json", **headers}, payload


@pytest.fixture
def fake_server() -> Iterator[Callable[[Responder], FakeServer]]:
    """Start fake servers inside a test; every one is stopped when the test ends."""
    started: list[FakeServer] = []

    def start(responder: Responder) -> FakeServer:
        server = FakeServer(responder).__enter__()
        started.append(server)
        return server

    yield start
    for server in started:
        server.__exit__()
