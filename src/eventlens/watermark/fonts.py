"""Which font draws a watermark's text: the first of a short list that has every character of it.

No font is downloaded and none ships with EventLens. Pillow's bundled default font (Aileron) has only
plain ASCII letters, so fonts the system already has are tried first: DejaVu Sans (Latin, Greek,
Cyrillic; Debian's fonts-dejavu-core, on most machines) and, for Thai, Noto Sans Thai (fonts-noto-core)
or the TLWG fonts (fonts-thai-tlwg). Text no available font can draw is refused when it is set, rather
than burnt in as empty boxes. Raqm (bundled with Pillow's wheels) shapes Thai and other complex scripts.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from PIL import ImageFont

FontObject = ImageFont.FreeTypeFont | ImageFont.ImageFont | ImageFont.TransposedFont

_SYSTEM_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    Path("/usr/share/fonts/truetype/noto/NotoSansThai-Bold.ttf"),
    Path("/usr/share/fonts/truetype/noto/NotoSansThai-Regular.ttf"),
    Path("/usr/share/fonts/truetype/tlwg/Loma-Bold.ttf"),
    Path("/usr/share/fonts/truetype/tlwg/Garuda-Bold.ttf"),
    Path("/usr/share/fonts/truetype/tlwg/Loma.ttf"),
)
_PROBE_SIZE = 40
_NOT_A_CHARACTER = "\uffff"  # no font has it: what a font draws for it is its "missing glyph" box


@dataclass(frozen=True)
class Font:
    name: str  # part of the watermark's fingerprint: another font is another rendition
    path: Path | None  # None: Pillow's bundled default font

    def at(self, size: int) -> ImageFont.FreeTypeFont:
        if self.path is None:
            font = ImageFont.load_default(size)
            assert isinstance(font, ImageFont.FreeTypeFont)  # Pillow is built with FreeType
            return font
        return ImageFont.truetype(str(self.path), size)


PILLOW_DEFAULT = Font("pillow-default", None)


@functools.cache
def available() -> tuple[Font, ...]:
    found = tuple(Font(p.stem, p) for p in _SYSTEM_FONTS if p.is_file())
    return (*found, PILLOW_DEFAULT)


def _glyph(font: ImageFont.FreeTypeFont, char: str) -> tuple[tuple[int, int], bytes, float]:
    mask = font.getmask(char)
    return mask.size, bytes(mask), font.getlength(char)


@functools.lru_cache(maxsize=4096)
def _has(font: Font, char: str) -> bool:
    sized = font.at(_PROBE_SIZE)
    return _glyph(sized, char) != _glyph(sized, _NOT_A_CHARACTER)


def _needs_glyph(char: str) -> bool:
    # Spaces and combining marks draw nothing alone; whether they are there is not worth a box.
    return not (char.isspace() or unicodedata.category(char) in ("Mn", "Me", "Cf"))


def missing(font: Font, text: str) -> list[str]:
    return sorted({c for c in text if _needs_glyph(c) and not _has(font, c)})


def font_for(text: str) -> Font | None:
    """The first available font with every character of ``text``; None when there is none."""
    for font in available():
        if not missing(font, text):
            return font
    return None


def undrawable(text: str) -> list[str]:
    """The characters of ``text`` that no single available font can draw with the rest (best font's)."""
    return min((missing(f, text) for f in available()), key=len)
