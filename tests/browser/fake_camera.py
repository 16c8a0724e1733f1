"""A Y4M video for Chromium's fake camera, made from a still photo (the "guest" in front of the camera)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

WIDTH, HEIGHT = 640, 480


def still_to_y4m(photo: Path, dest: Path, frames: int = 3) -> Path:
    """``photo`` letterboxed into 640 x 480, as a few identical 4:2:0 frames."""
    with Image.open(photo) as im:
        im = im.convert("RGB")
        im.thumbnail((WIDTH, HEIGHT))
        canvas = Image.new("RGB", (WIDTH, HEIGHT), (40, 40, 40))
        canvas.paste(im, ((WIDTH - im.width) // 2, (HEIGHT - im.height) // 2))
    y, cb, cr = (np.asarray(c, dtype=np.uint8) for c in canvas.convert("YCbCr").split())
    # 4:2:0: one chroma sample per 2 x 2 block, the block's mean.
    cb2, cr2 = (
        c.reshape(HEIGHT // 2, 2, WIDTH // 2, 2).mean(axis=(1, 3)).round().astype(np.uint8) for c in (cb, cr)
    )
    frame = b"FRAME\n" + y.tobytes() + cb2.tobytes() + cr2.tobytes()
    dest.write_bytes(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode() + frame * frames)
    return dest
