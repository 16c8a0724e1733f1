"""The odd and broken files ingest must cope with, built at test time from the real photo dataset.

Nothing here is committed as a binary: every file is made in a temporary directory from a handful of
dataset photos (or from a few crafted header bytes), together with what ingest should make of it.

``CASES`` maps a case name to a builder; ``Corpus`` builds each case once per test session, on demand.
"""

from __future__ import annotations

import io
import os
import random
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pillow_heif
from PIL import ExifTags, Image

from eventlens.photos.errors import (
    CorruptImage,
    EmptyFile,
    IngestError,
    TooLarge,
    TooManyPixels,
    UnsupportedType,
)
from eventlens.photos.imaging import ImageKind

# The repository's own test photos (same folder as tests/conftest.py's ``dataset`` fixture).
FACES_DIR = Path(__file__).resolve().parents[1] / "data" / "faces"

# A visibly asymmetric portrait (face off-centre, background differs left/right), a big landscape JPEG,
# a real RGBA PNG (with a Display P3 profile), a group photo to make a WebP from (the repository carries
# no WebP photo) and a small (150 x 150) JPEG, one of dlib's face chips.
PORTRAIT = "identities/Matt_Damon/4.jpg"
LANDSCAPE = "identities/Angelina_Jolie/3.jpg"
RGBA_PNG = "identities/Alex_Lacamoire/1.png"
WEBP_SOURCE = "groups/fr_obama_and_biden.jpg"
SMALL_JPEG = "identities/John_Savage/1.jpg"
GREY_PNG = "nofaces/skimage_brick.png"

MAX_PIXELS = 120_000_000  # the default setting
UPLOAD_LIMIT = 50 * 2**20  # the default max_upload_mb


@dataclass(frozen=True)
class Sample:
    """A built file and what ingest should make of it.

    ``error`` is what ``inspect`` must raise (None: accepted as ``kind`` with displayed ``size``); for
    the files in FAILED_IN_JOB, what the processing job's decode raises after ``inspect`` accepted them.
    ``spool_error`` is what spooling it under ``UPLOAD_LIMIT`` must raise. ``reference`` is the known
    upright RGB picture for accepted files, to compare decoded pixels against.
    """

    path: Path
    error: type[IngestError] | None = None
    kind: ImageKind | None = None
    size: tuple[int, int] | None = None
    spool_error: type[IngestError] | None = None
    reference: Image.Image | None = None


def dataset_path(rel: str) -> Path:
    path = FACES_DIR / rel
    if not path.is_file():
        # Fail, never skip: a missing dataset must not turn the suite green.
        raise FileNotFoundError(f"test photo {path} is missing (see tests/data/faces/SOURCES.tsv)")
    return path


def dataset_rgb(rel: str, long_side: int | None = None) -> Image.Image:
    """A dataset photo as plain RGB (no profile, no EXIF), optionally shrunk."""
    with Image.open(dataset_path(rel)) as im:
        rgb = im.convert("RGB")
    rgb.info.clear()  # or Pillow would carry the source's ICC profile / EXIF into files saved from it
    if long_side is not None and max(rgb.size) > long_side:
        rgb.thumbnail((long_side, long_side), Image.Resampling.LANCZOS)
    return rgb


def encode(im: Image.Image, fmt: str, **params: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt, **params)
    return buf.getvalue()


def group_webp() -> bytes:
    """A lossy 800 x 571 WebP of a real group photo, as a phone or web export would write it."""
    return encode(dataset_rgb(WEBP_SOURCE, 800), "WEBP", quality=80)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# --- crafted PNGs --------------------------------------------------------------------------------------


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes(width: int, height: int, bit_depth: int, colour_type: int, raw_rows: bytes) -> bytes:
    """A PNG from already-filtered scanlines (each row starts with its filter byte)."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(raw_rows))
        + png_chunk(b"IEND", b"")
    )


def jpeg_declaring(width: int, height: int) -> bytes:
    """A small real JPEG whose frame header (SOF0) is patched to declare ``width`` x ``height``: a
    JPEG bomb that costs nothing unless someone decodes it at full size."""
    data = bytearray(encode(Image.new("RGB", (64, 48), (90, 120, 150)), "JPEG", quality=80))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose IHDR declares ``width`` x ``height`` RGB but whose data is a few zero bytes: nothing
    big is ever allocated unless someone tries to decode it."""
    return png_bytes(width, height, 8, 2, b"\x00" * 16)


