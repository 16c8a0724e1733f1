"""Opaque list cursors: the (created_at, id) of the last row of the previous page."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime

from eventlens.errors import Invalid


def encode_cursor(created_at: datetime, row_id: uuid.UUID) -> str:
    raw = f"{created_at.isoformat()}|{row_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    """The (created_at, id) a cursor from ``encode_cursor`` stands for; 422 for anything else."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor.encode() + b"=" * (-len(cursor) % 4)).decode()
        when, row_id = raw.split("|", 1)
        parsed = datetime.fromisoformat(when)
        if parsed.tzinfo is None:
            raise ValueError("cursor time without zone")
        return parsed, uuid.UUID(row_id)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise Invalid("cursor: not one this server gave out", field="cursor") from exc
