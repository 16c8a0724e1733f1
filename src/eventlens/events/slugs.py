"""Event slugs: short, readable, unique names used in guest links (``/e/{slug}``)."""

from __future__ import annotations

import re
import secrets
import unicodedata

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,58}[a-z0-9])$")
RESERVED = frozenset(
    {
        "api",
        "admin",
        "static",
        "new",
        "events",
        "e",
        "login",
        "logout",
        "signup",
        "tokens",
        "healthz",
        "readyz",
        "metrics",
        "account",
        "settings",
        "public",
        "www",
        "assets",
    }
)
_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no look-alikes (l/1, o/0) for links read aloud


def slugify(name: str, max_length: int = 54) -> str:
    """Lower-case ASCII words joined by hyphens ("Café Gala 2026" → "cafe-gala-2026")."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    slug = slug[:max_length].rstrip("-")
    return slug if len(slug) >= 3 else (f"event-{slug}" if slug else "event")


SUFFIX_LENGTH = 5  # 32**5: 33 million links per event name


def with_suffix(slug: str) -> str:
    """The slug with a short random suffix ("summer-gala-k7q2m"): guest links are not guessable."""
    return f"{slug[:54]}-{''.join(secrets.choice(_ALPHABET) for _ in range(SUFFIX_LENGTH))}"


def is_valid(slug: str) -> bool:
    return bool(SLUG_RE.match(slug)) and "--" not in slug and slug not in RESERVED