# --- builders: refused files ---------------------------------------------------------------------------


def empty(d: Path) -> Sample:
    return Sample(_write(d / "empty.jpg", b""), error=EmptyFile, spool_error=EmptyFile)


def truncated_jpeg(d: Path) -> Sample:
    data = dataset_path(LANDSCAPE).read_bytes()
    return Sample(_write(d / "truncated.jpg", data[: int(len(data) * 0.6)]), error=CorruptImage)


def truncated_progressive_jpeg(d: Path) -> Sample:
    data = encode(dataset_rgb(LANDSCAPE), "JPEG", quality=90, progressive=True)
    return Sample(_write(d / "truncated-progressive.jpg", data[: int(len(data) * 0.6)]), error=CorruptImage)


def jpeg_missing_end(d: Path) -> Sample:
    """Only the last two bytes (the EOI marker) missing: the smallest possible truncation."""
    data = encode(dataset_rgb(LANDSCAPE, 1200), "JPEG", quality=90)
    return Sample(_write(d / "no-eoi.jpg", data[:-2]), error=CorruptImage)


def jpeg_damaged_middle(d: Path) -> Sample:
    """2 KB of noise over the middle of the compressed data."""
    data = bytearray(encode(dataset_rgb(LANDSCAPE, 1200), "JPEG", quality=90))
    middle = len(data) // 2
    data[middle : middle + 2048] = random.Random(7).randbytes(2048)
    return Sample(_write(d / "damaged.jpg", bytes(data)), error=CorruptImage)


def jpeg_garbage(d: Path) -> Sample:
    """Starts like a JPEG, then nothing but noise."""
    return Sample(
        _write(d / "garbage.jpg", b"\xff\xd8\xff\xe0" + random.Random(3).randbytes(5000)), error=CorruptImage
    )


def text_named_jpg(d: Path) -> Sample:
    return Sample(_write(d / "photo.jpg", b"Not a photo at all, just text.\n" * 20), error=UnsupportedType)


def gif(d: Path) -> Sample:
    data = encode(dataset_rgb(SMALL_JPEG).convert("P"), "GIF")
    return Sample(_write(d / "party.jpg", data), error=UnsupportedType)


def pdf(d: Path) -> Sample:
    data = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    return Sample(_write(d / "scan.jpg", data), error=UnsupportedType)


def avif(d: Path) -> Sample:
    """AVIF shares the HEIF container and even its mif1 brand; it must not pass as HEIF."""
    ftyp = struct.pack(">I", 28) + b"ftypavif" + b"\x00\x00\x00\x00" + b"avifmif1miaf"
    return Sample(_write(d / "photo.heic", ftyp + b"\x00" * 64), error=UnsupportedType)


def png_bomb(d: Path) -> Sample:
    """IHDR says 30000 x 30000 (900 MP); the file is under 100 bytes."""
    return Sample(_write(d / "bomb.png", png_header_only(30_000, 30_000)), error=TooManyPixels)


def big_60mb(d: Path) -> Sample:
    """60 MB: a real JPEG's header followed by noise. Only its size matters for the upload limit; as an
    image it is broken."""
    head = dataset_path(LANDSCAPE).read_bytes()[:600]
    path = d / "huge.jpg"
    remaining = 60 * 10**6 - len(head)
    with open(path, "wb") as f:
        f.write(head)
        while remaining:
            n = min(remaining, 2**20)
            f.write(os.urandom(n))
            remaining -= n
    return Sample(path, error=CorruptImage, spool_error=TooLarge)


def truncated_png(d: Path) -> Sample:
    data = encode(dataset_rgb(PORTRAIT, 600), "PNG")
    return Sample(_write(d / "truncated.png", data[: int(len(data) * 0.6)]), error=CorruptImage)


def truncated_webp(d: Path) -> Sample:
    data = encode(dataset_rgb(PORTRAIT, 600), "WEBP", quality=80)
    return Sample(_write(d / "truncated.webp", data[: int(len(data) * 0.6)]), error=CorruptImage)


