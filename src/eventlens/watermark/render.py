"""Drawing the mark onto an image, in place: no second full-size copy of a 24 MP photo.

The mark is white text with a dark outline (legible on light and dark photos) or the event's logo,
made once at the size it takes on this image, then pasted through its own alpha scaled by the opacity.
"""

from __future__ import annotations

import math

from PIL import Image, ImageDraw

from eventlens.watermark.fonts import Font
from eventlens.watermark.settings import Watermark

_MARGIN = 0.03  # of the short side, between the mark and the edge
_TILE_GAP = 0.6  # of the mark's own size, between tiles


def _text_mark(text: str, font: Font, width: int) -> Image.Image:
    probe = font.at(100)
    left, top, right, bottom = probe.getbbox(text, stroke_width=6)
    size = max(6, int(100 * width / max(1, right - left)))
    sized = font.at(size)
    stroke = max(1, size // 16)
    left, top, right, bottom = (round(v) for v in sized.getbbox(text, stroke_width=stroke))
    mark = Image.new("RGBA", (max(1, right - left), max(1, bottom - top)), (0, 0, 0, 0))
    ImageDraw.Draw(mark).text(
        (-left, -top),
        text,
        font=sized,
        fill=(255, 255, 255, 255),
        stroke_width=stroke,
        stroke_fill=(0, 0, 0, 255),
    )
    return mark


def _logo_mark(logo: Image.Image, width: int, max_height: int) -> Image.Image:
    scale = min(width / logo.width, max_height / logo.height)
    size = (max(1, round(logo.width * scale)), max(1, round(logo.height * scale)))
    return logo.convert("RGBA").resize(size, Image.Resampling.LANCZOS)


def make_mark(
    mark: Watermark, image_size: tuple[int, int], *, font: Font | None, logo: Image.Image | None
) -> Image.Image:
    """The mark (RGBA, opacity applied) at the size it takes on an image of ``image_size``."""
    width, height = image_size
    target = max(1, round(width * mark.size))
    if mark.kind == "logo" and logo is not None:
        drawn = _logo_mark(logo, target, max(1, round(height * mark.size * 1.5)))
    else:
        assert font is not None
        drawn = _text_mark(mark.text, font, target)
        if drawn.height > height * 0.8:  # a very wide photo: keep the text inside it
            scale = height * 0.8 / drawn.height
            drawn = drawn.resize((max(1, round(drawn.width * scale)), max(1, round(drawn.height * scale))))
    alpha = drawn.getchannel("A").point(lambda a: round(a * mark.opacity))
    drawn.putalpha(alpha)
    return drawn


def _places(mark: Watermark, size: tuple[int, int], mark_size: tuple[int, int]) -> list[tuple[int, int]]:
    width, height = size
    mw, mh = mark_size
    margin = round(min(width, height) * _MARGIN)
    right, bottom = width - mw - margin, height - mh - margin
    match mark.position:
        case "top-left":
            return [(margin, margin)]
        case "top-right":
            return [(right, margin)]
        case "bottom-left":
            return [(margin, bottom)]
        case "center":
            return [((width - mw) // 2, (height - mh) // 2)]
        case "tiled":
            step_x = mw + max(1, round(mw * _TILE_GAP))
            step_y = mh + max(1, round(mh * _TILE_GAP * 3))
            rows = math.ceil(height / step_y) + 1
            cols = math.ceil(width / step_x) + 1
            # Every other row shifted by half a step: no clean column runs down the photo.
            return [
                (c * step_x - (step_x // 2 if r % 2 else 0), r * step_y - mh // 3)
                for r in range(rows)
                for c in range(cols + 1)
            ]
        case _:
            return [(right, bottom)]


def stamp(image: Image.Image, mark: Watermark, *, font: Font | None, logo: Image.Image | None) -> Image.Image:
    """Burn ``mark`` into ``image`` (RGB, changed in place) and return it."""
    drawn = make_mark(mark, image.size, font=font, logo=logo)
    ink, alpha = drawn.convert("RGB"), drawn.getchannel("A")
    for place in _places(mark, image.size, drawn.size):
        image.paste(ink, place, alpha)
    return image


def mark_box(
    mark: Watermark, size: tuple[int, int], *, font: Font | None, logo: Image.Image | None
) -> list[tuple[int, int, int, int]]:
    """Where the mark lands on an image of ``size`` (left, top, right, bottom per copy), for tests and the
    preview of the settings form."""
    drawn = make_mark(mark, size, font=font, logo=logo)
    return [(x, y, x + drawn.width, y + drawn.height) for x, y in _places(mark, size, drawn.size)]
