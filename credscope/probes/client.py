"""The one probe client: every live request of every provider goes through here, and through the guard.

Timeouts are always set; 429 (honouring a bounded Retry-After) and 5xx are retried with backoff inside the
request's time budget; each provider has its own concurrency and rate limit; redirects are never followed; the
User-Agent names credscope. AWS and database sessions (transport_aws, transport_sql) hang off the same session,
so they share its guard, limits and log.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from credscope import __version__
from credscope.catalogue import Catalogue, Provider
from credscope.probes.base import ProbeFailure
from credscope.probes.guard import Guard, GuardRefusal, HttpRead, parse_reads
from credscope.probes.log import LogEntry, ProbeLog
from credscope.probes.settings import ProbeSettings, SharedLimit

if TYPE_CHECKING:
    import httpx

    from credscope.probes.transport_aws import AwsSession
    from credscope.probes.transport_sql import SqlSession

_DECLARED = "credscope_declared_path"
MAX_ANSWER_BYTES = 8 * 2**20  # API answers a probe reads are small; anything bigger is not an answer
USER_AGENT = f"credscope/{__version__} (read-only credential scope check)"


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


@dataclass(frozen=True)
class Endpoint:
    """Where a provider's requests go: its first YAML host, or the override, which then is the only host."""

    origin: str  # scheme://host[:port]
    prefix: str  # path the override puts before every declared path
    overridden_by: str | None = None

    @classmethod
    def of(cls, provider: Provider, override: str | None, origin_name: str | None) -> Endpoint | None:
        if override:
            parts = urlsplit(override)
            return cls(f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/"), origin_name or "override")
        fixed = [host for host in provider.hosts if "*" not in host]
        return cls(f"https://{fixed[0]}", "") if fixed else None

    @property
    def host(self) -> str:
        return urlsplit(self.origin).netloc.lower()

    def url(self, path: str) -> str:
        # An override that already ends in the declared path (".../graphql/v2") is the endpoint itself.
        if self.prefix and not path.startswith(self.prefix):
            return f"{self.origin}{self.prefix}{path}"
        return f"{self.origin}{path}"


class _Throttle:
    """Per-provider limits: at most `concurrency` requests in flight, and starts spaced by 1/rate seconds."""

    def __init__(
        self, concurrency: int, rate_per_second: float, shared: SharedLimit | None = None, provider_id: str = ""
    ) -> None:
        self._slots = threading.BoundedSemaphore(max(1, concurrency))
        self._shared = shared  # entered inside this process's slot: limits shared with other processes
        self._provider_id = provider_id
        self._interval = 1.0 / rate_per_second if rate_per_second > 0 else 0.0
        self._lock = threading.Lock()
        self._next_start = 0.0

    @contextmanager
    def slot(self, deadline: float) -> Iterator[None]:
        if not self._slots.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise ProbeFailure("timeout: no request slot free for this provider within the time budget")
        try:
            with self._lock:
                now = time.monotonic()
                start = max(now, self._next_start)
                self._next_start = start + self._interval
            if start > now:
                time.sleep(min(start - now, max(0.0, deadline - now)))
            if self._shared is None:
                yield
            else:
                with self._shared.slot(self._provider_id, deadline):
                    yield
        finally:
            self._slots.release()


class ProbeClient:
    """Sessions per provider, built on first use; closing it closes every connection it opened."""

    def __init__(self, catalogue: Catalogue, settings: ProbeSettings, log: ProbeLog | None = None) -> None:
        self.catalogue = catalogue
        self.settings = settings
        self.log = log or ProbeLog()
        self._sessions: dict[str, ProviderSession] = {}
        self._lock = threading.Lock()

    def session(self, provider: Provider) -> ProviderSession:
        with self._lock:
            if provider.id not in self._sessions:
                self._sessions[provider.id] = ProviderSession(provider, self.settings, self.log)
            return self._sessions[provider.id]

    def overrides_used(self) -> tuple[str, ...]:
        with self._lock:
            sessions = list(self._sessions.values())
        return tuple(
            f"{s.provider.name}: live checks went to {s.endpoint.origin}{s.endpoint.prefix}"
            f" (endpoint override from {s.endpoint.overridden_by}), not the provider's own hosts"
            for s in sessions
            if s.endpoint is not None and s.endpoint.overridden_by is not None
        )

    def close(self) -> None:
        with self._lock:
            sessions = list(self._sessions.values())
        for session in sessions:
            session.close()

    def __enter__(self) -> ProbeClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


class ProviderSession:
    """One provider's guarded access to the outside world."""

    def __init__(self, provider: Provider, settings: ProbeSettings, log: ProbeLog) -> None:
        self.provider = provider
        self.settings = settings
        self.log = log
        override = settings.endpoints.get(provider.id)
        self.endpoint = Endpoint.of(provider, override, settings.endpoint_origins.get(provider.id))
        hosts = (self.endpoint.host,) if override and self.endpoint else provider.hosts
        self.guard = Guard(provider.id, parse_reads(provider.source, provider.reads), hosts, allow_http=bool(override))
        self.throttle = _Throttle(settings.concurrency, settings.rate_per_second, settings.shared_limit, provider.id)
        self._http: httpx.Client | None = None
        self._lock = threading.Lock()

    # -- HTTP ---------------------------------------------------------------------------------------------

    def get(self, path: str, headers: Mapping[str, str], params: Mapping[str, str] | None = None) -> Answer:
        return self._send("GET", path, headers, params, None, path)

    def head(self, path: str, headers: Mapping[str, str]) -> Answer:
        return self._send("HEAD", path, headers, None, None, path)

    def graphql(
        self,
        document: str,
        headers: Mapping[str, str],
        variables: Mapping[str, Any] | None = None,
        operation: str = "",
    ) -> Answer:
        """POST a GraphQL query to the provider's declared GraphQL endpoint (the guard parses it first)."""
        paths = [r.path.pattern for r in self.guard.reads if isinstance(r, HttpRead) and r.graphql]
        if not paths:
            raise GuardRefusal(f"{self.provider.id}: refused GraphQL: the provider declares no GraphQL endpoint")
        path = _literal(paths[0])
        payload: dict[str, Any] = {"query": document}
        if variables:
            payload["variables"] = dict(variables)
        body = json.dumps(payload).encode("utf-8")
        return self._send("POST", path, {**headers, "Content-Type": "application/json"}, None, body, operation or path)

    def _send(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str],
        params: Mapping[str, str] | None,
        body: bytes | None,
        target: str,
    ) -> Answer:
        import httpx  # noqa: PLC0415 - only with --verify

        if self.endpoint is None:
            raise ProbeFailure(f"{self.provider.name} has no fixed host to query; set {self._variable()}")
        url = self.endpoint.url(path)
        host = self.endpoint.host
        # The query string as httpx will append it, so the guard reads the parameters too.
        checked = f"{url}{'&' if '?' in url else '?'}{urlencode(list(params.items()))}" if params else url
        try:
            self.guard.check_http(method, checked, path, body, headers)
        except GuardRefusal:
            self._record(method, host, target, "refused")
            raise
        http = self._client()  # built before the clock starts: building it (TLS context) is not sending
        deadline = time.monotonic() + self.settings.timeout
        attempt = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ProbeFailure(f"timeout: no answer within {self.settings.timeout:g}s")
            try:
                with (
                    self.throttle.slot(deadline),
                    http.stream(
                        method,
                        url,
                        headers=dict(headers),
                        params=dict(params) if params else None,
                        content=body,
                        timeout=max(0.01, deadline - time.monotonic()),
                        extensions={_DECLARED: path},
                    ) as response,
                ):
                    content = self._bounded_body(response, deadline, method, host, target)
            except GuardRefusal:
                self._record(method, host, target, "refused")
                raise
            except httpx.TimeoutException:
                self._record(method, host, target, "timeout")
                raise ProbeFailure(f"timeout: no answer within {self.settings.timeout:g}s") from None
            except httpx.HTTPError as error:
                self._record(method, host, target, "network-error")
                raise ProbeFailure(f"network error: {type(error).__name__}") from None
            self._record(method, host, target, str(response.status_code))
            answer = Answer(response.status_code, {k.lower(): v for k, v in response.headers.items()}, content)
            wait = self._retry_wait(answer, attempt, deadline)
            if wait is None:
                return answer
            time.sleep(wait)
            attempt += 1

    def _bounded_body(self, response: httpx.Response, deadline: float, method: str, host: str, target: str) -> bytes:
        """The body, read only up to MAX_ANSWER_BYTES and the deadline: httpx's timeout is per read, so a server
        dripping bytes (or sending gigabytes) would otherwise hold the probe, and memory, without end."""
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > MAX_ANSWER_BYTES:
                self._record(method, host, target, "too-large")
                raise ProbeFailure(f"answer larger than {MAX_ANSWER_BYTES // 2**20} MiB: not read further")
            if time.monotonic() > deadline:
                self._record(method, host, target, "timeout")
                raise ProbeFailure(f"timeout: no complete answer within {self.settings.timeout:g}s")
            chunks.append(chunk)
        return b"".join(chunks)

    def _retry_wait(self, answer: Answer, attempt: int, deadline: float) -> float | None:
        """Seconds to wait before trying again, None to hand the answer back; raises when retrying is futile."""
        if answer.status != 429 and answer.status < 500:
            return None
        if answer.status == 429:
            wait = _retry_after(answer.headers.get("retry-after"), default=0.5 * 2**attempt)
            if wait > self.settings.max_retry_after:
                raise ProbeFailure(f"rate-limited (HTTP 429, Retry-After {wait:g}s is longer than credscope waits)")
            what = "rate-limited (HTTP 429)"
        else:
            wait = 0.25 * 2**attempt
            what = f"server error (HTTP {answer.status})"
        if attempt >= self.settings.max_retries or time.monotonic() + wait >= deadline:
            raise ProbeFailure(f"{what} after {attempt + 1} attempt(s)")
        return wait

    def _client(self) -> httpx.Client:
        import httpx  # noqa: PLC0415

        with self._lock:
            if self._http is None:
                self._http = httpx.Client(
                    timeout=httpx.Timeout(self.settings.timeout),
                    follow_redirects=False,
                    # No proxy or .netrc from the environment: nothing may add credentials or reroute them.
                    trust_env=False,
                    headers={"User-Agent": USER_AGENT},
                    event_hooks={"request": [self._check_request]},
                )
            return self._http

    def _check_request(self, request: httpx.Request) -> None:
        """The last check, on the request exactly as it is about to be sent (after any hook or redirect)."""
        declared = request.extensions.get(_DECLARED)
        if self.endpoint is None or not isinstance(declared, str):
            raise GuardRefusal(f"{self.provider.id}: refused a request that did not come through the probe client")
        if urlsplit(self.endpoint.url(declared)).path != request.url.path:
            raise GuardRefusal(f"{self.provider.id}: refused {request.url.path}: not the path that was checked")
        self.guard.check_http(request.method, str(request.url), declared, request.content or None, request.headers)

    # -- AWS and databases ------------------------------------------------------------------------------------

    def aws(
        self, access_key_id: str, secret_access_key: str, session_token: str | None = None, partition: str = "aws"
    ) -> AwsSession:
        from credscope.probes.transport_aws import AwsSession  # noqa: PLC0415

        return AwsSession(self, access_key_id, secret_access_key, session_token, partition)

    def sql(self, conninfo: str) -> SqlSession:
        from credscope.probes.transport_sql import SqlSession  # noqa: PLC0415

        return SqlSession(self, conninfo)

    # -- shared -------------------------------------------------------------------------------------------------

    def record(self, method: str, host: str, target: str, status: str) -> None:
        self._record(method, host, target, status)

    def _record(self, method: str, host: str, target: str, status: str) -> None:
        self.log.record(LogEntry(self.provider.id, method, host, target, status))

    def _variable(self) -> str:
        from credscope.probes.settings import endpoint_variable  # noqa: PLC0415

        return endpoint_variable(self.provider.id)

    def close(self) -> None:
        with self._lock:
            if self._http is not None:
                self._http.close()
                self._http = None


def _literal(pattern: str) -> str:
    """The path a GraphQL read declares, back from its compiled pattern (GraphQL paths have no parameters)."""
    return re.sub(r"\\(.)", r"\1", pattern.removeprefix("^").removesuffix("$"))


def _retry_after(value: str | None, default: float) -> float:
    if value is None:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime  # noqa: PLC0415

        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return default
