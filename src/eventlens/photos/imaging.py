"""The pure image layer of ingest: what a file is, whether it decodes, its metadata, and the pixels we need.

Knows no HTTP, no database and no settings: callers pass paths and limits. Everything that can be refused
is refused with an :class:`~eventlens.photos.errors.IngestError` subclass carrying a stable ``code`` and
HTTP ``status``.

Three rules shape this module:

* The type comes from the content (magic bytes), never from the file name.
* Pixels are counted from the header before anything is decoded, against the caller's limit.
* Nothing decodes more than it needs: JPEGs are decoded by libjpeg at 1/2, 1/4 or 1/8 scale (``draft``)
  whenever the target is that much smaller, so a 24-MP photo is never expanded to 72 MB of RGB.
  Other formats can only be decoded whole, so they have a lower pixel cap (``NON_JPEG_MAX_PIXELS``), are
  converted and shrunk band by band (never a second full-size copy), and every decode holds its bytes
  from the process-wide :mod:`~eventlens.photos.decode_budget` while it runs.
"""

from __future__ import annotations

import enum
import io
import math
import re
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pillow_heif
from PIL import (
    ExifTags,
    Image,
    ImageCms,
    ImageFile,
    JpegImagePlugin,
    PngImagePlugin,
    WebPImagePlugin,
)

from eventlens.photos.decode_budget import DecodeBudget, DecodeBusy
from eventlens.photos.decode_budget import budget as default_budget
from eventlens.photos.errors import (
    CorruptImage,
    DecodeTimeout,
    EmptyFile,
    IngestError,
    TooLarge,
    TooManyPixels,
    UnsupportedType,
)

__all__ = [
    "NON_JPEG_MAX_PIXELS",
    "PREVIEW_QUALITY",
    "PREVIEW_SIDE",
    "THUMBNAIL_QUALITY",
    "THUMBNAIL_SIDE",
    "Analysed",
    "CorruptImage",
    "DecodeTimeout",
    "EmptyFile",
    "ImageInfo",
    "ImageKind",
    "IngestError",
    "Renditions",
    "TooLarge",
    "TooManyPixels",
    "UnsupportedType",
    "inspect",
    "load_for_analysis",
    "make_renditions",
    "renditions_of",
    "sniff",
    "sniff_bytes",
]

pillow_heif.register_heif_opener()

PREVIEW_SIDE = 1600
THUMBNAIL_SIDE = 400
PREVIEW_QUALITY = 82
THUMBNAIL_QUALITY = 75

# PNG, WebP and HEIC/HEIF are decoded whole (no reduced-scale decoding as for JPEG), so they are capped
# lower than the pixel setting: 50 MP takes the 48-MP HEIC of current phones and bounds one decode at
# ~200 MB for PNG (Pillow keeps 4 bytes a pixel) and ~350 MB for HEIC (libheif's copy too, measured).
# Pillow's WebP decoder holds ~15 bytes a pixel (measured), and no camera writes big WebPs: 25 MP.
NON_JPEG_MAX_PIXELS = 50_000_000
WEBP_MAX_PIXELS = 25_000_000
# How long a photo decode waits for the decode budget before its caller gets DecodeTimeout. Long: a
# camera's upload or a job would rather wait than fail; the budget is only ever held for seconds.
PHOTO_BUDGET_WAIT = 300.0


class ImageKind(enum.Enum):
    """An accepted image type, as established from the file's content."""

    JPEG = ("image/jpeg", "jpg")
    PNG = ("image/png", "png")
    WEBP = ("image/webp", "webp")
    HEIC = ("image/heic", "heic")
    HEIF = ("image/heif", "heif")

    def __init__(self, mime: str, ext: str) -> None:
        self.mime = mime
        self.ext = ext


@dataclass(frozen=True)
class ImageInfo:
    """What :func:`inspect` learns about a photo.

    ``width``/``height`` are as displayed, i.e. after the EXIF orientation is applied. ``orientation`` is
    the EXIF orientation (1-8) that has to be applied to the stored pixels to display them; it is always 1
    for HEIC/HEIF, whose decoder already applies the container's rotation and mirroring.

    ``taken_at`` comes from EXIF DateTimeOriginal (falling back to DateTimeDigitized). Cameras record local
    wall-clock time; when the file also carries OffsetTimeOriginal we use it, otherwise the time is *labelled
    UTC as recorded*, which keeps a single camera's photos in the right order but may be off by the local
    UTC offset in absolute terms.
    """

    kind: ImageKind
    width: int
    height: int
    orientation: int
    taken_at: datetime | None
    camera: str | None

    @property
    def pixels(self) -> int:
        return self.width * self.height


