"""Signed links in the e-mails: one opens the guest's results, one unsubscribes; neither expires.

A link names the subscription and carries an HMAC of it under the server secret, so it cannot be made
up or pointed at another subscription. It stops working when the subscription is deleted.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid

RESULTS = "results"
UNSUBSCRIBE = "unsubscribe"


def _sig(secret: str, purpose: str, subscription_id: uuid.UUID) -> str:
    message = f"notify:{purpose}:{subscription_id}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def make_token(secret: str, purpose: str, subscription_id: uuid.UUID) -> str:
    return f"{subscription_id.hex}.{_sig(secret, purpose, subscription_id)}"


def read_token(secret: str, purpose: str, token: str) -> uuid.UUID | None:
    """The subscription a well-signed token names, else None."""
    head, _, sig = token.partition(".")
    if len(head) != 32 or len(sig) != 32:
        return None
    try:
        subscription_id = uuid.UUID(hex=head)
    except ValueError:
        return None
    return subscription_id if hmac.compare_digest(sig, _sig(secret, purpose, subscription_id)) else None


def results_url(base_url: str, secret: str, subscription_id: uuid.UUID) -> str:
    return f"{base_url.rstrip('/')}/n/{make_token(secret, RESULTS, subscription_id)}"


def unsubscribe_url(base_url: str, secret: str, subscription_id: uuid.UUID) -> str:
    return f"{base_url.rstrip('/')}/unsubscribe/{make_token(secret, UNSUBSCRIBE, subscription_id)}"
