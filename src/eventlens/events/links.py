"""Links to an event that leave the server: the guest page (shared as a link and a QR code)."""

from __future__ import annotations


def guest_url(base_url: str, slug: str) -> str:
    return f"{base_url.rstrip('/')}/e/{slug}"
