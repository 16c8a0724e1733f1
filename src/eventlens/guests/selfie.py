"""Reading a guest's selfie in memory only: it is never written to disk, storage, database or logs.

Starlette's form parser spools file parts over 1 MB to a temporary file, so the search endpoint reads
the multipart body itself into a bounded in-memory buffer, decodes it there, and lets it go.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError
from python_multipart.multipart import MultipartParser, parse_options_header

from eventlens.errors import ApiError

MAX_SELFIE_BYTES = 15 * 1024 * 1024
MAX_SELFIE_PIXELS = 50_000_000
# A selfie needs no more than this for a good face crop; decoding smaller is faster and uses less memory.
ANALYSIS_SIDE = 800


class _SelfieParts:
    """Parser callbacks keeping only the ``field`` part, in memory, up to MAX_SELFIE_BYTES."""

    def __init__(self, field: str) -> None:
        self.field = field
        self.data = bytearray()
        self.seen = False
        self._current = ""
        self._headers: dict[bytes, bytes] = {}
        self._name = bytearray()
        self._value = bytearray()

    def on_part_begin(self) -> None:
        self._headers = {}
        self._current = ""

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[bytes(self._name).lower()] = bytes(self._value)
        self._name.clear()
        self._value.clear()

    def on_headers_finished(self) -> None:
        _disp, params = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._current = params.get(b"name", b"").decode("utf-8", "replace")
        self.seen = self.seen or self._current == self.field

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._current == self.field:
            if len(self.data) + (end - start) > MAX_SELFIE_BYTES:
                raise ApiError(413, "file_too_large", "The selfie is larger than 15 MB.")
            self.data += data[start:end]


async def read_selfie(content_type: str, body: AsyncIterator[bytes], field: str = "selfie") -> bytes:
    """The bytes of the ``field`` part of a multipart body, held in memory (bounded)."""
    ctype, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary:
        raise ApiError(400, "bad_upload", "Send the selfie as multipart/form-data in a part named 'selfie'.")
    parts = _SelfieParts(field)
    names = (
        "on_part_begin",
        "on_header_field",
        "on_header_value",
        "on_header_end",
        "on_headers_finished",
        "on_part_data",
    )
    parser = MultipartParser(boundary, {n: getattr(parts, n) for n in names})  # type: ignore[arg-type]
    try:
        async for chunk in body:
            parser.write(chunk)
        parser.finalize()
    except ApiError:
        raise
    except Exception as exc:
        raise ApiError(400, "bad_upload", "The upload could not be read.") from exc
    if not parts.seen or not parts.data:
        raise ApiError(422, "validation_error", "Send a photo in a part named 'selfie'.")
    return bytes(parts.data)


def decode_selfie(data: bytes) -> np.ndarray:
    """RGB pixels of the selfie, upright, long side at most ANALYSIS_SIDE. Bad images are a clear 422."""
    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.width * im.height > MAX_SELFIE_PIXELS:
                raise ApiError(413, "too_many_pixels", "The selfie has too many pixels.")
            if im.format == "JPEG":
                im.draft("RGB", (ANALYSIS_SIDE, ANALYSIS_SIDE))
            upright = ImageOps.exif_transpose(im)
            rgb = upright.convert("RGB")
    except ApiError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ApiError(
            422, "invalid_image", "The selfie is not a photo we can read (JPEG, PNG, WebP or HEIC)."
        ) from exc
    rgb.thumbnail((ANALYSIS_SIDE, ANALYSIS_SIDE), Image.Resampling.BILINEAR)
    return np.asarray(rgb, dtype=np.uint8)
