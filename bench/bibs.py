"""Bib search on real photos with race bibs pinned on: recall by digit height, precision, cost per photo.

Each photo of the dataset (those at least 360 px on their short side, enlarged or shrunk to 1600 px on
the long side, the size processing reads bibs at) gets one bib: a white card with 2-5 black digits of
a chosen height (12-80 px), in one of a few Debian fonts (DejaVu, Liberation), turned by up to 10
degrees, sometimes blurred, pinned on a torso below a face of FACE_BOXES.tsv or anywhere. The photo is
read by the product's reader (eventlens.bibs.reader, the RapidOCR models of the wheel), then:

- recall: the search for the photo's bib finds the photo;
- precision: of all the photos returned by the searches for every bib of the split plus three numbers
  nobody wears per photo, how many carry the searched bib.

Tune on ``--split tune --seed 1``, report ``--split report --seed 2`` (the default): the photos of
the two halves differ, and so do the draws (bib, size, font, angle, blur, place).

    PYTHONPATH=src python bench/bibs.py [--dataset DIR] [--split report] [--seed 2] [--limit 60]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from eventlens.bibs.formats import parse
from eventlens.bibs.reader import READ_SIDE, BibReader

REPO = Path(__file__).resolve().parents[1]
SHARED = Path("/work/shared/datasets/faces")
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/liberation"))
FONTS = (
    "DejaVuSans-Bold.ttf",
    "DejaVuSansCondensed-Bold.ttf",
    "DejaVuSerif-Bold.ttf",
    "DejaVuSansMono-Bold.ttf",
    "DejaVuSans.ttf",
    "LiberationSans-Bold.ttf",
    "LiberationSansNarrow-Bold.ttf",
)
BUCKETS = ((12, 16), (16, 20), (20, 30), (30, 50), (50, 81))
FORMAT = parse("2-5")


@dataclass
class Case:
    name: str
    number: str
    digit_px: int
    font: str
    angle: float
    blur: float
    on_torso: bool


def default_dataset() -> Path:
    return SHARED if (SHARED / "FACE_BOXES.tsv").is_file() else REPO / "tests/data/faces"


def face_boxes(dataset: Path) -> dict[str, list[tuple[int, int, int, int]]]:
    boxes: dict[str, list[tuple[int, int, int, int]]] = {}
    path = dataset / "FACE_BOXES.tsv"
    if path.is_file():
        with path.open() as f:
            for row in csv.DictReader(f, delimiter="\t"):
                box = (int(row["left"]), int(row["top"]), int(row["width"]), int(row["height"]))
                boxes.setdefault(row["path"], []).append(box)
    return boxes


def photos(dataset: Path) -> list[Path]:
    found = []
    for path in sorted(dataset.rglob("*")):
        if path.suffix.lower() not in (".jpg", ".jpeg", ".png"):
            continue
        with Image.open(path) as im:
            if min(im.size) >= 360:
                found.append(path)
    return found


def font_path(name: str) -> Path:
    for folder in FONT_DIRS:
        if (folder / name).is_file():
            return folder / name
    raise SystemExit(f"font {name} not found: apt-get install fonts-dejavu-core fonts-liberation")


def bib_patch(case: Case) -> Image.Image:
    """A white card with the number, rotated, blurred: RGBA so the corners stay the photo's."""
    font = ImageFont.truetype(str(font_path(case.font)), 10)
    # Scale the font so the digits' ink is digit_px tall, whatever the font.
    ink = font.getbbox("0123456789")
    font = ImageFont.truetype(
        str(font_path(case.font)), max(4, round(10 * case.digit_px / (ink[3] - ink[1])))
    )
    ink = font.getbbox(case.number)
    pad = max(4, case.digit_px // 2)
    w, h = ink[2] - ink[0] + 2 * pad, ink[3] - ink[1] + 2 * pad
    card = Image.new("RGBA", (w, h), (250, 250, 245, 255))
    draw = ImageDraw.Draw(card)
    draw.text((pad - ink[0], pad - ink[1]), case.number, fill=(10, 10, 10, 255), font=font)
    card = card.rotate(case.angle, resample=Image.Resampling.BICUBIC, expand=True)
    if case.blur:
        card = card.filter(ImageFilter.GaussianBlur(case.blur))
    return card


def staged(path: Path, case: Case, faces: list[tuple[int, int, int, int]], rng: random.Random) -> Image.Image:
    with Image.open(path) as src:
        im = src.convert("RGB")
    scale = READ_SIDE / max(im.size)
    im = im.resize((round(im.width * scale), round(im.height * scale)), Image.Resampling.LANCZOS)
    card = bib_patch(case)
    if case.on_torso and faces:
        fx, fy, fw, fh = (v * scale for v in rng.choice(faces))
        x = int(fx + fw / 2 - card.width / 2)
        y = int(fy + fh * 1.6)
    else:
        x = rng.randint(0, max(0, im.width - card.width))
        y = rng.randint(0, max(0, im.height - card.height))
    x = min(max(0, x), max(0, im.width - card.width))
    y = min(max(0, y), max(0, im.height - card.height))
    im.paste(card, (x, y), card)
    return im


def draw_cases(paths: list[Path], faces: dict[str, list], dataset: Path, seed: int) -> list[Case]:
    rng = random.Random(seed)
    numbers: set[str] = set()
    cases = []
    for path in paths:
        while True:
            number = str(rng.randint(10, 99999))[: rng.randint(2, 5)]
            if number not in numbers:
                numbers.add(number)
                break
        low, high = rng.choice(BUCKETS)
        rel = path.relative_to(dataset).as_posix()
        cases.append(
            Case(
                name=rel,
                number=number,
                digit_px=rng.randrange(low, high),
                font=rng.choice(FONTS),
                angle=rng.uniform(-10, 10),
                blur=rng.choice((0.0, 0.0, 0.6, 1.0, 1.5)),
                on_torso=bool(faces.get(rel)) and rng.random() < 0.6,
            )
        )
    return cases


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dataset", type=Path, default=None)
    parser.add_argument(
        "--split",
        choices=("tune", "report", "all"),
        default="report",
        help="half of the photos (a fixed draw): tune on one, report the other",
    )
    parser.add_argument("--seed", type=int, default=2, help="the draw of bibs, sizes, fonts, angles, places")
    parser.add_argument("--limit", type=int, default=60, help="at most this many photos (0: all)")
    parser.add_argument(
        "--side", type=int, default=READ_SIDE, help="read the photo at this long side (product: READ_SIDE)"
    )
    parser.add_argument("--save", type=Path, default=None, help="also write the staged photos here")
    args = parser.parse_args(argv)
    dataset = args.dataset or default_dataset()
    paths = photos(dataset)
    random.Random(0).shuffle(paths)  # the same halves whatever the seed
    if args.split != "all":
        paths = paths[args.split == "report" :: 2]
    random.Random(args.seed).shuffle(paths)
    if args.limit:
        paths = paths[: args.limit]
    if not paths:
        raise SystemExit(f"no photo of at least 360 px in {dataset}")
    faces = face_boxes(dataset)
    cases = draw_cases(paths, faces, dataset, args.seed)
    reader = BibReader(side=args.side)
    reader.read(Image.new("RGB", (64, 64)), FORMAT)  # load the models before timing
    read: dict[str, set[str]] = {}
    costs: list[float] = []
    cpu_costs: list[float] = []
    rng = random.Random(args.seed * 7919)
    for path, case in zip(paths, cases, strict=True):
        image = staged(path, case, faces.get(case.name, []), rng)
        if args.save:
            args.save.mkdir(parents=True, exist_ok=True)
            image.save(args.save / f"{case.number}.jpg", quality=90)
        if args.side != image.width and args.side != image.height:
            scale = args.side / max(image.size)
            image = image.resize(
                (round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS
            )
        started, cpu = time.perf_counter(), time.process_time()
        found = reader.read(image, FORMAT)
        costs.append((time.perf_counter() - started) * 1000)
        cpu_costs.append((time.process_time() - cpu) * 1000)
        read[case.name] = {r.number for r in found}

    truth = {c.name: c.number for c in cases}
    decoys: set[str] = set()
    worn = set(truth.values())
    while len(decoys) < 3 * len(cases):
        n = str(rng.randint(10, 99999))[: rng.randint(2, 5)]
        if n not in worn:
            decoys.add(n)
    returned = correct = 0
    wrong: list[str] = []
    for query in sorted(worn | decoys):
        for name, numbers in read.items():
            if query in numbers:
                returned += 1
                correct += truth[name] == query
                if truth[name] != query:
                    wrong.append(f"  {query} found on {name} (wears {truth[name]}, read {sorted(numbers)})")
    print(
        f"dataset {dataset}  split {args.split}  seed {args.seed}  photos {len(cases)}  queries {len(worn | decoys)}"
    )
    print(f"{'digit height px':>16} {'bibs':>5} {'found':>6} {'recall':>7}")
    for low, high in BUCKETS:
        group = [c for c in cases if low <= c.digit_px < high]
        hits = sum(c.number in read[c.name] for c in group)
        recall = hits / len(group) if group else float("nan")
        print(f"{f'{low}-{high - 1}':>16} {len(group):>5} {hits:>6} {recall:>7.3f}")
    big = [c for c in cases if c.digit_px >= 20]
    big_recall = sum(c.number in read[c.name] for c in big) / max(1, len(big))
    precision = correct / returned if returned else 1.0
    print(f"recall (digits >= 20 px): {big_recall:.3f}   target >= 0.9")
    print(f"precision: {precision:.3f} ({correct}/{returned} photos returned were right)   target >= 0.98")
    print(
        f"cost per photo (read at {args.side} px, one thread): median {statistics.median(costs):.0f} ms "
        f"wall, {statistics.median(cpu_costs):.0f} ms CPU; p90 {sorted(costs)[int(0.9 * (len(costs) - 1))]:.0f} "
        f"ms wall (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )
    for line in wrong:
        print(line)
    missed = [c for c in big if c.number not in read[c.name]]
    for c in missed:
        print(
            f"  missed {c.number} {c.digit_px}px {c.font} {c.angle:+.1f}deg blur {c.blur} {c.name}: read {sorted(read[c.name])}"
        )
    return 0 if big_recall >= 0.9 and precision >= 0.98 else 1


if __name__ == "__main__":
    sys.exit(main())
