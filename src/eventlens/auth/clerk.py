"""Clerk's user-lifecycle webhooks: Svix-signed messages, checked with the standardwebhooks library.

Svix signs ``{id}.{timestamp}.{body}`` with HMAC-SHA256 (the Standard Webhooks scheme, with ``svix-*``
header names); the library refuses timestamps more than 5 minutes off. Replays inside that window are
refused by the message ids the service remembers.
"""

from __future__ import annotations

import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from standardwebhooks.webhooks import EmptyWebhookSecretError, Webhook, WebhookVerificationError

from eventlens.errors import ApiError

MAX_BODY_BYTES = 256 * 1024
# Longer than the signature's tolerance both ways: an id older than this cannot come with a valid timestamp.
REMEMBER_IDS = timedelta(minutes=15)
HANDLED_TYPES = frozenset({"user.created", "user.updated", "user.deleted"})


@dataclass(frozen=True)
class ClerkUserEvent:
    message_id: str
    type: str
    user_id: str | None  # Clerk's user id: the ``sub`` of its tokens
    email: str | None = None
    name: str | None = None


def check_secret(secret: str) -> None:
    """Fail at start, not at the first delivery, on a secret that is not Clerk's ``whsec_...`` form."""
    try:
        Webhook(secret)
    except (binascii.Error, ValueError, RuntimeError, EmptyWebhookSecretError) as exc:
        raise ValueError(
            "EVENTLENS_CLERK_WEBHOOK_SECRET is not a webhook signing secret (whsec_...)"
        ) from exc


def _invalid(message: str) -> ApiError:
    return ApiError(400, "invalid_webhook", message)


def verify(secret: str, body: bytes, headers: Mapping[str, str]) -> ClerkUserEvent:
    """The event of a correctly signed, fresh message; 400 (malformed, stale) or 401 (signature)."""
    message_id = headers.get("svix-id", "")
    timestamp = headers.get("svix-timestamp", "")
    signature = headers.get("svix-signature", "")
    if not (message_id and timestamp and signature):
        raise _invalid("Missing the svix-id, svix-timestamp or svix-signature header.")
    if len(message_id) > 200 or len(signature) > 4000:
        raise _invalid("A svix header is too long.")
    try:
        text = body.decode()
    except UnicodeDecodeError as exc:
        raise _invalid("The body is not UTF-8 text.") from exc
    std = {"webhook-id": message_id, "webhook-timestamp": timestamp, "webhook-signature": signature}
    try:
        Webhook(secret).verify(text, std, json_parse=False)
    except WebhookVerificationError as exc:
        if "timestamp" in str(exc).lower() or "headers" in str(exc).lower():
            raise ApiError(
                400, "webhook_stale", f"The message's timestamp is not acceptable: {exc}."
            ) from exc
        raise ApiError(401, "invalid_signature", "The webhook signature does not match.") from exc
    except (ValueError, binascii.Error) as exc:  # a signature that is not "v1,<base64>"
        raise ApiError(401, "invalid_signature", "The webhook signature is malformed.") from exc
    return _parse(message_id, text)


def _parse(message_id: str, text: str) -> ClerkUserEvent:
    try:
        payload = json.loads(text)
    except ValueError as exc:
        raise _invalid("The body is not JSON.") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
        raise _invalid("The body has no event type.")
    kind: str = payload["type"]
    data = payload.get("data")
    if kind not in HANDLED_TYPES:
        return ClerkUserEvent(message_id, kind, None)
    if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not data["id"]:
        raise _invalid("The event's data has no user id.")
    return ClerkUserEvent(message_id, kind, data["id"], _primary_email(data), _name(data))


def _primary_email(data: dict[str, Any]) -> str | None:
    addresses = data.get("email_addresses")
    if not isinstance(addresses, list):
        return None
    primary = data.get("primary_email_address_id")
    found = [a for a in addresses if isinstance(a, dict) and isinstance(a.get("email_address"), str)]
    for a in found:
        if a.get("id") == primary:
            return str(a["email_address"])
    return str(found[0]["email_address"]) if found else None


def _name(data: dict[str, Any]) -> str | None:
    parts = [data.get("first_name"), data.get("last_name")]
    name = " ".join(p.strip() for p in parts if isinstance(p, str) and p.strip())
    username = data.get("username")
    return name or (username if isinstance(username, str) and username.strip() else None)
