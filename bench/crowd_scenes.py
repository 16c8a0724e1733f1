"""Crowd scenes for ``bench/crowd.py``: identity photos pasted at known face widths over textures.

A scene is a JPEG (24 MP by default) and a JSON file beside it with the ground truth: for each pasted
face its identity, its box in the scene's pixels, the width bin and the variants applied. The face box
inside a source photo is the largest face the project's engine finds on it at native resolution, so
the ground-truth box is that box, scaled and moved with the paste. Other faces the engine finds in the
pasted part of a source photo (a bystander in a news photo) are listed as ``bystanders``: real faces,
but nobody's to find.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

Box = tuple[float, float, float, float]  # x, y, width, height
Detector = Callable[[np.ndarray], list[Box]]  # RGB image -> face boxes, largest first

# Width bins of issue 9 (face width in original pixels) and the widths drawn in each (16..160 px).
BINS: tuple[tuple[str, float, float], ...] = (
    ("<24", 0, 24),
    ("24-40", 24, 40),
    ("40-64", 40, 64),
    ("64-96", 64, 96),
    (">=96", 96, float("inf")),
)
DRAWN_WIDTHS: tuple[tuple[float, float], ...] = ((16, 24), (24, 40), (40, 64), (64, 96), (96, 160))
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}
# Textured backgrounds only: the dataset's dog and cat photos are detector hard negatives, not textures.
TEXTURE_WORDS = ("brick", "grass", "gravel", "coffee", "rocket", "cars", "eagle")
# A face that fills its photo leaves no head and shoulders around it (dlib's aligned chips).
MAX_FACE_FRACTION = 0.55


def bin_of(width: float) -> str:
    for label, low, high in BINS:
        if low <= width < high:
            return label
    return BINS[-1][0]


@dataclass(frozen=True)
class Source:
    path: Path
    box: Box  # the largest face, pixels of the source photo
    others: tuple[Box, ...] = ()  # the other faces found on it


@dataclass
class Catalog:
    """Who can appear in scenes: per identity, a held-out selfie and the photos that may be pasted."""

    selfies: dict[str, Path] = field(default_factory=dict)
    pool: dict[str, list[Source]] = field(default_factory=dict)


def read_rgb(path: Path) -> np.ndarray:
    data = np.fromfile(path, dtype=np.uint8)
    bgr = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if bgr is None:
        raise ValueError(f"cannot decode {path}")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def build_catalog(
    dataset: Path,
    detect: Detector,
    rng: np.random.Generator,
    people: int | None = None,
    per_person: int | None = None,
    cache: dict[str, list[list[float]] | None] | None = None,
) -> Catalog:
    """Each identity with a usable face in two or more photos: one photo (drawn) is kept out as the selfie.

    ``people`` and ``per_person`` cap how many identities and photos of each are looked at (tests).
    ``cache`` (photo path -> its faces, largest first, or None when unusable) saves detecting again; it is
    filled as photos are seen.
    """
    catalog = Catalog()
    seen = {} if cache is None else cache
    folders = sorted(p for p in (dataset / "identities").iterdir() if p.is_dir())
    for folder in folders[:people] if people else folders:
        usable: list[Source] = []
        paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        for path in paths[:per_person] if per_person else paths:
            key = str(path.relative_to(dataset))
            if key not in seen:
                seen[key] = _usable_face(read_rgb(path), detect)
            boxes = seen[key]
            if boxes:
                main, *others = (_box(b) for b in boxes)
                usable.append(Source(path, main, tuple(others)))
        if len(usable) < 2:
            continue
        order = rng.permutation(len(usable))
        catalog.selfies[folder.name] = usable[order[0]].path
        catalog.pool[folder.name] = [usable[i] for i in order[1:]]
    return catalog


def _usable_face(image: np.ndarray, detect: Detector) -> list[list[float]] | None:
    boxes = detect(image)
    if not boxes or boxes[0][2] > MAX_FACE_FRACTION * min(image.shape[:2]):
        return None
    return [[float(v) for v in box] for box in boxes]


def _box(values: Sequence[float]) -> Box:
    return (values[0], values[1], values[2], values[3])


def textures(dataset: Path) -> list[Path]:
    found = sorted(
        p
        for p in (dataset / "nofaces").iterdir()
        if p.suffix.lower() in IMAGE_SUFFIXES and any(w in p.name for w in TEXTURE_WORDS)
    )
    if not found:
        raise SystemExit(f"no texture photos in {dataset / 'nofaces'}")
    return found


def _mirrored(length: int, period: int, offset: int) -> np.ndarray:
    """Indices that walk a tile forwards then backwards (so copies meet without a seam)."""
    i = (np.arange(length) + offset) % (2 * period)
    return np.where(i < period, i, 2 * period - 1 - i)


def background(size: tuple[int, int], texture_paths: Sequence[Path], rng: np.random.Generator) -> np.ndarray:
    """Two textures, tiled at a random scale, blended top to bottom, unevenly lit.

    Built at half size and enlarged: the textures are enlarged anyway, and it is four times cheaper.
    """
    width, height = size[0] // 2, size[1] // 2
    layers = []
    for path in texture_paths:
        tile = read_rgb(path)
        if rng.random() < 0.5:  # tint grey textures (brick, grass) so the scene is not monochrome
            tile = np.clip(tile * rng.uniform(0.8, 1.2, 3), 0, 255).astype(np.uint8)
        factor = rng.uniform(0.6, 1.5) * min(1.0, 1500 / max(tile.shape[:2]))
        tile = cv2.resize(tile, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
        rows = _mirrored(height, tile.shape[0], int(rng.integers(0, tile.shape[0])))
        cols = _mirrored(width, tile.shape[1], int(rng.integers(0, tile.shape[1])))
        layers.append(tile[rows][:, cols])
    ramp = np.linspace(0.0, 1.0, height, dtype=np.float32)
    ramp = np.clip((ramp - rng.uniform(0.3, 0.7)) * 4 + 0.5, 0, 1)
    light = cv2.resize(
        rng.uniform(0.55, 1.3, (4, 6)).astype(np.float32), (width, height), interpolation=cv2.INTER_CUBIC
    )
    top = cv2.multiply(layers[0], np.dstack([light * (1 - ramp[:, None])] * 3), dtype=cv2.CV_8U)
    bottom = cv2.multiply(layers[-1], np.dstack([light * ramp[:, None]] * 3), dtype=cv2.CV_8U)
    return cv2.resize(cv2.add(top, bottom), size, interpolation=cv2.INTER_LINEAR)


def head_and_shoulders(image: np.ndarray, box: Box) -> tuple[np.ndarray, int, int]:
    """The crop around a face (head and shoulders, clipped to the photo) and its top-left corner."""
    x, y, w, h = box
    cx = x + w / 2
    x0, x1 = max(0, int(cx - 1.2 * w)), min(image.shape[1], int(np.ceil(cx + 1.2 * w)))
    y0, y1 = max(0, int(y - 0.6 * h)), min(image.shape[0], int(np.ceil(y + 2.0 * h)))
    return image[y0:y1, x0:x1], x0, y0


def soft_mask(height: int, width: int) -> np.ndarray:
    """An ellipse filling the patch, fading out towards its edge: no hard edge for a detector to see."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    r2 = ((xx + 0.5) / width * 2 - 1) ** 2 + ((yy + 0.5) / height * 2 - 1) ** 2
    t = np.clip((1 - r2) / 0.45, 0, 1)
    return (t * t * (3 - 2 * t))[:, :, None]


