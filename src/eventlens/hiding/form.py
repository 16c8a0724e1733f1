"""Reading the removal form: ``selfie`` parts in memory only (as the search does) and ``confirm``."""

from __future__ import annotations

from collections.abc import AsyncIterator

from eventlens.errors import ApiError
from eventlens.guests.selfie import MAX_SELFIES, SelfieParts, feed_multipart
from eventlens.hiding.service import RemovalForm

MAX_TEXT = 64


async def read_form(content_type: str, body: AsyncIterator[bytes]) -> RemovalForm:
    parts = SelfieParts(
        "selfie", {"confirm": MAX_TEXT}, too_long=f"The confirm field is longer than {MAX_TEXT} bytes."
    )
    await feed_multipart(
        parts,
        content_type,
        body,
        expected="Send multipart/form-data with 'selfie' and 'confirm'.",
        unreadable="The form could not be read.",
    )
    selfies = [bytes(p) for p in parts.parts if p]
    if not selfies:
        raise ApiError(
            422,
            "validation_error",
            "Send a photo of yourself in a part named 'selfie'.",
            [{"field": "selfie", "message": f"send 1 to {MAX_SELFIES} photos of yourself"}],
        )
    confirm = bytes(parts.text.get("confirm", b"")).decode("utf-8", "replace")
    return RemovalForm(selfies=selfies, confirm=confirm)
