"""Crowd scenes made in the test: identity faces pasted at known widths onto a textured canvas."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter, ImageOps

from eventlens.faces.engine.base import FaceEngine


@dataclass(frozen=True)
class Placed:
    person: str
    source: str  # dataset path of the photo pasted
    box: tuple[float, float, float, float]  # where the detected face landed: x, y, width, height


def texture(dataset: Path, size: tuple[int, int], seed: int = 0) -> Image.Image:
    """A busy, non-face background (tiled brick and grass with noise), so the detector has work."""
    rng = np.random.default_rng(seed)
    canvas = Image.new("RGB", size)
    tiles = [Image.open(dataset / f"nofaces/skimage_{n}.png").convert("RGB") for n in ("brick", "grass")]
    for y in range(0, size[1], 512):
        for x in range(0, size[0], 512):
            canvas.paste(tiles[(x // 512 + y // 512) % 2], (x, y))
    noise = rng.normal(0, 6, (size[1], size[0], 3))
    pixels = np.clip(np.asarray(canvas, dtype=np.float32) + noise, 0, 255).astype(np.uint8)
    return Image.fromarray(pixels)


def face_patch(
    engine: FaceEngine, dataset: Path, source: str, width: float, blur: float = 0.0
) -> tuple[Image.Image, tuple[float, float, float, float]]:
    """The photo's head and shoulders scaled so its face is ``width`` px wide, and the face's box in it."""
    with Image.open(dataset / source) as im:
        photo = ImageOps.exif_transpose(im).convert("RGB")
    face = engine.embed_largest(np.asarray(photo))
    assert face is not None, f"no face in {source}"
    x, y, w, h = face.box
    cx, cy = x + w / 2, y + h / 2
    half = w * 1.1
    crop = photo.crop((round(cx - half), round(cy - half * 1.1), round(cx + half), round(cy + half * 1.3)))
    s = width / w
    patch = crop.resize(
        (max(1, round(crop.width * s)), max(1, round(crop.height * s))), Image.Resampling.LANCZOS
    )
    if blur:
        patch = patch.filter(ImageFilter.GaussianBlur(blur))
    ox, oy = round(cx - half), round(cy - half * 1.1)
    return patch, ((x - ox) * s, (y - oy) * s, w * s, h * s)


def crowd(
    engine: FaceEngine,
    dataset: Path,
    faces: list[tuple[str, float, float]],
    size: tuple[int, int] = (4000, 2400),
    seed: int = 0,
) -> tuple[Image.Image, list[Placed]]:
    """A canvas with each (source, width, blur) face pasted on a grid cell of its own."""
    canvas = texture(dataset, size, seed)
    cols = 4
    rows = (len(faces) + cols - 1) // cols
    cell_w, cell_h = size[0] // cols, size[1] // max(rows, 1)
    placed: list[Placed] = []
    for i, (source, width, blur) in enumerate(faces):
        patch, (fx, fy, fw, fh) = face_patch(engine, dataset, source, width, blur)
        # Off the cell's centre so faces do not sit on the tile grid in the same way every time.
        x = (i % cols) * cell_w + cell_w // 3
        y = (i // cols) * cell_h + cell_h // 3
        canvas.paste(patch, (x, y))
        placed.append(Placed(source.split("/")[1], source, (x + fx, y + fy, fw, fh)))
    return canvas, placed
