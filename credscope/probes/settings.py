"""What a live verification run may do: timeouts, limits, private hosts, endpoint overrides, the request log.

Endpoint overrides come only from the user (CREDSCOPE_<ID>_ENDPOINT, --config FILE, the user-level configuration;
never a repository's own configuration, see credscope/config.py), use https, or plain http to a loopback address
only, and are announced before anything is sent (`announcements`).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from credscope.errors import UsageError

_VARIABLE = re.compile(r"^CREDSCOPE_([A-Z0-9_]+)_ENDPOINT$")


if TYPE_CHECKING:
    from contextlib import AbstractContextManager


class SharedLimit(Protocol):
    """Per-provider limits shared beyond this process (`credscope org`: one for a whole Dask cluster)."""

    def slot(self, provider_id: str, deadline: float) -> AbstractContextManager[None]:
        """Held around each request, on top of the process's own limits; raises ProbeFailure past `deadline`."""
        ...


@dataclass(frozen=True)
class ProbeSettings:
    timeout: float = 10.0  # seconds per request, retries included
    allow_private_hosts: bool = False
    # provider id -> endpoint URL, from CREDSCOPE_<PROVIDER>_ENDPOINT or the config file
    endpoints: Mapping[str, str] = field(default_factory=dict)
    # where each endpoint came from, for the report: provider id -> "CREDSCOPE_RAILWAY_ENDPOINT"
    endpoint_origins: Mapping[str, str] = field(default_factory=dict)
    probe_log: Path | None = None
    max_retries: int = 2
    max_retry_after: float = 10.0  # a longer Retry-After is reported as rate-limited, not waited for
    concurrency: int = 2  # requests in flight per provider
    rate_per_second: float = 5.0  # request starts per provider
    workers: int = 8  # credentials probed at once
    shared_limit: SharedLimit | None = None  # limits shared with other processes; None: this process's only

    def __post_init__(self) -> None:
        if self.timeout <= 0:
            raise UsageError("--probe-timeout must be a positive number of seconds")
        # However the settings were built (CLI, Python API), no override leads to plain http beyond this machine.
        for provider_id, url in self.endpoints.items():
            check_endpoint(self.endpoint_origins.get(provider_id, f"endpoint override for {provider_id}"), url)

    def announcements(self) -> tuple[str, ...]:
        """One line per endpoint override, for stderr before any request: where each provider's credentials go."""
        return tuple(
            f"--verify sends {provider_id} credentials to {url} (endpoint override from"
            f" {self.endpoint_origins.get(provider_id, 'the caller')}), not to the provider's own hosts"
            for provider_id, url in sorted(self.endpoints.items())
        )


def endpoint_variable(provider_id: str) -> str:
    """CREDSCOPE_RAILWAY_ENDPOINT for railway, CREDSCOPE_PRIVATE_KEY_ENDPOINT for private-key."""
    return f"CREDSCOPE_{provider_id.upper().replace('-', '_')}_ENDPOINT"


def endpoints_from_environment(environ: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """Endpoint overrides set as CREDSCOPE_<PROVIDER>_ENDPOINT, validated; returns (endpoints, origins)."""
    endpoints: dict[str, str] = {}
    origins: dict[str, str] = {}
    for name, raw in sorted(environ.items()):
        found = _VARIABLE.match(name)
        value = raw.strip()
        if not found or not value:
            continue
        check_endpoint(name, value)
        provider_id = found.group(1).lower().replace("_", "-")
        endpoints[provider_id] = value
        origins[provider_id] = name
    return endpoints, origins


def from_command_line(
    environ: Mapping[str, str],
    timeout: float | None = None,
    allow_private_hosts: bool = False,
    probe_log: Path | None = None,
) -> ProbeSettings:
    endpoints, origins = endpoints_from_environment(environ)
    return ProbeSettings(
        timeout=ProbeSettings.timeout if timeout is None else timeout,
        allow_private_hosts=allow_private_hosts,
        endpoints=endpoints,
        endpoint_origins=origins,
        probe_log=probe_log,
    )


def check_endpoint(origin: str, url: str) -> None:
    """An override is an https URL, or an http one to a loopback address; the message never repeats the URL."""
    try:
        parts = urlsplit(url)
        hostname, _port = parts.hostname, parts.port
    except ValueError:
        raise UsageError(f"{origin}: the endpoint is not a well-formed URL") from None
    if parts.scheme not in ("http", "https") or not hostname:
        raise UsageError(f"{origin}: the endpoint is not an http(s) URL with a host")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise UsageError(f"{origin}: the endpoint URL may carry no user, password, query or fragment")
    if parts.scheme == "http" and not is_loopback(hostname):
        raise UsageError(
            f"{origin}: plain http only to a loopback address (127.0.0.0/8, ::1, localhost): credentials sent"
            " anywhere else travel over https"
        )


def is_loopback(hostname: str) -> bool:
    host = hostname.lower().rstrip(".")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
