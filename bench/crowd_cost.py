"""What an event's face_detail costs: processing time per 24 MP photo, standard vs crowd, on one core.

Builds one 6000 x 4000 JPEG (textured background, identity photos pasted so their faces are 40-160 px
wide), then times what the processing job does with it, minus storage and database:

- standard: decode at ~1600 px, previews, whole-image face pass;
- crowd: the same, plus a full-resolution decode and the engine's tiled pass.

    PYTHONPATH=src python bench/crowd_cost.py [--dataset ../shared/datasets/faces] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps

from eventlens.faces.engine.base import Box, Face, FaceEngine, covered
from eventlens.faces.engine.registry import load_engine
from eventlens.photos import imaging

SIZE = (6000, 4000)
WIDTHS = (40, 48, 56, 64, 80, 96, 128, 160)


def scene(engine: FaceEngine, dataset: Path, path: Path) -> list[tuple[float, Box]]:
    """Write the scene; return each pasted face's width and where its face box landed."""
    rng = np.random.default_rng(1)
    grass = Image.open(dataset / "nofaces/skimage_grass.png").convert("RGB")
    canvas = Image.new("RGB", SIZE)
    for y in range(0, SIZE[1], grass.height):
        for x in range(0, SIZE[0], grass.width):
            canvas.paste(grass, (x, y))
    people = sorted((dataset / "identities").iterdir())[:32]
    placed: list[tuple[float, Box]] = []
    for i, folder in enumerate(people):
        with Image.open(sorted(folder.iterdir())[0]) as im:
            photo = ImageOps.exif_transpose(im).convert("RGB")
        face = engine.embed_largest(np.asarray(photo))
        if face is None:
            continue
        s = WIDTHS[i % len(WIDTHS)] / face.box[2]
        patch = photo.resize((max(1, round(photo.width * s)), max(1, round(photo.height * s))))
        x = int(rng.integers(0, SIZE[0] - patch.width))
        y = int(rng.integers(0, SIZE[1] - patch.height))
        canvas.paste(patch, (x, y))
        fx, fy, fw, fh = (v * s for v in face.box)
        placed.append((WIDTHS[i % len(WIDTHS)], (x + fx, y + fy, fw, fh)))
    canvas.save(path, quality=90)
    return placed


def standard(engine: FaceEngine, path: Path) -> list[tuple[Box, bool]]:
    analysed = imaging.load_for_analysis(path, imaging.PREVIEW_SIDE, slack=0.9)
    imaging.renditions_of(analysed.image)
    return found(engine, analysed, engine.detect_and_embed(np.asarray(analysed.image)))


def crowd(engine: FaceEngine, path: Path) -> list[tuple[Box, bool]]:
    analysed = imaging.load_for_analysis(path, imaging.PREVIEW_SIDE, slack=0.9)
    imaging.renditions_of(analysed.image)
    full = imaging.load_full_resolution(path)
    return found(engine, full, engine.detect_and_embed(np.asarray(full.image), tiles=True))


def found(engine: FaceEngine, analysed: imaging.Analysed, faces: list[Face]) -> list[tuple[Box, bool]]:
    """Boxes in the original's pixels, and whether each face would be searchable."""
    return [(analysed.to_original(f.box), engine.skip_reason(f) is None) for f in faces]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dataset", type=Path, default=Path("../shared/datasets/faces"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    cv2.setNumThreads(1)  # one core, as a worker per core would run it
    engine = load_engine()
    engine.warm_up()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "crowd.jpg"
        placed = scene(engine, args.dataset, path)
        size = path.stat().st_size / 1e6
        print(f"24 MP scene: {len(placed)} faces pasted, 40-160 px wide, {size:.1f} MB JPEG")
        print("pasted faces found (of them searchable) / pasted, by face width in px:")
        print(f"  {'':9s} {' '.join(f'{w:>8d}' for w in WIDTHS)}")
        for name, run in (("standard", standard), ("crowd", crowd)):
            times: list[float] = []
            faces: list[tuple[Box, bool]] = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                faces = run(engine, path)
                times.append(time.perf_counter() - start)
            cells = []
            for width in WIDTHS:
                boxes = [box for w, box in placed if w == width]
                hits = [[ok for f, ok in faces if covered(f, box) > 0.5] for box in boxes]
                cells.append(f"{sum(bool(h) for h in hits)}({sum(any(h) for h in hits)})/{len(boxes)}")
            print(f"  {name:9s} {' '.join(f'{c:>8s}' for c in cells)}")
            median = statistics.median(times)
            print(
                f"  {name:9s} {median:.2f} s per photo (median of {args.repeat}), {len(faces)} faces in all"
            )


if __name__ == "__main__":
    main()