@dataclass(frozen=True)
class Analysed:
    """An upright RGB image for analysis and how it relates to the full-size upright original.

    ``scale`` multiplies a coordinate in ``image`` into the original (>= 1; 1 when nothing was shrunk).
    Rounding makes the two axes differ by a fraction of a pixel; :meth:`to_original` uses exact per-axis
    factors.
    """

    image: Image.Image
    scale: float
    original_size: tuple[int, int]

    def to_original(self, box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        """Map an ``(x0, y0, x1, y1)`` box in :attr:`image` to original upright pixel coordinates."""
        sx = self.original_size[0] / self.image.width
        sy = self.original_size[1] / self.image.height
        x0, y0, x1, y1 = box
        return (x0 * sx, y0 * sy, x1 * sx, y1 * sy)


@dataclass(frozen=True)
class Renditions:
    """WebP preview and thumbnail: upright, sRGB, no metadata (so no GPS leaks to guests)."""

    preview_webp: bytes
    preview_size: tuple[int, int]
    thumbnail_webp: bytes
    thumbnail_size: tuple[int, int]


# --------------------------------------------------------------------------------------------------
# Content sniffing

# ISO-BMFF brands (ftyp box). HEVC-coded brands make it HEIC; the generic image-file brands make it HEIF.
_HEIC_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis"})
_HEIF_BRANDS = frozenset({b"mif1", b"msf1", b"mif2"})
_AVIF_BRANDS = frozenset({b"avif", b"avis"})
# Names for common things people upload by mistake, only to make the refusal message useful.
_OTHER_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"GIF87a", "a GIF"),
    (b"GIF89a", "a GIF"),
    (b"%PDF-", "a PDF"),
    (b"II*\x00", "a TIFF or camera RAW file"),
    (b"MM\x00*", "a TIFF or camera RAW file"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x00\x00\x00\x0cjP  ", "a JPEG 2000"),
    (b"\xff\x0a", "a JPEG XL"),
    (b"<svg", "an SVG"),
)
_SNIFF_BYTES = 256


def sniff(path: Path) -> ImageKind:
    """Identify an accepted image type from the file's first bytes.

    Raises :class:`EmptyFile` for zero bytes and :class:`UnsupportedType` for anything else that is not
    JPEG, PNG, WebP or HEIC/HEIF.
    """
    with open(path, "rb") as f:
        head = f.read(_SNIFF_BYTES)
    return sniff_bytes(head)


def sniff_bytes(head: bytes) -> ImageKind:
    """Like :func:`sniff`, on the first bytes of a file (256 are plenty, 12 are enough for most types).

    Lets an endpoint refuse a wrong type from the first chunk, before spooling the rest.
    """
    if not head:
        raise EmptyFile()
    if head.startswith(b"\xff\xd8\xff"):
        return ImageKind.JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return ImageKind.PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return ImageKind.WEBP
    brands = _ftyp_brands(head)
    if brands is not None:
        if brands & _HEIC_BRANDS:
            return ImageKind.HEIC
        if brands & _AVIF_BRANDS:
            # AVIF shares the HEIF container (and the mif1 brand) but needs an AV1 decoder we do not ship.
            raise UnsupportedType("an AVIF image")
        if brands & _HEIF_BRANDS:
            return ImageKind.HEIF
        if b"crx " in brands:
            raise UnsupportedType("a camera RAW file")
        raise UnsupportedType("a video or other ISO media file")
    raise UnsupportedType(_describe_other(head))


def _ftyp_brands(head: bytes) -> set[bytes] | None:
    if len(head) < 12 or head[4:8] != b"ftyp":
        return None
    box_size = int.from_bytes(head[:4], "big")
    end = min(box_size, len(head)) if box_size >= 16 else len(head)
    # Major brand at 8; minor version at 12; compatible brands from 16 to the end of the box.
    return {head[8:12]} | {head[i : i + 4] for i in range(16, end - 3, 4)}


