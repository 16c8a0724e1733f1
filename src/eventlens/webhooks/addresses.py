"""Where a webhook may be sent: http(s) URLs whose host resolves only to public addresses.

A webhook URL is chosen by a user and fetched by the server, so without this check it could reach what
only the server can: its own loopback services, the private network, the cloud's metadata address
(169.254.169.254). The URL is checked when it is added and again at every try, since its name may
resolve elsewhere by then; the try then connects to the very address that was checked.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_URL_LENGTH = 2000
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeUrl(ValueError):
    """The URL may not receive webhooks; the message says why, in words for its owner."""


class Unresolvable(UnsafeUrl):
    """The host name has no address (now)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as written, without brackets
    port: int
    path: str  # path and query, at least "/"


def parse(url: str) -> Target:
    """The parts of an http(s) URL, or ``UnsafeUrl``."""
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeUrl(f"must be at most {MAX_URL_LENGTH} characters")
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise UnsafeUrl("must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrl("is not a valid URL") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeUrl("must start with http:// or https://")
    if not parts.hostname:
        raise UnsafeUrl("has no host name")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl("must not carry a user name or password")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme, parts.hostname, port or (443 if scheme == "https" else 80), path)


def is_public(ip: IpAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is loopback too
    return ip.is_global and not ip.is_multicast


def resolve(host: str, port: int) -> list[IpAddress]:
    """Every address the host name stands for (an IP literal stands for itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Unresolvable(f"its host name {host!r} does not resolve") from exc
    found: list[IpAddress] = []
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if ip not in found:
            found.append(ip)
    return found


def checked_address(target: Target, *, allow_private: bool) -> IpAddress:
    """The address to connect to: the host's first, when none of its addresses is private."""
    addresses = resolve(target.host, target.port)
    if not addresses:
        raise Unresolvable(f"its host name {target.host!r} does not resolve")
    if not allow_private:
        # All of them, not just the first: a name with one public and one private address would
        # otherwise reach the private one whenever the resolver's order changes.
        for ip in addresses:
            if not is_public(ip):
                raise UnsafeUrl(f"points at a private, loopback or link-local address ({ip})")
    return addresses[0]


def check_new_url(url: str, *, allow_private: bool) -> str:
    """Check a URL a user adds: http(s), and (unless allowed) no private address it resolves to now.

    A name that does not resolve yet is accepted (its DNS may come later); every try checks again.
    """
    target = parse(url)
    with contextlib.suppress(Unresolvable):
        checked_address(target, allow_private=allow_private)
    return url
