"""The image layer against real photos and the odd-file corpus (see badfiles.py)."""

from __future__ import annotations

import io
import struct
import warnings
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pillow_heif
import pytest
from PIL import ExifTags, Image, ImageCms, ImageFile, JpegImagePlugin

from eventlens.photos import imaging
from eventlens.photos.errors import (
    CorruptImage,
    EmptyFile,
    IngestError,
    TooLarge,
    TooManyPixels,
    UnsupportedType,
)
from eventlens.photos.imaging import (
    NON_JPEG_MAX_PIXELS,
    ImageKind,
    inspect,
    load_for_analysis,
    make_renditions,
    sniff,
    sniff_bytes,
)

from .badfiles import (
    ACCEPTED_NAMES,
    FAILED_IN_JOB_NAMES,
    LANDSCAPE,
    MAX_PIXELS,
    PORTRAIT,
    REFUSED_NAMES,
    SMALL_JPEG,
    Corpus,
    dataset_path,
    dataset_rgb,
    encode,
    exif_oriented_jpeg,
    group_webp,
    jpeg_declaring,
    stored_for_orientation,
)

# --- helpers ---------------------------------------------------------------------------------------------


def mad(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference per channel value, after bringing ``b`` to ``a``'s size."""
    assert a.mode == "RGB", a.mode
    if b.size != a.size:
        b = b.resize(a.size, Image.Resampling.LANCZOS)
    return float(np.abs(np.asarray(a, dtype=np.int16) - np.asarray(b.convert("RGB"), dtype=np.int16)).mean())


def open_webp(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    assert im.format == "WEBP"
    im.load()
    return im


def dihedral(im: Image.Image) -> Iterator[tuple[int, Image.Image]]:
    """The eight orientations of ``im``, keyed by the EXIF value that would display them as ``im``."""
    arr = np.asarray(im)
    for orientation in range(1, 9):
        yield orientation, Image.fromarray(np.ascontiguousarray(stored_for_orientation(arr, orientation)))


@pytest.fixture
def draft_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Records (size before, size after) of every JPEG draft() call."""
    calls: list[tuple[tuple[int, int], tuple[int, int]]] = []
    original = JpegImagePlugin.JpegImageFile.draft

    def spy(self: JpegImagePlugin.JpegImageFile, mode: str | None, size: tuple[int, int] | None) -> object:
        before = self.size
        result = original(self, mode, size)
        calls.append((before, self.size))
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    return calls


# --- the exceptions --------------------------------------------------------------------------------------


def test_exceptions_carry_status_code_and_message() -> None:
    cases: list[tuple[IngestError, int, str]] = [
        (UnsupportedType("a GIF"), 415, "unsupported_media_type"),
        (TooManyPixels(120_000_000, 900_000_000), 413, "too_many_pixels"),
        (CorruptImage("decoder error -2"), 422, "corrupt_image"),
        (EmptyFile(), 422, "empty_file"),
        (TooLarge(50 * 2**20), 413, "file_too_large"),
    ]
    for exc, status, code in cases:
        assert (exc.status, exc.code) == (status, code)
        assert exc.message and str(exc) == exc.message
    assert "a GIF" in UnsupportedType("a GIF").message
    assert "120 megapixels" in TooManyPixels(120_000_000, 900_000_000).message
    assert "900 megapixels" in TooManyPixels(120_000_000, 900_000_000).message
    assert "50 MB" in TooLarge(50 * 2**20).message
    assert "50 MB" in TooLarge(50_000_000).message
    # The decoder's complaint is for logs, not for the person uploading.
    assert "decoder" not in CorruptImage("decoder error -2").message


# --- sniffing --------------------------------------------------------------------------------------------


def _ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\x00\x00\x00\x00" + b"".join(compatible)
    return struct.pack(">I", 8 + len(body)) + b"ftyp" + body + b"\x00" * 16


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\xff\xd8\xff\xe1" + b"\x00" * 8, ImageKind.JPEG),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 8, ImageKind.PNG),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", ImageKind.WEBP),
        (_ftyp(b"heic", b"mif1", b"heic"), ImageKind.HEIC),
        (_ftyp(b"mif1", b"heic"), ImageKind.HEIC),  # brand order does not matter
        (_ftyp(b"heix", b"mif1"), ImageKind.HEIC),
        (_ftyp(b"msf1", b"hevc"), ImageKind.HEIC),
        (_ftyp(b"mif1", b"mif1"), ImageKind.HEIF),
        (_ftyp(b"msf1"), ImageKind.HEIF),
    ],
)
def test_sniff_recognises_accepted_types(head: bytes, kind: ImageKind) -> None:
    assert sniff_bytes(head) is kind


@pytest.mark.parametrize(
    ("head", "detected"),
    [
        (b"GIF89a" + b"\x00" * 10, "a GIF"),
        (b"%PDF-1.7\n", "a PDF"),
        (b"II*\x00\x08\x00\x00\x00", "a TIFF or camera RAW file"),
        (_ftyp(b"avif", b"mif1", b"miaf"), "an AVIF image"),
        (_ftyp(b"crx ", b"isom"), "a camera RAW file"),
        (_ftyp(b"isom", b"mp41"), "a video or other ISO media file"),
        (b"hello, this is a text file\n", "a text file"),
        (b"\x00\x01\x02\x03\xfe\xfe", None),
    ],
)
def test_sniff_refuses_other_types_with_a_useful_message(head: bytes, detected: str | None) -> None:
    with pytest.raises(UnsupportedType) as info:
        sniff_bytes(head)
    assert info.value.detected == detected


def test_sniff_goes_by_content_not_name(tmp_path: Path) -> None:
    png_named_jpg = tmp_path / "really-a-png.jpg"
    png_named_jpg.write_bytes(encode(dataset_rgb(SMALL_JPEG), "PNG"))
    assert sniff(png_named_jpg) is ImageKind.PNG
    assert inspect(png_named_jpg, MAX_PIXELS).kind is ImageKind.PNG
    with pytest.raises(EmptyFile):
        sniff_bytes(b"")


def test_kind_has_mime_and_extension() -> None:
    assert [(k.mime, k.ext) for k in ImageKind] == [
        ("image/jpeg", "jpg"),
        ("image/png", "png"),
        ("image/webp", "webp"),
        ("image/heic", "heic"),
        ("image/heif", "heif"),
    ]


# --- the corpus ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", REFUSED_NAMES)
def test_corpus_refused(corpus: Corpus, name: str) -> None:
    sample = corpus[name]
    assert sample.error is not None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing from Pillow may leak as a warning either
        with pytest.raises(IngestError) as info:
            inspect(sample.path, MAX_PIXELS)
    assert type(info.value) is sample.error, info.value
    # The renditions and analysis paths refuse the same files, whichever check trips first.
    with pytest.raises(IngestError):
        make_renditions(sample.path, max_pixels=MAX_PIXELS)
    with pytest.raises(IngestError):
        load_for_analysis(sample.path, 320, max_pixels=MAX_PIXELS)


# How far decoded pixels may stray from the known picture (mean abs diff, 0-255). Lossy re-encoding
# costs 1-3; a wrong orientation, channel order, CMYK inversion or 16-bit scaling costs 8 to 100+.
ANALYSIS_TOLERANCE = 3.0
PREVIEW_TOLERANCE = 4.5


@pytest.mark.parametrize("name", ACCEPTED_NAMES)
def test_corpus_accepted(corpus: Corpus, name: str) -> None:
    sample = corpus[name]
    assert sample.error is None and sample.reference is not None and sample.size is not None
    info = inspect(sample.path, MAX_PIXELS)
    assert info.kind is sample.kind
    assert (info.width, info.height) == sample.size

    analysed = load_for_analysis(sample.path, 256)
    assert analysed.image.mode == "RGB"
    assert max(analysed.image.size) == min(256, max(sample.size))
    assert mad(analysed.image, sample.reference) < ANALYSIS_TOLERANCE

    renditions = make_renditions(sample.path)
    preview = open_webp(renditions.preview_webp)
    thumbnail = open_webp(renditions.thumbnail_webp)
    assert preview.mode == thumbnail.mode == "RGB"
    assert preview.size == renditions.preview_size and thumbnail.size == renditions.thumbnail_size
    assert max(preview.size) == min(1600, max(sample.size))
    assert max(thumbnail.size) == min(400, max(sample.size))
    assert mad(preview, sample.reference) < PREVIEW_TOLERANCE


def test_transparent_pixels_become_white(corpus: Corpus) -> None:
    analysed = load_for_analysis(corpus["rgba_png"].path, 256)
    right_edge = np.asarray(analysed.image)[:, -1]  # alpha is 0 along the right edge
    assert right_edge.min() >= 250


def test_sixteen_bit_grey_keeps_its_tones(corpus: Corpus) -> None:
    # Pillow's own I;16 → RGB conversion clips at 255 and would return an all-white picture.
    sample = corpus["png16_grey"]
    assert sample.reference is not None
    image = load_for_analysis(sample.path, 1024).image
    assert abs(np.asarray(image).mean() - np.asarray(sample.reference).mean()) < 1


def test_embedded_colour_profile_is_converted_to_srgb(dataset: Path, tmp_path: Path) -> None:
    # The real PNG's "Display" profile (Apple, P3-like primaries) makes a plain orange more saturated in sRGB.
    with Image.open(dataset / "identities/Alex_Lacamoire/1.png") as im:
        display_p3 = im.info["icc_profile"]
    orange = Image.new("RGB", (64, 64), (200, 100, 50))
    path = tmp_path / "p3.png"
    orange.save(path, icc_profile=display_p3)
    expected = ImageCms.profileToProfile(
        orange,
        ImageCms.ImageCmsProfile(io.BytesIO(display_p3)),
        ImageCms.createProfile("sRGB"),
        outputMode="RGB",
    )
    assert expected is not None
    got = load_for_analysis(path, 64).image.getpixel((32, 32))
    want = expected.getpixel((32, 32))
    assert isinstance(got, tuple) and isinstance(want, tuple)
    assert max(abs(g - w) for g, w in zip(got, want, strict=True)) <= 1
    assert max(abs(g - n) for g, n in zip(got, (200, 100, 50), strict=True)) >= 8

    # An sRGB profile leaves the pixels alone.
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    orange.save(path, icc_profile=srgb)
    assert load_for_analysis(path, 64).image.getpixel((32, 32)) == (200, 100, 50)


def test_real_rgba_png_with_display_profile(dataset: Path) -> None:
    path = dataset / "identities/Alex_Lacamoire/1.png"
    analysed = load_for_analysis(path, 320)
    assert analysed.image.mode == "RGB"
    assert analysed.image.size == (320, 297)


# --- decompression bombs ---------------------------------------------------------------------------------


def test_pixel_limit_checked_from_the_header(corpus: Corpus) -> None:
    with pytest.raises(TooManyPixels) as info:
        inspect(corpus["png_bomb"].path, MAX_PIXELS)
    # PNG cannot be decoded at reduced scale, so its cap is the lower NON_JPEG_MAX_PIXELS.
    assert info.value.pixels == 900_000_000 and info.value.limit == NON_JPEG_MAX_PIXELS
    assert "50 megapixels for PNG" in info.value.message


@pytest.mark.parametrize(
    ("size", "limit", "accepted"),
    [
        ((11_000, 10_000), 120_000_000, True),  # above Pillow's 89 MP warning, within our limit
        ((11_000, 10_000), 100_000_000, False),
        ((20_000, 10_000), 250_000_000, True),  # above Pillow's 179 MP error, within a raised limit
        ((20_000, 10_000), 120_000_000, False),
    ],
)
def test_our_limit_governs_not_pillows(
    tmp_path: Path, size: tuple[int, int], limit: int, accepted: bool
) -> None:
    path = tmp_path / "big.jpg"
    path.write_bytes(jpeg_declaring(*size))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a leaked DecompressionBombWarning fails the test
        if accepted:
            info = inspect(path, limit, verify=False)
            assert (info.width, info.height) == size
        else:
            with pytest.raises(TooManyPixels):
                inspect(path, limit, verify=False)


def test_pixel_limit_on_the_decoding_paths(corpus: Corpus) -> None:
    path = corpus["png_bomb"].path
    with pytest.raises(TooManyPixels):
        load_for_analysis(path, 640, max_pixels=MAX_PIXELS)
    with pytest.raises(TooManyPixels):
        make_renditions(path, max_pixels=MAX_PIXELS)


def test_pillow_bomb_error_is_translated(monkeypatch: pytest.MonkeyPatch, corpus: Corpus) -> None:
    def bomb(path: str) -> None:
        raise Image.DecompressionBombError("too big")

    monkeypatch.setitem(imaging._OPENERS, ImageKind.JPEG, bomb)
    with pytest.raises(TooManyPixels):
        inspect(corpus["real_jpeg"].path, MAX_PIXELS)


# --- verification and truncation -------------------------------------------------------------------------


@pytest.mark.parametrize("progressive", [False, True])
@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9, 0.999])
def test_draft_scale_verification_catches_truncation(
    jpeg_24mp: Path,
    tmp_path: Path,
    draft_calls: list[tuple[tuple[int, int], tuple[int, int]]],
    progressive: bool,
    keep: float,
) -> None:
    """Verifying at 1/8 scale still entropy-decodes every block, so any cut is noticed."""
    if progressive:
        source = tmp_path / "progressive.jpg"
        source.write_bytes(encode(dataset_rgb(LANDSCAPE), "JPEG", quality=90, progressive=True))
    else:
        source = jpeg_24mp
    data = source.read_bytes()
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(CorruptImage):
        inspect(cut, MAX_PIXELS)
    (before, after), *_ = draft_calls
    assert after == ((before[0] + 7) // 8, (before[1] + 7) // 8)  # really decoded at 1/8
    # A full-size decode agrees: the cut file is broken either way.
    with Image.open(cut) as im, pytest.raises(OSError, match="truncated"):
        im.load()


def test_24mp_inspect_reads_only_the_header_of_a_complete_jpeg(
    jpeg_24mp: Path,
    draft_calls: list[tuple[tuple[int, int], tuple[int, int]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A JPEG that ends in its EOI marker is complete: the upload's check decodes no pixel."""
    monkeypatch.setattr(ImageFile.ImageFile, "load", _no_decode)
    info = inspect(jpeg_24mp, MAX_PIXELS)
    assert (info.kind, info.width, info.height) == (ImageKind.JPEG, 6000, 4000)
    assert draft_calls == []


def _no_decode(self: ImageFile.ImageFile) -> None:
    raise AssertionError("decoded")


def test_jpeg_with_bytes_after_its_end_is_verified_by_decoding(
    jpeg_24mp: Path, tmp_path: Path, draft_calls: list[tuple[tuple[int, int], tuple[int, int]]]
) -> None:
    """Phones append a video (motion photos) or a trailer after the EOI marker: the file cannot prove
    itself complete by its ending, so it is decoded at 1/8 scale, and accepted."""
    path = tmp_path / "motion.jpg"
    path.write_bytes(jpeg_24mp.read_bytes() + b"\x00\x00\x00\x18ftypmp42" + bytes(2000))
    info = inspect(path, MAX_PIXELS)
    assert (info.width, info.height) == (6000, 4000)
    assert draft_calls == [((6000, 4000), (750, 500))]


@pytest.mark.parametrize("name", FAILED_IN_JOB_NAMES)
def test_damage_inside_a_complete_jpeg_is_found_by_the_decode(corpus: Corpus, name: str) -> None:
    sample = corpus[name]
    info = inspect(sample.path, MAX_PIXELS)  # the upload accepts it on its header and its ending
    assert info.kind is ImageKind.JPEG
    assert sample.error is not None
    with pytest.raises(sample.error):
        load_for_analysis(sample.path, 1600, slack=0.9)  # as the processing job decodes
    with pytest.raises(sample.error):
        make_renditions(sample.path)


def test_inspect_without_verify_reads_only_the_header(corpus: Corpus) -> None:
    info = inspect(corpus["truncated_jpeg"].path, MAX_PIXELS, verify=False)
    assert (info.width, info.height) == Image.open(dataset_path(LANDSCAPE)).size


def test_refuses_to_verify_with_truncated_loading_on(monkeypatch: pytest.MonkeyPatch, corpus: Corpus) -> None:
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.raises(RuntimeError, match="LOAD_TRUNCATED_IMAGES"):
        inspect(corpus["truncated_jpeg"].path, MAX_PIXELS)


def test_missing_file_is_not_a_corrupt_image(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        inspect(tmp_path / "nope.jpg", MAX_PIXELS)


# --- orientation -----------------------------------------------------------------------------------------


def test_exif_rotated_preview_comes_out_upright(corpus: Corpus) -> None:
    sample = corpus["rotated_6"]
    assert sample.reference is not None
    upright = sample.reference
    with Image.open(sample.path) as stored:
        assert stored.size == (upright.height, upright.width)  # really stored sideways
    info = inspect(sample.path, MAX_PIXELS)
    assert (info.orientation, info.width, info.height) == (6, *upright.size)

    preview = open_webp(make_renditions(sample.path).preview_webp)
    assert preview.size == upright.size
    assert mad(preview, upright) < 4
    # ...and clearly closer to upright than to any other orientation of the same size.
    wrong = [mad(preview, im) for k, im in dihedral(upright) if k != 1 and im.size == preview.size]
    assert min(wrong) > 4 * mad(preview, upright)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation(tmp_path: Path, orientation: int) -> None:
    upright = dataset_rgb(PORTRAIT, 300)
    path = exif_oriented_jpeg(tmp_path / f"o{orientation}.jpg", upright, orientation)
    info = inspect(path, MAX_PIXELS)
    assert (info.orientation, info.width, info.height) == (orientation, *upright.size)
    analysed = load_for_analysis(path, 200)
    assert analysed.image.size == (133, 200)
    scores = {k: mad(analysed.image, im) for k, im in dihedral(upright) if im.size == upright.size}
    assert min(scores, key=scores.__getitem__) == 1
    thumbnail = open_webp(make_renditions(path).thumbnail_webp)
    assert thumbnail.size == upright.size and mad(thumbnail, upright) < 4


def test_analysis_scale_maps_back_to_original(tmp_path: Path) -> None:
    """A red marker painted on the upright photo is found again, through rotation and shrinking."""
    upright = dataset_rgb(LANDSCAPE)  # 2500 x 1728
    box = (1800, 300, 1900, 400)
    upright.paste((255, 0, 0), box)
    path = exif_oriented_jpeg(tmp_path / "marked.jpg", upright, 6)

    analysed = load_for_analysis(path, 640)
    assert analysed.image.size == (640, 442)
    assert analysed.original_size == upright.size
    assert analysed.scale == pytest.approx(2500 / 640)

    arr = np.asarray(analysed.image).astype(int)
    red = (arr[..., 0] > 200) & (arr[..., 1] < 60) & (arr[..., 2] < 60)
    ys, xs = np.nonzero(red)
    found = analysed.to_original((xs.min(), ys.min(), xs.max() + 1, ys.max() + 1))
    assert found == pytest.approx(box, abs=2 * analysed.scale)


def test_analysis_decodes_big_jpegs_at_reduced_size(
    jpeg_24mp: Path, draft_calls: list[tuple[tuple[int, int], tuple[int, int]]]
) -> None:
    analysed = load_for_analysis(jpeg_24mp, 640)
    assert analysed.image.size == (640, 427)
    assert analysed.scale == pytest.approx(6000 / 640)
    assert draft_calls == [((6000, 4000), (750, 500))]


def test_slack_lets_a_24mp_jpeg_decode_at_quarter_scale(
    jpeg_24mp: Path, draft_calls: list[tuple[tuple[int, int], tuple[int, int]]]
) -> None:
    # What processing asks for: "about 1600 px" may be 1500 when libjpeg can then decode at 1/4.
    analysed = load_for_analysis(jpeg_24mp, 1600, slack=0.9)
    assert draft_calls == [((6000, 4000), (1500, 1000))]
    assert analysed.image.size == (1500, 1000)
    assert analysed.to_original((150, 100, 300, 200)) == pytest.approx((600, 400, 1200, 800))
    assert load_for_analysis(jpeg_24mp, 1600).image.size == (1600, 1067)  # no slack: the full 1600


def test_analysis_never_upscales(dataset: Path) -> None:
    analysed = load_for_analysis(dataset / SMALL_JPEG, 640)  # a 150 x 150 face chip
    assert analysed.image.size == (150, 150)
    assert analysed.scale == 1.0


# --- renditions ------------------------------------------------------------------------------------------


def test_renditions_of_a_24mp_jpeg(
    jpeg_24mp: Path, draft_calls: list[tuple[tuple[int, int], tuple[int, int]]]
) -> None:
    renditions = make_renditions(jpeg_24mp)
    # Decoded once, at half size: the largest libjpeg scale that still covers 1600 px.
    assert draft_calls == [((6000, 4000), (3000, 2000))]
    assert renditions.preview_size == (1600, 1067)
    assert renditions.thumbnail_size == (400, 267)
    preview = open_webp(renditions.preview_webp)
    assert preview.size == (1600, 1067)
    assert "exif" not in preview.info and "icc_profile" not in preview.info
    assert 20_000 < len(renditions.preview_webp) < 600_000
    assert 2_000 < len(renditions.thumbnail_webp) < 60_000
    with Image.open(jpeg_24mp) as im:
        im.draft("RGB", (1600, 1067))
        assert mad(preview, im.convert("RGB")) < 3


def test_renditions_never_upscale(dataset: Path) -> None:
    renditions = make_renditions(dataset / SMALL_JPEG)  # a 150 x 150 face chip
    assert renditions.preview_size == renditions.thumbnail_size == (150, 150)
    assert open_webp(renditions.preview_webp).size == (150, 150)


@pytest.mark.parametrize(
    ("rel", "preview", "thumbnail"),
    [
        ("identities/George_Clooney/3.jpg", (1065, 1600), (266, 400)),  # 3061 x 4600 portrait
        ("identities/Angelina_Jolie/1.jpg", (1184, 1600), (296, 400)),  # EXIF orientation 1
        ("nofaces/skimage_brick.png", (512, 512), (400, 400)),  # greyscale
    ],
)
def test_renditions_of_real_photos(
    dataset: Path, rel: str, preview: tuple[int, int], thumbnail: tuple[int, int]
) -> None:
    renditions = make_renditions(dataset / rel)
    assert (renditions.preview_size, renditions.thumbnail_size) == (preview, thumbnail)
    assert open_webp(renditions.thumbnail_webp).mode == "RGB"


def test_renditions_of_a_webp_group_photo(tmp_path: Path) -> None:
    path = tmp_path / "group.webp"
    path.write_bytes(group_webp())
    renditions = make_renditions(path)
    assert (renditions.preview_size, renditions.thumbnail_size) == ((800, 571), (400, 286))
    assert open_webp(renditions.thumbnail_webp).mode == "RGB"


# --- EXIF metadata ---------------------------------------------------------------------------------------


def jpeg_with_exif(path: Path, ifd0: Mapping[int, object], exif_ifd: Mapping[int, object]) -> Path:
    exif = Image.Exif()
    for tag, value in ifd0.items():
        exif[tag] = value
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    for tag, value in exif_ifd.items():
        sub[tag] = value
    path.write_bytes(encode(Image.new("RGB", (64, 48), "teal"), "JPEG", exif=exif))
    return path


T = ExifTags.Base


@pytest.mark.parametrize(
    ("exif_ifd", "expected"),
    [
        (
            {T.DateTimeOriginal: "2024:06:01 18:30:05", T.OffsetTimeOriginal: "+02:00"},
            datetime(2024, 6, 1, 16, 30, 5, tzinfo=UTC),
        ),
        (
            {T.DateTimeOriginal: "2024:06:01 18:30:05", T.OffsetTimeOriginal: "-05:30"},
            datetime(2024, 6, 2, 0, 0, 5, tzinfo=UTC),
        ),
        # No offset: the camera's clock is labelled UTC as recorded.
        ({T.DateTimeOriginal: "2024:06:01 18:30:05"}, datetime(2024, 6, 1, 18, 30, 5, tzinfo=UTC)),
        (
            {T.DateTimeOriginal: "2024:06:01 18:30:05", T.SubsecTimeOriginal: "42"},
            datetime(2024, 6, 1, 18, 30, 5, 420_000, tzinfo=UTC),
        ),
        ({T.DateTimeDigitized: "2023:12:31 23:59:59"}, datetime(2023, 12, 31, 23, 59, 59, tzinfo=UTC)),
        ({T.DateTimeOriginal: "0000:00:00 00:00:00"}, None),
        ({T.DateTimeOriginal: "    :  :     :  :  "}, None),
        ({}, None),
    ],
)
def test_taken_at(tmp_path: Path, exif_ifd: dict[int, object], expected: datetime | None) -> None:
    info = inspect(jpeg_with_exif(tmp_path / "t.jpg", {}, exif_ifd), MAX_PIXELS)
    assert info.taken_at == expected
    if info.taken_at is not None:
        assert info.taken_at.tzinfo is not None


def test_taken_at_keeps_the_recorded_offset(tmp_path: Path) -> None:
    path = jpeg_with_exif(
        tmp_path / "t.jpg", {}, {T.DateTimeOriginal: "2024:06:01 18:30:05", T.OffsetTimeOriginal: "+02:00"}
    )
    taken_at = inspect(path, MAX_PIXELS).taken_at
    assert taken_at is not None and taken_at.utcoffset() == timedelta(hours=2)
    assert taken_at.tzinfo == timezone(timedelta(hours=2))


@pytest.mark.parametrize(
    ("make", "model", "camera"),
    [
        ("Canon", "Canon EOS R5", "Canon EOS R5"),
        ("NIKON CORPORATION", "NIKON D850", "NIKON D850"),
        ("SONY", "ILCE-7M3", "SONY ILCE-7M3"),
        ("Apple", "iPhone 15 Pro", "Apple iPhone 15 Pro"),
        ("OLYMPUS IMAGING CORP.  ", "E-M1MarkII", "OLYMPUS E-M1MarkII"),
        ("EASTMAN KODAK COMPANY", "KODAK Z740 ZOOM DIGITAL CAMERA", "KODAK Z740 ZOOM DIGITAL CAMERA"),
        ("FUJIFILM", "X100V\x00\x00", "FUJIFILM X100V"),
        (None, "X100V", "X100V"),
        ("GoPro", None, "GoPro"),
        (None, None, None),
    ],
)
def test_camera(tmp_path: Path, make: str | None, model: str | None, camera: str | None) -> None:
    ifd0: dict[int, object] = {tag: v for tag, v in ((T.Make, make), (T.Model, model)) if v is not None}
    assert inspect(jpeg_with_exif(tmp_path / "c.jpg", ifd0, {}), MAX_PIXELS).camera == camera


def test_metadata_from_heic_and_webp(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[T.Make] = "Apple"
    exif[T.Model] = "iPhone 15 Pro"
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    sub[T.DateTimeOriginal] = "2024:06:01 18:30:05"
    sub[T.OffsetTimeOriginal] = "-04:00"
    picture = dataset_rgb(PORTRAIT, 320)

    heic = tmp_path / "IMG_0001.HEIC"
    buf = io.BytesIO()
    pillow_heif.from_pillow(picture).save(buf, quality=70, exif=exif.tobytes())
    heic.write_bytes(buf.getvalue())
    webp = tmp_path / "photo.webp"
    webp.write_bytes(encode(picture, "WEBP", exif=exif))

    for path, kind in ((heic, ImageKind.HEIC), (webp, ImageKind.WEBP)):
        info = inspect(path, MAX_PIXELS)
        assert info.kind is kind
        assert info.camera == "Apple iPhone 15 Pro"
        assert info.taken_at == datetime(2024, 6, 1, 22, 30, 5, tzinfo=UTC)
        assert (info.width, info.height) == picture.size


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data:UserWarning")
def test_broken_exif_does_not_reject_the_photo(tmp_path: Path) -> None:
    path = tmp_path / "badexif.jpg"
    path.write_bytes(encode(dataset_rgb(SMALL_JPEG), "JPEG", exif=b"Exif\x00\x00MM\x00*\x00\x00\xff\xff"))
    info = inspect(path, MAX_PIXELS)
    assert (info.orientation, info.taken_at, info.camera) == (1, None, None)
