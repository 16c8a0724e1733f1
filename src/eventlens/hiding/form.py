"""Reading the removal form: ``selfie`` parts in memory only (as the search does) and ``confirm``."""

from __future__ import annotations

from collections.abc import AsyncIterator

from python_multipart.multipart import parse_options_header

from eventlens.errors import ApiError
from eventlens.guests.selfie import MAX_SELFIES, SelfieParts, feed_multipart
from eventlens.hiding.service import RemovalForm

MAX_TEXT = 64


class _FormParts(SelfieParts):
    """The selfie parts, and the ``confirm`` field beside them."""

    def __init__(self) -> None:
        super().__init__("selfie")
        self.confirm = bytearray()
        self._in_confirm = False

    def on_headers_finished(self) -> None:
        _disp, params = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._in_confirm = params.get(b"name", b"") == b"confirm"
        if not self._in_confirm:
            super().on_headers_finished()

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_confirm:
            if len(self.confirm) + end - start > MAX_TEXT:
                raise ApiError(413, "field_too_large", "The confirm field is longer than 64 bytes.")
            self.confirm += data[start:end]
            return
        super().on_part_data(data, start, end)


async def read_form(content_type: str, body: AsyncIterator[bytes]) -> RemovalForm:
    parts = _FormParts()
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
    return RemovalForm(selfies=selfies, confirm=bytes(parts.confirm).decode("utf-8", "replace"))
