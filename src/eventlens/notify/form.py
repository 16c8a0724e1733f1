"""Reading the subscription form: ``selfie`` parts in memory only (as the search does), plus two short
text fields, ``email`` and ``consent``, each bounded."""

from __future__ import annotations

from collections.abc import AsyncIterator

from eventlens.errors import ApiError
from eventlens.guests.selfie import SelfieParts, feed_multipart
from eventlens.notify.service import SubscribeForm

TEXT_FIELDS = ("email", "consent")
MAX_TEXT = 1024


async def read_form(content_type: str, body: AsyncIterator[bytes]) -> SubscribeForm:
    parts = SelfieParts(
        "selfie", dict.fromkeys(TEXT_FIELDS, MAX_TEXT), too_long="A form field is longer than 1 KB."
    )
    await feed_multipart(
        parts,
        content_type,
        body,
        expected="Send multipart/form-data with 'selfie', 'email' and 'consent'.",
        unreadable="The form could not be read.",
    )
    try:
        text = {k: bytes(v).decode("utf-8") for k, v in parts.text.items()}
    except UnicodeDecodeError:
        raise ApiError(400, "bad_upload", "Form fields must be UTF-8.") from None
    missing = [
        {"field": name, "message": "required"}
        for name in ("email", "consent")
        if not text.get(name, "").strip()
    ]
    selfies = [bytes(p) for p in parts.parts if p]
    if not selfies:
        missing.insert(0, {"field": "selfie", "message": "send 1 to 3 photos of yourself"})
    if missing:
        code = "consent_required" if [m["field"] for m in missing] == ["consent"] else "validation_error"
        raise ApiError(422, code, "Send a selfie, your e-mail address and consent=true.", missing)
    return SubscribeForm(selfies=selfies, email=text["email"], consent=text["consent"])