def _describe_other(head: bytes) -> str | None:
    for magic, name in _OTHER_MAGIC:
        if head.startswith(magic):
            return name
    sample = head[:_SNIFF_BYTES]
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if text.isprintable() or all(c.isprintable() or c.isspace() for c in text):
        return "a text file"
    return None


# --------------------------------------------------------------------------------------------------
# Opening and error translation

# We construct the format's ImageFile class ourselves instead of calling Image.open(). Image.open runs
# Pillow's own decompression-bomb check against the process-wide Image.MAX_IMAGE_PIXELS (a warning above
# ~89 MP, an error above ~179 MP), which disagrees with the caller's limit (120 MP by default) and can only
# be silenced by mutating process-wide state (that global or the warnings filters, neither thread-safe).
# The classes read exactly the same header; we then apply the caller's limit. Sniffing already told us
# the format, so there is nothing left for Image.open to guess. A JPEG with an MPF index (most camera
# JPEGs) opens as its primary image, which is what we want.
_OPENERS: dict[ImageKind, Any] = {
    ImageKind.JPEG: JpegImagePlugin.JpegImageFile,
    ImageKind.PNG: PngImagePlugin.PngImageFile,
    ImageKind.WEBP: WebPImagePlugin.WebPImageFile,
    ImageKind.HEIC: pillow_heif.HeifImageFile,
    ImageKind.HEIF: pillow_heif.HeifImageFile,
}


@contextmanager
def _decoding(max_pixels: int | None = None) -> Iterator[None]:
    """Turn decoder failures into CorruptImage; let real I/O errors (missing file, disk) through."""
    try:
        yield
    except IngestError:
        raise
    except Image.DecompressionBombError as exc:
        # Only reachable through Pillow internals we do not call today (crop of a huge box); kept so a
        # Pillow change cannot turn a bomb into a 500.
        limit = max_pixels if max_pixels is not None else 2 * (Image.MAX_IMAGE_PIXELS or 0)
        raise TooManyPixels(limit) from exc
    except OSError as exc:
        if exc.errno is not None:
            raise
        raise CorruptImage(str(exc)) from exc
    except (SyntaxError, ValueError, EOFError, struct.error, zlib.error) as exc:
        raise CorruptImage(f"{type(exc).__name__}: {exc}") from exc


Source = Path | bytes


@contextmanager
def _open(source: Source, kind: ImageKind) -> Iterator[ImageFile.ImageFile]:
    """The image, read from a file we close ourselves: Pillow then never closes the image's pixels
    with the file, so a decoded image can be handed back without a full-size copy."""
    f: BinaryIO = open(source, "rb") if isinstance(source, Path) else io.BytesIO(source)  # noqa: SIM115
    with f:
        im: ImageFile.ImageFile = _OPENERS[kind](f)
        yield im


def _sniff_source(source: Source) -> ImageKind:
    return sniff(source) if isinstance(source, Path) else sniff_bytes(source[:_SNIFF_BYTES])


def pixel_limit(kind: ImageKind, max_pixels: int, non_jpeg: int = NON_JPEG_MAX_PIXELS) -> int:
    """The pixel cap for ``kind``: ``max_pixels`` for JPEG, at most ``non_jpeg`` for the rest (and at
    most WEBP_MAX_PIXELS for WebP)."""
    if kind is ImageKind.JPEG:
        return max_pixels
    if kind is ImageKind.WEBP:
        non_jpeg = min(non_jpeg, WEBP_MAX_PIXELS)
    return min(max_pixels, non_jpeg)


def _check_pixels(
    size: tuple[int, int],
    max_pixels: int,
    kind: ImageKind = ImageKind.JPEG,
    non_jpeg: int = NON_JPEG_MAX_PIXELS,
) -> None:
    pixels = size[0] * size[1]
    limit = pixel_limit(kind, max_pixels, non_jpeg)
    if pixels > limit:
        raise TooManyPixels(limit, pixels, None if kind is ImageKind.JPEG else kind.name)


def _bytes_per_pixel(mode: str) -> int:
    # Pillow keeps 1-byte modes in 1 byte, I;16 in 2 and everything else (RGB too) in 4.
    if mode in ("1", "L", "P"):
        return 1
    return 2 if mode.startswith("I;16") else 4


