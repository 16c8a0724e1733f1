"""How small or blurred can a face be and still be recognised? Sets the engine's searchable cut-offs.

Each identity's first photo is the "selfie" (embedded at full size). Every other photo of the person is
shrunk so its face is W px wide (and optionally blurred), embedded from those pixels the way
processing does (landmarks from the full-size detection, scaled: this measures recognition, not
detection), and compared with the person's selfie (genuine) and with every other person's (impostor).
A face is worth indexing while genuine similarity still clears the match threshold and impostors do
not. Detection is reported separately (the engine run on the shrunk photo on a grey canvas).

    PYTHONPATH=src python bench/small_faces.py [--dataset ../shared/datasets/faces] [--per-person 8]

Prints one table by face width, one by blur (sigma in pixels of the shrunk photo) at a few widths,
and true-accept / false-accept rates by crop sharpness (variance of the Laplacian of the aligned
112 x 112 crop, the measure processing stores).
"""

from __future__ import annotations

import argparse
import itertools
import sys
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageFilter, ImageOps

from eventlens.faces.engine.base import Face, sharpness_of
from eventlens.faces.engine.yunet_sface import YuNetSFaceEngine

WIDTHS = (12, 16, 20, 24, 28, 32, 40, 48, 64, 96)
BLUR_WIDTHS = (24, 32, 48, 96)
SIGMAS = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0)
SHARPNESS_BINS = (0, 3, 4, 5, 6, 8, 10, 12, 15, 20, 30, 50, 100, 1e9)


@dataclass
class Sample:
    width: float
    sigma: float
    sharpness: float
    genuine: float  # similarity to the same person's selfie
    impostor: float  # highest similarity to anyone else's selfie
    detected: bool


def upright(path: Path) -> Image.Image:
    with Image.open(path) as im:
        return ImageOps.exif_transpose(im).convert("RGB")


def embed_at(
    engine: YuNetSFaceEngine, recogniser: object, photo: Image.Image, face: Face, width: float, sigma: float
) -> tuple[np.ndarray, float, Image.Image]:
    s = width / face.box[2]
    small = photo.resize(
        (max(1, round(photo.width * s)), max(1, round(photo.height * s))), Image.Resampling.LANCZOS
    )
    if sigma:
        small = small.filter(ImageFilter.GaussianBlur(sigma))
    assert face.landmarks is not None
    points = np.array(face.landmarks, dtype=np.float32) * np.float32(s)
    bgr = cv2.cvtColor(np.asarray(small), cv2.COLOR_RGB2BGR)
    aligned = engine._align(bgr, points)
    return engine._embed(recogniser, aligned), sharpness_of(aligned), small


def detected(engine: YuNetSFaceEngine, small: Image.Image, width: float) -> bool:
    canvas = Image.new("RGB", (max(320, small.width + 64), max(320, small.height + 64)), (128, 128, 128))
    canvas.paste(small, (32, 32))
    return any(abs(f.box[2] - width) < width * 0.5 for f in engine.detect_and_embed(np.asarray(canvas)))


def measure(dataset: Path, per_person: int) -> list[Sample]:
    engine = YuNetSFaceEngine()
    engine.warm_up()
    people: dict[str, list[tuple[Image.Image, Face]]] = {}
    for folder in sorted((dataset / "identities").iterdir()):
        found = []
        for path in sorted(folder.iterdir())[: per_person + 1]:
            photo = upright(path)
            face = engine.embed_largest(np.asarray(photo))
            if face is not None:
                found.append((photo, face))
        if len(found) >= 2:
            people[folder.name] = found
    names = list(people)
    selfies = np.stack([people[n][0][1].embedding for n in names])
    samples: list[Sample] = []
    with engine._nets() as (_detector, recogniser):
        for i, name in enumerate(names):
            for photo, face in people[name][1:]:
                native = face.box[2]
                runs = [(w, 0.0) for w in WIDTHS] + [(w, s) for w in BLUR_WIDTHS for s in SIGMAS if s]
                for width, sigma in runs:
                    if width > native * 1.05:
                        continue  # never enlarge: that would invent detail
                    vec, sharp, small = embed_at(engine, recogniser, photo, face, width, sigma)
                    sims = np.clip(selfies @ vec, 0.0, 1.0)
                    others = np.delete(sims, i)
                    samples.append(
                        Sample(
                            width,
                            sigma,
                            sharp,
                            float(sims[i]),
                            float(others.max()),
                            detected(engine, small, width),
                        )
                    )
        print(
            f"{len(names)} people, {sum(len(v) - 1 for v in people.values())} probe photos", file=sys.stderr
        )
    return samples


def rates(group: list[Sample], threshold: float) -> str:
    g = np.array([s.genuine for s in group])
    imp = np.array([s.impostor for s in group])
    sharp = np.array([s.sharpness for s in group])
    return (
        f"{len(group):5d}  det {np.mean([s.detected for s in group]):.2f}  genuine {np.median(g):.2f}  "
        f"TAR {np.mean(g >= threshold):.2f}  FAR {np.mean(imp >= threshold):.3f}  "
        f"sharp p10/p50 {np.percentile(sharp, 10):5.0f}/{np.percentile(sharp, 50):5.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dataset", type=Path, default=Path("../shared/datasets/faces"))
    parser.add_argument(
        "--per-person", type=int, default=8, help="probe photos per person (after the selfie)"
    )
    args = parser.parse_args()
    threshold = YuNetSFaceEngine.match_threshold
    engine_min_width = max(24, round(YuNetSFaceEngine.min_searchable_width))
    samples = measure(args.dataset, args.per_person)
    print(f"match threshold {threshold}: TAR = genuine >= threshold, FAR = any impostor >= threshold\n")
    print("face width (px), no blur")
    for width in WIDTHS:
        group = [s for s in samples if s.width == width and s.sigma == 0]
        if group:
            print(f"  {width:4d}  {rates(group, threshold)}")
    print("\nblur sigma (px of the shrunk photo)")
    for width in BLUR_WIDTHS:
        for sigma in SIGMAS:
            group = [s for s in samples if s.width == width and s.sigma == sigma]
            if group:
                print(f"  w{width:3d} s{sigma:3.1f}  {rates(group, threshold)}")
    print(f"\ncrop sharpness, faces >= {engine_min_width} px, all blur levels")
    big = [s for s in samples if s.width >= engine_min_width]
    for lo, hi in itertools.pairwise(SHARPNESS_BINS):
        group = [s for s in big if lo <= s.sharpness < hi]
        if group:
            print(f"  [{lo:4.0f}, {hi:5.0f})  {rates(group, threshold)}")


if __name__ == "__main__":
    main()
