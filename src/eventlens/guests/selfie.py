"""Reading a guest's selfies in memory only: they are never written to disk, storage, database or logs.

Starlette's form parser spools file parts over 1 MB to a temporary file, so the search endpoint reads
the multipart body itself into bounded in-memory buffers, decodes them there, and lets them go.

A search may carry up to MAX_SELFIES ``selfie`` parts: several photos of the same person (a short
burst, or another angle). Each is bounded, and so is their sum, so one request never holds more than
MAX_SELFIES_TOTAL_BYTES of selfie, however it is split.

Decoding is bounded too (README: Memory): the pixel count is read from the header first; a JPEG selfie
of up to MAX_SELFIE_PIXELS is decoded by libjpeg at reduced scale (a few MB), while PNG, WebP and HEIC,
which can only be decoded whole, are capped at MAX_SELFIE_DECODED_PIXELS (~64 MB at most). Every decode
holds its bytes from the process-wide decode budget, so ten hostile selfies at once wait their turn
instead of taking ten times the memory; after SELFIE_BUDGET_WAIT seconds the search answers 503.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from python_multipart.multipart import MultipartParser, parse_options_header

from eventlens.errors import ApiError
from eventlens.photos import imaging
from eventlens.photos.errors import DecodeTimeout, IngestError, TooManyPixels

if TYPE_CHECKING:
    from eventlens.faces.engine.base import FaceEngine

MAX_SELFIES = 3
MAX_SELFIE_BYTES = 15 * 1024 * 1024
MAX_SELFIES_TOTAL_BYTES = 30 * 1024 * 1024
MAX_SELFIE_PIXELS = 50_000_000  # JPEG, decoded at 1/2 to 1/8 scale
# PNG, WebP and HEIC selfies are decoded whole: 16 MP takes a phone's 12-MP photo and keeps one decode
# under ~64 MB (RGBA; 48 MB for RGB).
MAX_SELFIE_DECODED_PIXELS = 16_000_000
# How long a selfie waits for the decode budget before the search answers 503 (the guest retries).
SELFIE_BUDGET_WAIT = 10.0
# A selfie needs no more than this for a good face crop; decoding smaller is faster and uses less memory.
ANALYSIS_SIDE = 800


class SelfieParts:
    """Parser callbacks keeping only the ``field`` parts, in memory, each and all together bounded.

    ``text_fields`` (name → most bytes) are short fields beside the selfies (an e-mail, a consent),
    collected in ``text``; one longer than its bound is 413 ``field_too_large`` with ``too_long``.
    """

    def __init__(
        self,
        field: str,
        text_fields: Mapping[str, int] | None = None,
        too_long: str = "A form field is too long.",
    ) -> None:
        self.field = field
        self.parts: list[bytearray] = []
        self.total = 0
        self.text: dict[str, bytearray] = {}
        self._text_fields = dict(text_fields or {})
        self._too_long = too_long
        self._text: bytearray | None = None
        self._text_max = 0
        self._current: bytearray | None = None
        self._headers: dict[bytes, bytes] = {}
        self._name = bytearray()
        self._value = bytearray()

    def on_part_begin(self) -> None:
        self._headers = {}
        self._current = None
        self._text = None

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
        name = params.get(b"name", b"").decode("utf-8", "replace")
        if name in self._text_fields:
            self._text = self.text.setdefault(name, bytearray())
            self._text_max = self._text_fields[name]
            return
        if name != self.field:
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
        if self._text is not None:
            if len(self._text) + end - start > self._text_max:
                raise ApiError(413, "field_too_large", self._too_long)
            self._text += data[start:end]
            return
        if self._current is None:
            return
        size = end - start
        if len(self._current) + size > MAX_SELFIE_BYTES:
            raise ApiError(413, "file_too_large", "A selfie is larger than 15 MB.")
        if self.total + size > MAX_SELFIES_TOTAL_BYTES:
            raise ApiError(413, "file_too_large", "The selfies together are larger than 30 MB.")
        self.total += size
        self._current += data[start:end]


_CALLBACKS = (
    "on_part_begin",
    "on_header_field",
    "on_header_value",
    "on_header_end",
    "on_headers_finished",
    "on_part_data",
)


async def feed_multipart(
    parts: object, content_type: str, body: AsyncIterator[bytes], *, expected: str, unreadable: str
) -> None:
    """Stream ``body`` through the multipart parser into ``parts``' callbacks (the guest forms' one
    reader). 400 ``bad_upload`` with ``expected`` when it is not multipart/form-data, ``unreadable``
    when it cannot be parsed; an ApiError raised by a callback (a size cap) passes through."""
    ctype, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary:
        raise ApiError(400, "bad_upload", expected)
    parser = MultipartParser(boundary, {n: getattr(parts, n) for n in _CALLBACKS})  # type: ignore[arg-type]
    try:
        async for chunk in body:
            parser.write(chunk)
        parser.finalize()
    except ApiError:
        raise
    except Exception as exc:
        raise ApiError(400, "bad_upload", unreadable) from exc


async def read_selfies(content_type: str, body: AsyncIterator[bytes], field: str = "selfie") -> list[bytes]:
    """The bytes of each non-empty ``field`` part of a multipart body (1 to MAX_SELFIES), in memory."""
    parts = SelfieParts(field)
    await feed_multipart(
        parts,
        content_type,
        body,
        expected="Send the selfie as multipart/form-data in a part named 'selfie'.",
        unreadable="The upload could not be read.",
    )
    # An empty part is what a form sends for a file input left empty: not a selfie, not an error.
    selfies = [bytes(p) for p in parts.parts if p]
    if not selfies:
        raise ApiError(422, "validation_error", "Send a photo in a part named 'selfie'.")
    return selfies


@dataclass(frozen=True)
class SelfieEmbeddings:
    embeddings: np.ndarray  # one row per selfie that showed a face
    skipped: list[int]  # positions of the selfies without a usable face


NO_FACE_MESSAGE = "No face was found in the selfie. Try a brighter, closer photo, facing the camera."


def decode_each(selfies: Sequence[bytes]) -> Iterator[np.ndarray]:
    """Each selfie's pixels (``decode_selfie``), decoded only when the previous one has been used.

    With several selfies a refused one names its position in the error's details.
    """
    for i, data in enumerate(selfies):
        try:
            pixels = decode_selfie(data)
        except ApiError as exc:
            if len(selfies) > 1:
                exc.details = [{"field": "selfie", "index": i, "message": exc.message}]
            raise
        yield pixels
        del pixels


def embed_selfies(engine: FaceEngine, selfies: Sequence[bytes]) -> SelfieEmbeddings:
    """The largest face of each selfie, decoded one at a time (one image in memory at once).

    A selfie without a face is skipped when another has one: a blurred frame in a burst should not
    spoil the search. When none has a face the answer is 422 ``no_face_found``.
    """
    rows: list[np.ndarray] = []
    skipped: list[int] = []
    for i, pixels in enumerate(decode_each(selfies)):
        face = engine.embed_largest(pixels)
        del pixels
        if face is None:
            skipped.append(i)
        else:
            rows.append(np.asarray(face.embedding, dtype=np.float32))
    if not rows:
        raise ApiError(422, "no_face_found", NO_FACE_MESSAGE)
    return SelfieEmbeddings(np.vstack(rows), skipped)


def decode_selfie(data: bytes) -> np.ndarray:
    """RGB pixels of the selfie, upright, long side at most ANALYSIS_SIDE.

    Too many pixels is 413 ``too_many_pixels``, a file that is not a readable JPEG, PNG, WebP or HEIC
    is 422 ``invalid_image``, and no decode memory free within SELFIE_BUDGET_WAIT is 503 ``busy``.
    """
    try:
        analysed = imaging.load_for_analysis(
            data,
            ANALYSIS_SIDE,
            max_pixels=MAX_SELFIE_PIXELS,
            non_jpeg_max_pixels=MAX_SELFIE_DECODED_PIXELS,
            wait=SELFIE_BUDGET_WAIT,
        )
    except TooManyPixels as exc:
        raise ApiError(413, "too_many_pixels", f"The selfie has too many pixels. {exc.message}") from exc
    except DecodeTimeout as exc:
        raise ApiError(503, exc.code, exc.message, headers={"Retry-After": "5"}) from exc
    except IngestError as exc:
        raise ApiError(
            422, "invalid_image", "The selfie is not a photo we can read (JPEG, PNG, WebP or HEIC)."
        ) from exc
    return np.asarray(analysed.image, dtype=np.uint8)
