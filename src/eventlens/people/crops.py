"""A face cut out of a photo's preview: square, with a margin, small, WebP (Pillow only)."""

from __future__ import annotations

import io

from PIL import Image

MARGIN = 0.75  # half the crop's side, in face sizes: the face and some hair and chin around it


def face_crop(
    preview: Image.Image,
    box: tuple[float, float, float, float],
    original_size: tuple[int, int],
    side: int,
) -> bytes:
    """WebP bytes of the face at ``box`` (x, y, w, h in pixels of the upright original) in ``preview``.

    ``original_size`` is the photo's stored size; it may be the file's before EXIF rotation, so the
    orientation the preview has decides which side is which.
    """
    width, height = original_size
    if (width > height) != (preview.width > preview.height):
        width, height = height, width
    sx, sy = preview.width / max(1, width), preview.height / max(1, height)
    x, y, w, h = box
    cx, cy = (x + w / 2) * sx, (y + h / 2) * sy
    half = max(w * sx, h * sy) * MARGIN
    area = (
        int(max(0, cx - half)),
        int(max(0, cy - half)),
        int(min(preview.width, cx + half)),
        int(min(preview.height, cy + half)),
    )
    crop = preview.convert("RGB").crop(area)
    crop.thumbnail((side, side))
    out = io.BytesIO()
    crop.save(out, "WEBP", quality=80)
    return out.getvalue()
