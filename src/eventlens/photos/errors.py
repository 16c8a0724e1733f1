"""Why an uploaded photo was refused: one exception per reason, each with a stable code and HTTP status.

These live apart from ``eventlens.errors.ApiError`` on purpose: the image layer is used by jobs and the
FTP gateway as well as the API, so it must not import the web framework. An endpoint turns one into the
API's error shape with ``ApiError(exc.status, exc.code, exc.message, exc.details)``.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CorruptImage",
    "DecodeTimeout",
    "EmptyFile",
    "IngestError",
    "TooLarge",
    "TooManyPixels",
    "UnsupportedType",
    "format_bytes",
]


class IngestError(Exception):
    """Base class: a file we refuse. ``code`` is stable (clients and tests match on it), ``message`` is
    for people, ``details`` carries the numbers behind the message."""

    status: int = 422
    code: str = "invalid_photo"

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class UnsupportedType(IngestError):
    """The content is not JPEG, PNG, WebP or HEIC/HEIF, whatever the file name says."""

    status = 415
    code = "unsupported_media_type"

    def __init__(self, detected: str | None = None) -> None:
        accepted = "Only JPEG, PNG, WebP and HEIC/HEIF photos are accepted"
        message = f"{accepted}; this file looks like {detected}." if detected else f"{accepted}."
        super().__init__(message, {"detected": detected})
        self.detected = detected


class TooManyPixels(IngestError):
    """The header declares more pixels than we are willing to decode (decompression-bomb guard)."""

    status = 413
    code = "too_many_pixels"

    def __init__(self, limit: int, pixels: int | None = None, format: str | None = None) -> None:
        limit_mp = _megapixels(limit)
        # Only formats that cannot be decoded at reduced scale have their own, lower cap (README: Memory).
        of = f" for {format} images (JPEG may be larger)" if format else ""
        if pixels is None:
            message = f"The image has too many pixels; the limit is {limit_mp} megapixels{of}."
        else:
            message = (
                f"The image is {_megapixels(pixels)} megapixels; the limit is {limit_mp} megapixels{of}."
            )
        super().__init__(message, {"limit": limit, "pixels": pixels, "format": format})
        self.limit = limit
        self.pixels = pixels


class DecodeTimeout(IngestError):
    """The process-wide decode memory stayed taken for too long (many big images at once); try again."""

    status = 503
    code = "busy"

    def __init__(self, waited: float) -> None:
        super().__init__(
            "The server is busy reading other images; try again in a moment.", {"waited": round(waited, 1)}
        )


class CorruptImage(IngestError):
    """Recognised as an image, but truncated, damaged or otherwise undecodable.

    ``reason`` is the decoder's own complaint, for logs; it is deliberately not in ``message``.
    """

    status = 422
    code = "corrupt_image"

    def __init__(self, reason: str | None = None) -> None:
        super().__init__("The image is damaged or incomplete and cannot be read.")
        self.reason = reason


class EmptyFile(IngestError):
    """Zero bytes."""

    status = 422
    code = "empty_file"

    def __init__(self) -> None:
        super().__init__("The file is empty.")


class TooLarge(IngestError):
    """More bytes than the upload limit."""

    status = 413
    code = "file_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(f"The file is larger than the {format_bytes(limit)} limit.", {"limit": limit})
        self.limit = limit


def _megapixels(pixels: int) -> str:
    # One decimal is enough to tell 24 MP from 24.2 MP; :g drops a useless ".0".
    return f"{round(pixels / 1_000_000, 1):g}"


def format_bytes(n: int) -> str:
    """``52428800`` → ``"50 MB"``. Whichever megabyte (2**20 or 10**6) divides the limit evenly is used, so
    a limit configured as "50 MB" reads back as 50 MB either way."""
    if n >= 10**6:
        mb = n / 10**6 if n % 10**6 == 0 and n % 2**20 else n / 2**20
        return f"{round(mb, 1):g} MB"
    return f"{round(n / 1024, 1):g} KB"