def _decode_cost(im: Image.Image, kind: ImageKind, long_side: int | None) -> int:
    """Bytes a decode of ``im`` (at its current, possibly drafted, size) holds at its peak, shrunk to
    ``long_side`` (None: only decoded, then dropped).

    Pillow's pixels, plus the larger of two phases: while decoding, the decoder's own buffers (WebP and
    HEIC fill one Pillow then copies); afterwards the working images: the banded shrink's intermediate
    and its premultiplied copy; or, shrinking less than 2x, a converted and a premultiplied full-size
    copy (none for plain RGB or grey); or, not shrinking, one full-size copy for a colour conversion,
    alpha or rotation (none for a plain upright sRGB JPEG, the common case of the crowd pass).
    """
    width, height = im.size
    pixels = width * height
    decoded = pixels * _bytes_per_pixel(im.mode)
    decoder = pixels * _DECODER_EXTRA.get(kind, 0)
    plain = im.mode in ("RGB", "L") and "transparency" not in im.info and not im.info.get("icc_profile")
    working = 0
    if long_side is not None:
        factor = _shrink_factor(im.size, long_side)
        scale = min(1.0, long_side / max(width, height))
        out = 4 * math.ceil(width * scale) * math.ceil(height * scale)
        if factor == 0:
            upright = kind is ImageKind.JPEG and _orientation(_exif_of(im), kind) == 1
            working = 0 if plain and upright else 4 * pixels
        elif factor == 1:
            working = (0 if plain else 2 * 4 * pixels) + 2 * out
        else:
            working = 2 * 4 * math.ceil(width / factor) * math.ceil(height / factor)
    # Measured peaks run up to ~1.3x these counts (allocator rounding, decoder row buffers, palette
    # bands); the margin keeps a server's RSS within the budget (tests/test_memory_budget.py).
    return (decoded + max(decoder, working)) * 13 // 10 + 16 * 2**20


# Bytes a pixel that a decoder holds besides Pillow's image while it decodes (measured: a HEIC decode
# peaks at ~7 bytes a pixel, a WebP one at ~15).
_DECODER_EXTRA = {ImageKind.HEIC: 3, ImageKind.HEIF: 3, ImageKind.WEBP: 11}


@contextmanager
def _reserved(budget: DecodeBudget, nbytes: int, wait: float | None) -> Iterator[None]:
    """Hold ``nbytes`` of ``budget``, waiting at most ``wait`` seconds (None: PHOTO_BUDGET_WAIT)."""
    try:
        with budget.reserve(nbytes, PHOTO_BUDGET_WAIT if wait is None else wait):
            yield
    except DecodeBusy as exc:
        raise DecodeTimeout(exc.waited) from exc


def _require_strict_decoding() -> None:
    # Pillow's default. If anything in the process flips it, truncated uploads would decode with a grey
    # band and be accepted; refuse loudly rather than accept them quietly.
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        raise RuntimeError("PIL.ImageFile.LOAD_TRUNCATED_IMAGES is True; photo validation needs it False")


# --------------------------------------------------------------------------------------------------
# inspect


