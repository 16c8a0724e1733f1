"""What the FTP parts derive from Settings: the service token, addresses, the passive port list.

Kept free of database and web imports: the gateway (which may run on another host) uses it too.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from eventlens.config import Settings

# Addresses that mean "every interface": the gateway reaches a local API on loopback instead.
_WILDCARDS = frozenset({"", "0.0.0.0", "::", "[::]"})  # noqa: S104 (compared against, not bound)


def service_token(settings: Settings) -> str:
    """The credential the gateway sends to the API's internal routes.

    Unless configured, an HMAC of the server secret: a gateway and an API sharing a data dir (or
    ``SECRET_KEY``) agree on it without any setup, and it says nothing about the secret itself.
    """
    if settings.ftp_service_token is not None:
        return settings.ftp_service_token.get_secret_value()
    return hmac.new(settings.secret.encode(), b"eventlens/ftp-service-token/v1", hashlib.sha256).hexdigest()


def same_secret(sent: str, expected: str) -> bool:
    return hmac.compare_digest(sent.encode(), expected.encode())


def listen_host(settings: Settings) -> str:
    return settings.ftp_host or settings.host


def api_url(settings: Settings, host: str | None = None, port: int | None = None) -> str:
    """Where the gateway reaches the API: the setting, else this machine's HTTP address."""
    if settings.ftp_api_url:
        return settings.ftp_api_url.rstrip("/")
    host = host or settings.host
    if host in _WILDCARDS:
        host = "127.0.0.1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port or settings.port}"


def public_host(settings: Settings) -> str:
    """The host name photographers type into their cameras."""
    if settings.ftp_public_host:
        return settings.ftp_public_host
    return urlsplit(settings.base_url).hostname or "127.0.0.1"


def passive_ports(value: str) -> list[int] | None:
    """``"60000-60099"`` or ``"60000,60002"`` as a list of ports; empty means any free port (None)."""
    value = value.strip()
    if not value:
        return None
    ports: list[int] = []
    for part in value.split(","):
        first, sep, last = part.strip().partition("-")
        try:
            lo = int(first)
            hi = int(last) if sep else lo
        except ValueError:
            raise ValueError(f"passive ports: {part.strip()!r} is not a port or FIRST-LAST range") from None
        if not 1 <= lo <= hi <= 65535:
            raise ValueError(f"passive ports: {part.strip()!r} is not a range of ports 1-65535")
        ports.extend(range(lo, hi + 1))
    return ports