def _free(rect: tuple[int, int, int, int], taken: list[tuple[int, int, int, int]], gap: int) -> bool:
    x, y, w, h = rect
    return all(
        x + w + gap <= tx or tx + tw + gap <= x or y + h + gap <= ty or ty + th + gap <= y
        for tx, ty, tw, th in taken
    )


def _moved(b: Box, place: tuple[float, float, float, float, float, float]) -> Box:
    x0, y0, sx, sy, px, py = place
    return ((b[0] - x0) * sx + px, (b[1] - y0) * sy + py, b[2] * sx, b[3] * sy)


def compose(
    catalog: Catalog,
    size: tuple[int, int],
    widths: Sequence[float],
    texture_paths: Sequence[Path],
    rng: np.random.Generator,
) -> tuple[np.ndarray, list[dict[str, object]], list[list[float]]]:
    """A scene with one face per width, each a different identity: pixels, faces, bystanders' boxes."""
    people = sorted(catalog.pool)
    if len(widths) > len(people):
        raise ValueError(f"{len(widths)} faces asked for, only {len(people)} identities usable")
    chosen = [people[i] for i in rng.permutation(len(people))[: len(widths)]]
    canvas = background(size, texture_paths, rng)
    taken: list[tuple[int, int, int, int]] = []
    truth: list[dict[str, object]] = []
    bystanders: list[list[float]] = []
    # Largest first: they are the hardest to fit.
    for width, person in sorted(zip(widths, chosen, strict=True), key=lambda wp: -wp[0]):
        pool = catalog.pool[person]
        source = pool[int(rng.integers(0, len(pool)))]
        crop, cx0, cy0 = head_and_shoulders(read_rgb(source.path), source.box)
        scale = width / source.box[2]
        pw, ph = max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale))
        interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
        patch = cv2.resize(crop, (pw, ph), interpolation=interp).astype(np.float32)
        sx, sy = pw / crop.shape[1], ph / crop.shape[0]
        blur = float(rng.uniform(0.6, 1.5)) if rng.random() < 0.3 else 0.0
        if blur:
            patch = cv2.GaussianBlur(patch, (0, 0), blur)
        patch *= rng.uniform(0.8, 1.15)  # lighting differs across a crowd
        for _attempt in range(5000):
            px, py = int(rng.integers(0, size[0] - pw)), int(rng.integers(0, size[1] - ph))
            if _free((px, py, pw, ph), taken, gap=4):
                break
        else:
            raise RuntimeError("no room left in the scene: ask for fewer faces or a bigger canvas")
        taken.append((px, py, pw, ph))
        region = canvas[py : py + ph, px : px + pw].astype(np.float32)
        mask = soft_mask(ph, pw)
        canvas[py : py + ph, px : px + pw] = np.clip(patch * mask + region * (1 - mask), 0, 255).astype(
            np.uint8
        )

        # Source pixels -> scene pixels: from the crop's corner to the paste position, scaled.
        place = (cx0, cy0, sx, sy, px, py)
        box = _moved(source.box, place)
        for other in (_moved(b, place) for b in source.others):
            centre = (other[0] + other[2] / 2, other[1] + other[3] / 2)
            if px <= centre[0] < px + pw and py <= centre[1] < py + ph:
                bystanders.append([round(v, 2) for v in other])
        truth.append(
            {
                "identity": person,
                "source": source.path.name,
                "box": [round(v, 2) for v in box],
                "bin": bin_of(box[2]),
                "blur_sigma": round(blur, 2),
            }
        )
    return canvas, truth, bystanders