def inspect(
    path: Path,
    max_pixels: int,
    *,
    verify: bool = True,
    budget: DecodeBudget = default_budget,
    wait: float | None = None,
) -> ImageInfo:
    """Identify, size-check, verify and read the metadata of a photo.

    The pixel count comes from the header and is checked against ``max_pixels`` before anything is
    decoded. With ``verify`` (the default) the file must then prove it is complete. A JPEG that ends in
    its end-of-image marker does so without decoding a pixel: an upload cut short never ends in one
    (the marker cannot occur inside the compressed data), and that is what a camera's failed transfer
    looks like. Any other JPEG is decoded at 1/8 scale, which still entropy-decodes every block (where
    truncation shows) but skips most of the work; other formats in full. Damage *inside* a complete
    JPEG is found by the processing job's decode, which fails the photo with the reason. That keeps
    the upload's check to the header: a decode here would cost about as much as the job's own.
    ``verify=False`` stops after the header in every case.

    PNG, WebP and HEIC/HEIF are held to the lower NON_JPEG_MAX_PIXELS, and the verifying decode holds its
    bytes from ``budget`` (waiting up to ``wait`` seconds, then :class:`DecodeTimeout`).

    Raises :class:`EmptyFile`, :class:`UnsupportedType`, :class:`TooManyPixels`, :class:`CorruptImage`
    or :class:`DecodeTimeout`.
    """
    kind = sniff(path)
    if verify:
        _require_strict_decoding()
    with _decoding(max_pixels), _open(path, kind) as im:
        width, height = im.size
        _check_pixels(im.size, max_pixels, kind)
        if verify and not (kind is ImageKind.JPEG and _ends_with_eoi(im)):
            if kind is ImageKind.JPEG:
                im.draft(None, (max(1, width // 8), max(1, height // 8)))
            with _reserved(budget, _decode_cost(im, kind, None), wait):
                im.load()
                exif = _exif_of(im)
                im.close()  # only the verdict is wanted: free the pixels before the budget
        else:
            exif = _exif_of(im)
    orientation = _orientation(exif, kind)
    if orientation >= 5:
        width, height = height, width
    return ImageInfo(
        kind=kind,
        width=width,
        height=height,
        orientation=orientation,
        taken_at=_taken_at(exif),
        camera=_camera(exif),
    )


def _ends_with_eoi(im: ImageFile.ImageFile) -> bool:
    """Whether the open JPEG's file ends in the EOI marker (FF D9); the file position is put back."""
    f = im.fp
    assert f is not None
    here = f.tell()
    try:
        f.seek(-2, io.SEEK_END)
        return f.read(2) == b"\xff\xd9"
    except OSError:  # shorter than two bytes
        return False
    finally:
        f.seek(here)


# --------------------------------------------------------------------------------------------------
# Metadata


def _exif_of(im: Image.Image) -> Image.Exif:
    # The base-class getexif reads what the header parse already put in ``info``; PngImageFile's override
    # would decode the whole image just to look for a late eXIf chunk. Callers that decode read EXIF after
    # load(), so they see late chunks too. Broken metadata must never reject a photo that decodes.
    try:
        return Image.Image.getexif(im)
    except Exception:
        return Image.Exif()


def _orientation(exif: Image.Exif, kind: ImageKind) -> int:
    if kind in (ImageKind.HEIC, ImageKind.HEIF):
        # libheif applies the container's irot/imir boxes while decoding and pillow_heif resets the EXIF
        # tag; the HEIF spec says the EXIF value is informative only. Applying it again would double-rotate.
        return 1
    value = exif.get(ExifTags.Base.Orientation)
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _exif_value(exif: Image.Exif, tag: int) -> Any:
    try:
        value = exif.get_ifd(ExifTags.IFD.Exif).get(tag)
    except Exception:
        value = None
    # Some writers put Exif-IFD tags in IFD0; accept them there too.
    return value if value is not None else exif.get(tag)


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return ""
    return " ".join(value.replace("\x00", " ").split())


_EXIF_DATETIME = re.compile(r"(\d{4})[:\-/](\d{2})[:\-/](\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_EXIF_OFFSET = re.compile(r"([+-])(\d{2}):?(\d{2})")


def _taken_at(exif: Image.Exif) -> datetime | None:
    tag = ExifTags.Base
    pairs = (
        (tag.DateTimeOriginal, tag.OffsetTimeOriginal, tag.SubsecTimeOriginal),
        (tag.DateTimeDigitized, tag.OffsetTimeDigitized, tag.SubsecTimeDigitized),
    )
    for when_tag, offset_tag, subsec_tag in pairs:
        taken = _parse_exif_datetime(
            _text(_exif_value(exif, when_tag)),
            _text(_exif_value(exif, offset_tag)),
            _text(_exif_value(exif, subsec_tag)),
        )
        if taken is not None:
            return taken
    return None


def _parse_exif_datetime(when: str, offset: str = "", subsec: str = "") -> datetime | None:
    """``"2024:06:01 18:30:05"`` (+ ``"+02:00"``, ``"123"``) → aware datetime; None for blanks/zeros."""
    match = _EXIF_DATETIME.match(when)
    if not match:
        return None
    try:
        year, month, day, hour, minute, second = (int(g) for g in match.groups())
        naive = datetime(year, month, day, hour, minute, second)
    except ValueError:  # "0000:00:00 00:00:00" and other unset clocks
        return None
    if subsec.isdigit():
        naive = naive.replace(microsecond=int(subsec[:6].ljust(6, "0")))
    tz: timezone = UTC
    if offset_match := _EXIF_OFFSET.fullmatch(offset):
        sign, hours, minutes = offset_match.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes))
        if delta < timedelta(hours=24):
            tz = timezone(-delta if sign == "-" else delta)
    return naive.replace(tzinfo=tz)


# Legal-entity words that makers put in Make but nobody says ("NIKON CORPORATION" → "NIKON").
_CORPORATE_SUFFIX = re.compile(
    r"[\s,]+(corporation|corp\.?|co\.?|ltd\.?|inc\.?|company|imaging|optical|gmbh|ag)$", re.IGNORECASE
)
_CAMERA_MAX = 200  # photos.camera column


def _camera(exif: Image.Exif) -> str | None:
    return _tidy_camera(_text(exif.get(ExifTags.Base.Make)), _text(exif.get(ExifTags.Base.Model)))


def _tidy_camera(make: str, model: str) -> str | None:
    """``("Canon", "Canon EOS R5")`` → ``"Canon EOS R5"``; ``("NIKON CORPORATION", "NIKON D850")`` →
    ``"NIKON D850"``; ``("SONY", "ILCE-7M3")`` → ``"SONY ILCE-7M3"``."""
    while match := _CORPORATE_SUFFIX.search(make):
        make = make[: match.start()]
    if not model:
        camera = make
    elif not make:
        camera = model
    elif model.split()[0].casefold() in {word.casefold() for word in make.split()}:
        # The model already names the maker.
        camera = model
    else:
        camera = f"{make} {model}"
    return camera[:_CAMERA_MAX] or None


# --------------------------------------------------------------------------------------------------
# Decoding to upright RGB at a reduced size

_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _decode_upright(
    source: Source,
    long_side: int,
    max_pixels: int | None,
    slack: float = 1.0,
    *,
    budget: DecodeBudget = default_budget,
    wait: float | None = None,
    non_jpeg_max_pixels: int = NON_JPEG_MAX_PIXELS,
) -> tuple[Image.Image, tuple[int, int]]:
    """Decode once, at the smallest size that still gives ``long_side``; return upright RGB and the
    original's upright size. With ``slack`` < 1 a JPEG may come out that much smaller than ``long_side``
    when that lets libjpeg decode at the next smaller scale (a 6000 px photo at 1/4: 1500 px).

    PNG, WebP and HEIC/HEIF are held to NON_JPEG_MAX_PIXELS even without ``max_pixels``; the decode holds
    its bytes from ``budget`` from before the pixels are decoded until only the result is left."""
    kind = _sniff_source(source)
    _require_strict_decoding()
    with _decoding(max_pixels), _open(source, kind) as im:
        if max_pixels is not None or kind is not ImageKind.JPEG:
            limit = max_pixels if max_pixels is not None else non_jpeg_max_pixels
            _check_pixels(im.size, limit, kind, non_jpeg_max_pixels)
        width, height = im.size
        if long_side < max(width, height):
            s = long_side * slack / max(width, height)
            # Ask for the target's own aspect ratio: Pillow picks the largest JPEG scale (1/2, 1/4, 1/8)
            # that keeps *both* sides at or above the request, so a square box would be limited by the
            # short side and decode twice as large as needed. HEIF may pick an embedded thumbnail; other
            # formats ignore this.
            im.draft("RGB", (max(1, math.ceil(width * s)), max(1, math.ceil(height * s))))
        with _reserved(budget, _decode_cost(im, kind, long_side), wait):
            im.load()
            orientation = _orientation(_exif_of(im), kind)
            icc = im.info.get("icc_profile")
            img = _shrink(im, long_side)
            img = _to_srgb(img, icc if isinstance(icc, bytes) else None)
            if img is not im:
                im.close()  # the full-size pixels, before the budget is given back
            if orientation != 1:
                img = img.transpose(_TRANSPOSE[orientation])
    original = (height, width) if orientation >= 5 else (width, height)
    return img, original


def _shrink_factor(size: tuple[int, int], long_side: int) -> int:
    """The banded shrink's integer reduction: like resize(reducing_gap=3.0), to within 3x of the
    target, but at least by 2 whenever that still leaves the target's size (that is what avoids the
    full-size copy); 1 when the image is less than twice the target, 0 when it is not shrunk at all."""
    ratio = max(size) / long_side
    if ratio <= 1:
        return 0
    return max(int(ratio / 3), 2 if ratio >= 2 else 1)


# Rows of a band in the banded shrink: ~16 MB of pixels at a time.
_BAND_BYTES = 16 * 2**20


def _shrink(im: Image.Image, long_side: int) -> Image.Image:
    """``_fit(_prepare_mode(im), long_side)`` without a full-size copy of ``im``.

    Pillow converts modes and premultiplies alpha into a new full-size image before it reduces, which
    doubles (or, for palette images, quintuples) a big decode. Here the conversion and the first,
    integer box reduction run on horizontal bands whose height is a multiple of the factor, which gives
    the same pixels as reducing the whole image; the small result is then resized as :func:`_fit` does.
    """
    width, height = im.size
    factor = _shrink_factor(im.size, long_side)
    if factor < 2:
        return _fit(_prepare_mode(im), long_side)
    rows = max(1, _BAND_BYTES // (width * 4 * factor)) * factor
    reduced: Image.Image | None = None
    for top in range(0, height, rows):
        band = _prepare_mode(im.crop((0, top, width, min(height, top + rows)))).reduce(factor)
        if reduced is None:
            reduced = Image.new(band.mode, (math.ceil(width / factor), math.ceil(height / factor)))
        reduced.paste(band, (0, top // factor))
    assert reduced is not None
    return _fit(reduced, long_side)


def _prepare_mode(im: Image.Image) -> Image.Image:
    """Bring odd modes to one that resizes correctly (L, LA, RGB, RGBA or CMYK)."""
    mode = im.mode
    if mode in ("P", "PA") or ("transparency" in im.info and mode in ("L", "RGB")):
        # Palette images resize with NEAREST only, and tRNS transparency must become real alpha.
        return im.convert("RGBA")
    if mode in ("L", "LA", "RGB", "RGBA", "CMYK"):
        return im
    if mode == "1":
        return im.convert("L")
    if mode.startswith("I") or mode == "F":
        return _high_depth_to_l(im)
    if mode in ("La", "RGBa"):
        return im.convert("RGBA")
    return im.convert("RGB")  # YCbCr, LAB, HSV


def _high_depth_to_l(im: Image.Image) -> Image.Image:
    # Pillow's I;16 → L conversion clips at 255 instead of scaling, which turns a 16-bit grey PNG white.
    values = np.asarray(im)
    top = 255 if im.mode == "F" else 65535
    scaled = np.clip(values, 0, top) * (255 / top)
    return Image.fromarray(np.rint(scaled).astype(np.uint8), mode="L")


def _fit(im: Image.Image, long_side: int, reducing_gap: float = 3.0) -> Image.Image:
    """Shrink so the long side is at most ``long_side``; never enlarge."""
    width, height = im.size
    if max(width, height) <= long_side:
        return im
    s = long_side / max(width, height)
    size = (max(1, round(width * s)), max(1, round(height * s)))
    # reducing_gap: a cheap box reduction first, then Lanczos over the last factor of three - visually the
    # same as pure Lanczos at a fraction of the cost. Pillow premultiplies alpha for RGBA/LA itself.
    return im.resize(size, Image.Resampling.LANCZOS, reducing_gap=reducing_gap)


def _to_srgb(im: Image.Image, icc: bytes | None) -> Image.Image:
    """Composite alpha on white and convert to sRGB RGB (via the embedded ICC profile when there is one)."""
    if icc and im.mode in ("RGB", "RGBA", "CMYK"):
        im = _apply_icc(im, icc)
    if im.mode in ("RGBA", "LA"):
        rgba = im if im.mode == "RGBA" else im.convert("RGBA")
        background = Image.new("RGB", im.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return im if im.mode == "RGB" else im.convert("RGB")


def _apply_icc(im: Image.Image, icc: bytes) -> Image.Image:
    # Adobe RGB / Display P3 photos look washed out and CMYK ones badly off unless converted; this runs on
    # the already-shrunk image so it costs little. A transform is built per call: lcms transforms with
    # their default cache are not safe to share between threads.
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if "srgb" in (ImageCms.getProfileDescription(source) or "").casefold():
            return im
        out_mode = "RGBA" if im.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(im, source, _SRGB, outputMode=out_mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return im  # a broken or mismatched profile: fall back to the naive conversion
    return converted if converted is not None else im


# --------------------------------------------------------------------------------------------------
# Public decoding entry points


def load_for_analysis(
    source: Path | bytes,
    max_side: int,
    *,
    max_pixels: int | None = None,
    slack: float = 1.0,
    non_jpeg_max_pixels: int = NON_JPEG_MAX_PIXELS,
    budget: DecodeBudget = default_budget,
    wait: float | None = None,
) -> Analysed:
    """Upright RGB image with its long side at most ``max_side``, for face detection.

    JPEGs are decoded at reduced scale, so big photos are never fully expanded. ``scale`` in the result
    maps coordinates back to the full-size upright original. Pass ``max_pixels`` when the file has not
    been through :func:`inspect` (a guest selfie, say, whose bytes can be passed instead of a path).
    The decode holds its bytes from ``budget``, waiting up to ``wait`` seconds (then DecodeTimeout).
    """
    image, original = _decode_upright(
        source,
        max_side,
        max_pixels,
        slack,
        budget=budget,
        wait=wait,
        non_jpeg_max_pixels=non_jpeg_max_pixels,
    )
    return Analysed(image=image, scale=max(original) / max(image.size), original_size=original)


# The crowd pass decodes the original at full resolution, but never more than this many pixels:
# 48 MP keeps the 45-47 MP bodies event photographers use at full detail, and bounds a worker's
# memory (RGB plus the engine's BGR copy: ~290 MB) however big the upload. Bigger JPEGs decode at
# 1/2 (or 1/4) scale via draft(); other formats decode whole and are then shrunk.
FULL_DECODE_MAX_PIXELS = 48_000_000


def load_full_resolution(
    path: Path, *, decode_max_pixels: int = FULL_DECODE_MAX_PIXELS, max_pixels: int | None = None
) -> Analysed:
    """Upright RGB image at the original's resolution, or the largest JPEG decode scale (1/2, 1/4,
    1/8) that stays within ``decode_max_pixels``; for the tiled face pass of crowd events."""
    kind = sniff(path)
    with _decoding(max_pixels), _open(path, kind) as im:
        width, height = im.size
    divisor = 1
    while width * height > decode_max_pixels * divisor * divisor and divisor < 8:
        divisor *= 2
    long_side = math.ceil(max(width, height) / divisor)
    image, original = _decode_upright(path, long_side, max_pixels)
    return Analysed(image=image, scale=max(original) / max(image.size), original_size=original)


def make_renditions(
    path: Path,
    *,
    max_pixels: int | None = None,
    preview_side: int = PREVIEW_SIDE,
    thumbnail_side: int = THUMBNAIL_SIDE,
    preview_quality: int = PREVIEW_QUALITY,
    thumbnail_quality: int = THUMBNAIL_QUALITY,
) -> Renditions:
    """WebP preview (long side ``preview_side``) and thumbnail (``thumbnail_side``), never upscaled.

    The file is decoded once, at the preview's size; the thumbnail is made from the preview.
    """
    preview, _ = _decode_upright(path, preview_side, max_pixels)
    return renditions_of(preview, preview_side, thumbnail_side, preview_quality, thumbnail_quality)


def renditions_of(
    image: Image.Image,
    preview_side: int = PREVIEW_SIDE,
    thumbnail_side: int = THUMBNAIL_SIDE,
    preview_quality: int = PREVIEW_QUALITY,
    thumbnail_quality: int = THUMBNAIL_QUALITY,
) -> Renditions:
    """Preview and thumbnail of an already decoded upright sRGB image (e.g. the one faces are found in)."""
    preview = _fit(image, preview_side)
    # A box reduction over more of the way costs the thumbnail a quarter of the time of Lanczos over the
    # last factor of three (measured: 1500 px to 400 px, 18 ms to 7.5 ms) for a mean difference of under
    # one level in 255, invisible at thumbnail size.
    thumbnail = _fit(preview, thumbnail_side, reducing_gap=1.5)
    return Renditions(
        preview_webp=_webp(preview, preview_quality),
        preview_size=preview.size,
        thumbnail_webp=_webp(thumbnail, thumbnail_quality),
        thumbnail_size=thumbnail.size,
    )


def _webp(im: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    # No exif/icc arguments: the pixels are already sRGB and renditions must not carry GPS or serials.
    # method 0: a 1600 px preview encodes in ~60 ms instead of ~160 ms (method 4) for ~2 % more bytes;
    # the processing job runs once per photo on the camera's schedule, so speed wins.
    im.save(buf, format="WEBP", quality=quality, method=0)
    return buf.getvalue()
