"""Guest access to a published event: the access code, and short-lived guest passes for image URLs.

Browsers load images with plain GETs that cannot carry the access code header, so after a guest
proves the code (by searching) the answer's URLs carry a pass: an HMAC of the event id and an expiry.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid

from eventlens.auth import passwords
from eventlens.errors import Forbidden
from eventlens.models import Event

PASS_SECONDS = 24 * 3600


def make_pass(secret: str, event_id: uuid.UUID, now: float | None = None) -> str:
    expires = int((now or time.time()) + PASS_SECONDS)
    sig = hmac.new(secret.encode(), f"guest:{event_id}:{expires}".encode(), hashlib.sha256).hexdigest()[:32]
    return f"{expires}.{sig}"


def pass_ok(secret: str, event_id: uuid.UUID, token: str | None, now: float | None = None) -> bool:
    if not token or "." not in token:
        return False
    expires, sig = token.split(".", 1)
    if not expires.isdigit() or int(expires) < (now or time.time()):
        return False
    good = hmac.new(secret.encode(), f"guest:{event_id}:{expires}".encode(), hashlib.sha256).hexdigest()[:32]
    return hmac.compare_digest(sig, good)


def require_access(event: Event, *, code: str | None, token: str | None, secret: str) -> None:
    """Pass when the event has no code, the code is right, or a valid guest pass is shown."""
    if event.access_code_hash is None or pass_ok(secret, event.id, token):
        return
    if not code:
        raise Forbidden("This event needs its access code (header X-Access-Code).", "access_code_required")
    if not passwords.verify_password(event.access_code_hash, code):
        raise Forbidden("That access code is not right.", "access_code_invalid")
