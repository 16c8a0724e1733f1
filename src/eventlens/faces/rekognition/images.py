"""The JPEG sent to Rekognition: the decode processing already made, under the 5 MB limit on image bytes."""

from __future__ import annotations

import io

from PIL import Image

# Rekognition refuses image bytes over 5 MB (base64 aside: the SDK sends raw bytes).
MAX_IMAGE_BYTES = 5 * 1024 * 1024
QUALITY = 90
SHRINK = 0.8


def jpeg_under(image: Image.Image, max_side: int, max_bytes: int = MAX_IMAGE_BYTES) -> bytes:
    """``image`` as a JPEG of at most ``max_side`` px on its long side and at most ``max_bytes``.

    No metadata: the pixels are already upright, so nothing else can rotate them.
    """
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    scale = min(1.0, max_side / max(rgb.size))
    while True:
        size = (max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale)))
        copy = rgb if size == rgb.size else rgb.resize(size, Image.Resampling.LANCZOS)
        buf = io.BytesIO()
        copy.save(buf, "JPEG", quality=QUALITY)
        if buf.tell() <= max_bytes:
            return buf.getvalue()
        scale *= SHRINK
