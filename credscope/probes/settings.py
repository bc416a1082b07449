"""What a live verification run may do: timeouts, limits, private hosts, endpoint overrides, the request log."""

from __future__ import annotations

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
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{origin}: {url!r} is not an http(s) URL with a host")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise UsageError(f"{origin}: the endpoint URL may carry no user, password, query or fragment")
