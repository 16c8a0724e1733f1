"""Links to an event that leave the server: the guest page (shared as a link and a QR code)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def guest_url(base_url: str, slug: str) -> str:
    return f"{base_url.rstrip('/')}/e/{slug}"


def is_loopback(base_url: str) -> bool:
    """True when links made from ``base_url`` open only on this computer (guests' phones cannot)."""
    host = (urlsplit(base_url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