def truncated_heic(d: Path) -> Sample:
    data = heic_bytes(dataset_rgb(PORTRAIT, 320))
    return Sample(_write(d / "truncated.heic", data[: int(len(data) * 0.6)]), error=CorruptImage)


# --- builders: accepted files --------------------------------------------------------------------------


def heic_bytes(im: Image.Image, quality: int = 85) -> bytes:
    buf = io.BytesIO()
    pillow_heif.from_pillow(im).save(buf, quality=quality)
    return buf.getvalue()


def heic(d: Path) -> Sample:
    upright = dataset_rgb(PORTRAIT, 480)
    path = _write(d / "IMG_0001.HEIC", heic_bytes(upright))
    return Sample(path, kind=ImageKind.HEIC, size=upright.size, reference=upright)


def cmyk_jpeg(d: Path) -> Sample:
    upright = dataset_rgb(LANDSCAPE, 800)
    path = _write(d / "print.jpg", encode(upright.convert("CMYK"), "JPEG", quality=95))
    return Sample(path, kind=ImageKind.JPEG, size=upright.size, reference=upright)


def grey_jpeg(d: Path) -> Sample:
    upright = dataset_rgb(PORTRAIT, 600).convert("L")
    path = _write(d / "bw.jpg", encode(upright, "JPEG", quality=92))
    return Sample(path, kind=ImageKind.JPEG, size=upright.size, reference=upright.convert("RGB"))


def stored_for_orientation(upright: np.ndarray, orientation: int) -> np.ndarray:
    """The pixels a camera stores so that EXIF ``orientation`` displays ``upright``.

    Written from the EXIF definitions (where row 0 / column 0 of the stored image sit visually), with
    numpy, independently of the code under test.
    """
    u = upright
    return {
        1: u,
        2: u[:, ::-1],  # row 0 top, column 0 right
        3: u[::-1, ::-1],  # row 0 bottom, column 0 right
        4: u[::-1, :],  # row 0 bottom, column 0 left
        5: u.swapaxes(0, 1),  # row 0 left, column 0 top
        6: np.rot90(u, 1),  # row 0 right, column 0 top: camera turned clockwise
        7: u[::-1, ::-1].swapaxes(0, 1),  # row 0 right, column 0 bottom
        8: np.rot90(u, -1),  # row 0 left, column 0 bottom
    }[orientation]


def exif_oriented_jpeg(path: Path, upright: Image.Image, orientation: int) -> Path:
    stored = Image.fromarray(np.ascontiguousarray(stored_for_orientation(np.asarray(upright), orientation)))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    return _write(path, encode(stored, "JPEG", quality=92, exif=exif))


def rotated_6(d: Path) -> Sample:
    upright = dataset_rgb(PORTRAIT, 600)
    path = exif_oriented_jpeg(d / "sideways-6.jpg", upright, 6)
    return Sample(path, kind=ImageKind.JPEG, size=upright.size, reference=upright)


def rotated_8(d: Path) -> Sample:
    upright = dataset_rgb(LANDSCAPE, 600)
    path = exif_oriented_jpeg(d / "sideways-8.jpg", upright, 8)
    return Sample(path, kind=ImageKind.JPEG, size=upright.size, reference=upright)


def png16_grey(d: Path) -> Sample:
    grey = dataset_rgb(GREY_PNG).convert("L")
    wide = np.asarray(grey).astype(np.uint16) * 257  # 0..255 → 0..65535, so the top byte is the original
    path = d / "grey16.png"
    Image.fromarray(wide).save(path)  # mode I;16 → a 16-bit greyscale PNG
    return Sample(path, kind=ImageKind.PNG, size=grey.size, reference=grey.convert("RGB"))


def png16_rgb(d: Path) -> Sample:
    rgb = dataset_rgb(PORTRAIT, 400)
    wide = (np.asarray(rgb).astype(">u2") * 257).astype(">u2")
    rows = b"".join(b"\x00" + row.tobytes() for row in wide)
    path = _write(d / "rgb16.png", png_bytes(rgb.width, rgb.height, 16, 2, rows))
    return Sample(path, kind=ImageKind.PNG, size=rgb.size, reference=rgb)


