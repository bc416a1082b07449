"""Where a database credential may be sent: public addresses only, unless private hosts are allowed."""

from __future__ import annotations

import ipaddress
import socket

from credscope.probes.base import ProbeFailure


def is_private(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_unspecified
        or ip.is_multicast
        or not ip.is_global
    )


def resolve_allowed(host: str, port: int, allow_private: bool) -> str:
    """The address to connect to: the host's first address, after checking every address it resolves to.

    Connecting to the checked address (not the name again) keeps a DNS answer that changes in between from
    steering the credential to a private address.
    """
    if host.startswith("/") or host.startswith("@"):
        if allow_private:
            return host
        raise ProbeFailure(f"refused: {host} is a local socket (use --allow-private-hosts to probe it)")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise ProbeFailure(f"network error: cannot resolve {host}: {error}") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise ProbeFailure(f"network error: {host} resolves to no address")
    private = [a for a in addresses if is_private(a)]
    if private and not allow_private:
        raise ProbeFailure(
            f"refused: {host} resolves to the private or loopback address {private[0]}"
            " (use --allow-private-hosts to probe it)"
        )
    return addresses[0]
