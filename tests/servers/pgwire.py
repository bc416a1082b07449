"""The PostgreSQL wire protocol seen from the middle, on 127.0.0.1: a relay that records every message a client
sends to the real server, and a fake server that asks for the password in cleartext and keeps what it gets."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass, field

# Requests a client may send before its startup message; the server answers each with one byte.
_SSL_REQUEST = 80877103
_GSSENC_REQUEST = 80877104


def client_messages(data: bytes) -> list[tuple[str, bytes]]:
    """The typed messages in what a client sent (after its startup packets): (type letter, body)."""
    position = 0
    while position + 8 <= len(data):
        length = int.from_bytes(data[position : position + 4], "big")
        code = int.from_bytes(data[position + 4 : position + 8], "big")
        position += length
        if code not in (_SSL_REQUEST, _GSSENC_REQUEST):
            break
    messages: list[tuple[str, bytes]] = []
    while position + 5 <= len(data):
        kind = chr(data[position])
        length = int.from_bytes(data[position + 1 : position + 5], "big")
        messages.append((kind, data[position + 5 : position + 1 + length]))
        position += 1 + length
    return messages


def statements(data: bytes) -> list[tuple[str, str]]:
    """SQL a client sent: ("simple", text) for a Query message, ("extended", text) for a Parse message."""
    found: list[tuple[str, str]] = []
    for kind, body in client_messages(data):
        if kind == "Q":
            found.append(("simple", body.rstrip(b"\0").decode()))
        elif kind == "P":
            found.append(("extended", body.split(b"\0")[1].decode()))
    return found


class _Listener:
    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(8)
        self.port = int(self.socket.getsockname()[1])
        self.lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._open: list[socket.socket] = []
        self._spawn(self._accept_loop)

    def _spawn(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        thread.start()
        self._threads.append(thread)

    def _accept_loop(self) -> None:
        while True:
            try:
                client, _ = self.socket.accept()
            except OSError:
                return
            with self.lock:
                self._open.append(client)
            self._spawn(self.handle, client)

    def handle(self, client: socket.socket) -> None:
        raise NotImplementedError

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.socket.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        self.socket.close()
        with self.lock:
            for opened in self._open:
                with contextlib.suppress(OSError):
                    opened.shutdown(socket.SHUT_RDWR)
                opened.close()
        for thread in self._threads:
            thread.join(timeout=5)


@dataclass
class _Sent:
    chunks: list[bytes] = field(default_factory=list)


class RecordingRelay(_Listener):
    """Forwards every connection to the real server at `upstream_port`; `sent()` is what clients sent it."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self._sent: list[_Sent] = []
        super().__init__()

    def handle(self, client: socket.socket) -> None:
        upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
        record = _Sent()
        with self.lock:
            self._open.append(upstream)
            self._sent.append(record)
        self._spawn(self._pump, upstream, client, None)
        self._pump(client, upstream, record)

    def _pump(self, source: socket.socket, target: socket.socket, record: _Sent | None) -> None:
        while True:
            try:
                chunk = source.recv(65536)
            except OSError:
                chunk = b""
            if not chunk:
                with contextlib.suppress(OSError):
                    target.shutdown(socket.SHUT_WR)
                return
            if record is not None:
                with self.lock:
                    record.chunks.append(chunk)
            try:
                target.sendall(chunk)
            except OSError:
                return

    def connections(self) -> int:
        with self.lock:
            return len(self._sent)

    def statements(self) -> list[tuple[str, str]]:
        """Every SQL statement any client sent through the relay, connection after connection."""
        with self.lock:
            sent = [b"".join(record.chunks) for record in self._sent]
        return [statement for data in sent for statement in statements(data)]


class CleartextAsker(_Listener):
    """A 'server' that answers every startup with AuthenticationCleartextPassword and records the reply."""

    def __init__(self) -> None:
        self._received: list[bytes] = []
        super().__init__()

    def handle(self, client: socket.socket) -> None:
        client.settimeout(10)
        received = bytearray()
        try:
            while True:
                header = _read(client, 8, received)
                length = int.from_bytes(header[:4], "big")
                code = int.from_bytes(header[4:], "big")
                if code in (_SSL_REQUEST, _GSSENC_REQUEST):
                    client.sendall(b"N")  # no TLS, no GSS encryption: plain text from here on
                    continue
                _read(client, length - 8, received)
                break
            client.sendall(b"R" + (8).to_bytes(4, "big") + (3).to_bytes(4, "big"))  # AuthenticationCleartextPassword
            while chunk := client.recv(65536):
                received.extend(chunk)
        except OSError:
            pass
        finally:
            with self.lock:
                self._received.append(bytes(received))
            client.close()

    def received(self, connections: int = 1) -> list[bytes]:
        """What each finished connection sent, once `connections` of them have ended (or after 10 s)."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with self.lock:
                if len(self._received) >= connections:
                    break
            time.sleep(0.01)
        with self.lock:
            return list(self._received)


def _read(client: socket.socket, size: int, received: bytearray) -> bytes:
    data = b""
    while len(data) < size:
        chunk = client.recv(size - len(data))
        if not chunk:
            raise OSError("closed")
        data += chunk
    received.extend(data)
    return data