def add_noise(canvas: np.ndarray, sigma: float, rng: np.random.Generator) -> None:
    """Sensor noise, in place, a band of rows at a time (a 24 MP float copy would be 300 MB)."""
    for top in range(0, canvas.shape[0], 400):
        band = canvas[top : top + 400]
        grain = rng.standard_normal(band.shape, dtype=np.float32) * sigma
        band[...] = np.clip(band + grain, 0, 255).astype(np.uint8)


def widths_for(count: int, start: int, rng: np.random.Generator) -> list[float]:
    """``count`` face widths taking the bins in turn from ``start`` (so every bin gets its share)."""
    out = []
    for i in range(count):
        low, high = DRAWN_WIDTHS[(start + i) % len(DRAWN_WIDTHS)]
        out.append(float(np.exp(rng.uniform(np.log(low), np.log(high)))))
    return out


def write_scene(
    out_dir: Path,
    index: int,
    catalog: Catalog,
    dataset: Path,
    size: tuple[int, int],
    faces: int,
    rng: np.random.Generator,
) -> Path:
    """Generate scene ``index``: its JPEG and ground-truth JSON in ``out_dir``; returns the JSON's path."""
    all_textures = textures(dataset)
    picked = [all_textures[i] for i in rng.choice(len(all_textures), 2, replace=len(all_textures) < 2)]
    canvas, truth, bystanders = compose(catalog, size, widths_for(faces, index * faces, rng), picked, rng)
    sigma = float(rng.uniform(2.0, 6.0))
    add_noise(canvas, sigma, rng)
    quality = int(rng.integers(70, 93))
    name = f"scene-{index:03d}"
    ok, jpeg = cv2.imencode(
        ".jpg", cv2.cvtColor(canvas, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality]
    )
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    (out_dir / f"{name}.jpg").write_bytes(jpeg.tobytes())
    meta = {
        "image": f"{name}.jpg",
        "size": list(size),
        "jpeg_quality": quality,
        "noise_sigma": round(sigma, 2),
        "textures": [p.name for p in picked],
        "faces": truth,
        "bystanders": bystanders,
    }
    path = out_dir / f"{name}.json"
    path.write_text(json.dumps(meta, indent=1))
    return path