def _alpha_ramp(size: tuple[int, int]) -> Image.Image:
    """Opaque on the left, fading to fully transparent on the right."""
    w, h = size
    ramp = np.tile(np.linspace(255, 0, w).round().astype(np.uint8), (h, 1))
    return Image.fromarray(ramp, mode="L")


def _on_white(rgb: Image.Image, alpha: Image.Image) -> Image.Image:
    a = np.asarray(alpha, dtype=np.float64)[..., None] / 255
    out = np.asarray(rgb, dtype=np.float64) * a + 255 * (1 - a)
    return Image.fromarray(out.round().astype(np.uint8))


def rgba_png(d: Path) -> Sample:
    # The real RGBA PNG is fully opaque, so give it a real transparent edge.
    rgb = dataset_rgb(RGBA_PNG)
    alpha = _alpha_ramp(rgb.size)
    rgba = rgb.copy()
    rgba.putalpha(alpha)
    path = d / "cutout.png"
    rgba.save(path)
    return Sample(path, kind=ImageKind.PNG, size=rgb.size, reference=_on_white(rgb, alpha))


def palette_png(d: Path) -> Sample:
    rgb = dataset_rgb(SMALL_JPEG)
    pal = rgb.quantize(64)
    pal.info["transparency"] = pal.getpixel((0, 0))  # one palette entry is see-through
    path = d / "palette.png"
    pal.save(path, transparency=pal.info["transparency"])
    reference = pal.convert("RGBA")
    return Sample(
        path,
        kind=ImageKind.PNG,
        size=rgb.size,
        reference=_on_white(reference.convert("RGB"), reference.getchannel("A")),
    )


def webp(d: Path) -> Sample:
    data = group_webp()
    with Image.open(io.BytesIO(data)) as im:
        reference = im.convert("RGB")
    return Sample(
        _write(d / "crowd.jpg", data),
        kind=ImageKind.WEBP,
        size=reference.size,
        reference=reference,
    )


def webp_alpha(d: Path) -> Sample:
    rgb = dataset_rgb(PORTRAIT, 400)
    alpha = _alpha_ramp(rgb.size)
    rgba = rgb.copy()
    rgba.putalpha(alpha)
    path = _write(d / "sticker.webp", encode(rgba, "WEBP", lossless=True))
    return Sample(path, kind=ImageKind.WEBP, size=rgb.size, reference=_on_white(rgb, alpha))


def real_jpeg(d: Path) -> Sample:
    reference = dataset_rgb(LANDSCAPE)
    return Sample(dataset_path(LANDSCAPE), kind=ImageKind.JPEG, size=reference.size, reference=reference)


REFUSED: tuple[Callable[[Path], Sample], ...] = (
    empty,
    truncated_jpeg,
    truncated_progressive_jpeg,
    jpeg_missing_end,
    jpeg_garbage,
    text_named_jpg,
    gif,
    pdf,
    avif,
    png_bomb,
    big_60mb,
    truncated_png,
    truncated_webp,
    truncated_heic,
)
ACCEPTED: tuple[Callable[[Path], Sample], ...] = (
    real_jpeg,
    heic,
    cmyk_jpeg,
    grey_jpeg,
    rotated_6,
    rotated_8,
    png16_grey,
    png16_rgb,
    rgba_png,
    palette_png,
    webp,
    webp_alpha,
)
# Complete files (a JPEG ending in its end-of-image marker) whose damage only a decode finds: the upload
# reads headers only and accepts them; the processing job's decode fails them (imaging.inspect).
FAILED_IN_JOB: tuple[Callable[[Path], Sample], ...] = (jpeg_damaged_middle,)
REFUSED_NAMES = [f.__name__ for f in REFUSED]
ACCEPTED_NAMES = [f.__name__ for f in ACCEPTED]
FAILED_IN_JOB_NAMES = [f.__name__ for f in FAILED_IN_JOB]
CASES: dict[str, Callable[[Path], Sample]] = {f.__name__: f for f in (*REFUSED, *ACCEPTED, *FAILED_IN_JOB)}


class Corpus:
    """Builds each case at most once, in its own sub-directory of ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._built: dict[str, Sample] = {}

    def __getitem__(self, name: str) -> Sample:
        if name not in self._built:
            d = self.root / name
            d.mkdir(parents=True, exist_ok=True)
            self._built[name] = CASES[name](d)
        return self._built[name]
