"""Reading a guest's selfies in memory only: they are never written to disk, storage, database or logs.

Starlette's form parser spools file parts over 1 MB to a temporary file, so the search endpoint reads
the multipart body itself into bounded in-memory buffers, decodes them there, and lets them go.

A search may carry up to MAX_SELFIES ``selfie`` parts: several photos of the same person (a short
burst, or another angle). Each is bounded, and so is their sum, so one request never holds more than
MAX_SELFIES_TOTAL_BYTES of selfie, however it is split.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError
from python_multipart.multipart import MultipartParser, parse_options_header

from eventlens.errors import ApiError

if TYPE_CHECKING:
    from eventlens.faces.engine.base import FaceEngine

MAX_SELFIES = 3
MAX_SELFIE_BYTES = 15 * 1024 * 1024
MAX_SELFIES_TOTAL_BYTES = 30 * 1024 * 1024
MAX_SELFIE_PIXELS = 50_000_000
# A selfie needs no more than this for a good face crop; decoding smaller is faster and uses less memory.
ANALYSIS_SIDE = 800


class _SelfieParts:
    """Parser callbacks keeping only the ``field`` parts, in memory, each and all together bounded."""

    def __init__(self, field: str) -> None:
        self.field = field
        self.parts: list[bytearray] = []
        self.total = 0
        self._current: bytearray | None = None
        self._headers: dict[bytes, bytes] = {}
        self._name = bytearray()
        self._value = bytearray()

    def on_part_begin(self) -> None:
        self._headers = {}
        self._current = None

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
        if params.get(b"name", b"").decode("utf-8", "replace") != self.field:
            return
        if len(self.parts) == MAX_SELFIES:
            raise ApiError(
                422,
                "too_many_selfies",
                f"Send at most {MAX_SELFIES} selfies (photos of the same person) in one search.",
                [{"field": self.field, "message": f"at most {MAX_SELFIES} parts"}],
            )
        self._current = bytearray()
        self.parts.append(self._current)

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._current is None:
            return
        size = end - start
        if len(self._current) + size > MAX_SELFIE_BYTES:
            raise ApiError(413, "file_too_large", "A selfie is larger than 15 MB.")
        if self.total + size > MAX_SELFIES_TOTAL_BYTES:
            raise ApiError(413, "file_too_large", "The selfies together are larger than 30 MB.")
        self.total += size
        self._current += data[start:end]


async def read_selfies(content_type: str, body: AsyncIterator[bytes], field: str = "selfie") -> list[bytes]:
    """The bytes of each non-empty ``field`` part of a multipart body (1 to MAX_SELFIES), in memory."""
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
    # An empty part is what a form sends for a file input left empty: not a selfie, not an error.
    selfies = [bytes(p) for p in parts.parts if p]
    if not selfies:
        raise ApiError(422, "validation_error", "Send a photo in a part named 'selfie'.")
    return selfies


@dataclass(frozen=True)
class SelfieEmbeddings:
    embeddings: np.ndarray  # one row per selfie that showed a face
    skipped: list[int]  # positions of the selfies without a usable face


def embed_selfies(engine: FaceEngine, selfies: Sequence[bytes]) -> SelfieEmbeddings:
    """The largest face of each selfie, decoded one at a time (one image in memory at once).

    A selfie without a face is skipped when another has one: a blurred frame in a burst should not
    spoil the search. When none has a face the answer is 422 ``no_face_found``.
    """
    rows: list[np.ndarray] = []
    skipped: list[int] = []
    for i, data in enumerate(selfies):
        try:
            pixels = decode_selfie(data)
        except ApiError as exc:
            if len(selfies) > 1:
                exc.details = [{"field": "selfie", "index": i, "message": exc.message}]
            raise
        face = engine.embed_largest(pixels)
        del pixels
        if face is None:
            skipped.append(i)
        else:
            rows.append(np.asarray(face.embedding, dtype=np.float32))
    if not rows:
        raise ApiError(
            422,
            "no_face_found",
            "No face was found in the selfie. Try a brighter, closer photo, facing the camera.",
        )
    return SelfieEmbeddings(np.vstack(rows), skipped)


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
