"""Crowd benchmark (issue 9): detection and identification recall per face width on 24 MP crowd scenes.

    python bench/crowd.py [--scenes 6] [--faces 40] [--seed 9] [--face-detail standard|crowd]
                          [--compare REV]

Scenes are generated from ../shared/datasets/faces (identity photos pasted at known face widths, 16 to
160 px, over the dataset's textures; JPEG quality 70-92, blur on some faces, sensor noise) into
bench/out/crowd with their ground truth, and reused while the parameters stay the same. For each
identity one photo never goes into a scene: it is that guest's selfie. The scenes are then ingested
and processed by the real pipeline (a throw-away embedded install) and every selfie is searched.

Prints per face-width bin (original pixels): faces, detected, detection recall, identified (the
selfie's search returned the scene with a face box on that face), identification recall; then false
detections, precision of the search results, and cost per photo (median wall time of the processing
job, CPU time of ingest + processing, photos/s per core = 1 / CPU s).

``--compare REV`` measures the same scenes with this tree and with REV (a temporary ``git worktree``),
each in its own process, back to back, and prints them side by side with ratios: on a shared machine
that is the fair "before vs after". ``--face-detail`` is applied to the event in each tree that has it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from crowd_scenes import BINS, build_catalog, write_scene

REPO = Path(__file__).resolve().parents[1]
DATASET = REPO.parent / "shared" / "datasets" / "faces"
OUT = REPO / "bench" / "out" / "crowd"
MATCH_IOU = 0.3
SCENE_FORMAT = 2  # bump when crowd_scenes.py changes what it draws or records: cached scenes are redone


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- scenes -------------------------------------------------------------------------------------------


def generate(dataset: Path, out: Path, scenes: int, faces: int, seed: int, size: tuple[int, int]) -> Path:
    """The scenes folder for these parameters (generated unless an identical set is already there)."""
    key = {
        "format": SCENE_FORMAT,
        "dataset": str(dataset.resolve()),
        "scenes": scenes,
        "faces": faces,
        "seed": seed,
        "size": list(size),
    }
    folder = out / "scenes"
    params_path = folder / "params.json"
    if params_path.exists():
        old = json.loads(params_path.read_text())
        if old.get("key") == key and all((folder / f"scene-{i:03d}.jpg").exists() for i in range(scenes)):
            log(f"reusing {scenes} scenes in {folder}")
            return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    from eventlens.faces.engine.registry import load_engine

    engine = load_engine()
    rng = np.random.default_rng(seed)
    log("finding the face in every identity photo (native resolution)")
    cache_path = out / f"source-faces-{engine.engine_id}-v2.json"
    cache = json.loads(cache_path.read_text()) if cache_path.exists() else {}
    catalog = build_catalog(
        dataset, lambda image: [f.box for f in engine.detect_and_embed(image)], rng, cache=cache
    )
    cache_path.write_text(json.dumps(cache))
    for i in range(scenes):
        log(f"generating scene {i + 1}/{scenes}")
        write_scene(folder, i, catalog, dataset, size, faces, rng)
    selfies = {person: str(path.relative_to(dataset)) for person, path in catalog.selfies.items()}
    params_path.write_text(json.dumps({"key": key, "selfies": selfies}, indent=1))
    return folder


# --- scoring ------------------------------------------------------------------------------------------


def iou(a: list[float], b: list[float]) -> float:
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def on_face(found: list[float], truth: list[float]) -> bool:
    """A found box is on a true face: IoU >= 0.3, or its centre inside the true box."""
    cx, cy = found[0] + found[2] / 2, found[1] + found[3] / 2
    inside = truth[0] <= cx <= truth[0] + truth[2] and truth[1] <= cy <= truth[1] + truth[3]
    return inside or iou(found, truth) >= MATCH_IOU


STEPS = ("decode", "full_decode", "faces")


@dataclass
class Score:
    faces: dict[str, int] = field(default_factory=dict)
    detected: dict[str, int] = field(default_factory=dict)
    searchable: dict[str, int] = field(default_factory=dict)  # detected and kept for search
    identified: dict[str, int] = field(default_factory=dict)
    false_detections: int = 0
    bystanders: list[int] = field(default_factory=lambda: [0, 0])  # in the scenes, detected
    skipped: Counter[str] = field(default_factory=Counter)  # detections not searchable, by reason
    returned: int = 0
    wrong: int = 0
    blurred: list[int] = field(default_factory=lambda: [0, 0, 0])  # faces, detected, identified
    timing: dict[str, float] = field(default_factory=dict)


def _truth(scenes_dir: Path) -> dict[str, dict[str, Any]]:
    """Each scene's ground truth (its JSON), by image name."""
    return {
        meta["image"]: meta
        for meta in (json.loads(p.read_text()) for p in sorted(scenes_dir.glob("scene-*.json")))
    }


def _match(dets: list[dict[str, Any]], gts: list[dict[str, Any]]) -> dict[int, int]:
    """Ground-truth face -> its detection: one to one, best overlap first (a second box is a false one)."""
    pairs = sorted(
        (
            (iou(d["box"], g["box"]), di, gi)
            for di, d in enumerate(dets)
            for gi, g in enumerate(gts)
            if on_face(d["box"], g["box"])
        ),
        reverse=True,
    )
    matched: dict[int, int] = {}
    for _overlap, di, gi in pairs:
        if di not in matched.values() and gi not in matched:
            matched[gi] = di
    return matched


def score(scenes_dir: Path, raw: dict[str, Any]) -> Score:
    s = Score(**{k: {b[0]: 0 for b in BINS} for k in ("faces", "detected", "searchable", "identified")})
    truth = _truth(scenes_dir)
    detected: dict[tuple[str, int], bool] = {}  # face -> searchable
    for photo in raw["photos"]:
        dets = photo["detections"]
        meta = truth[photo["image"]]
        matched = _match(dets, meta["faces"])
        for gi, di in matched.items():
            detected[(photo["image"], gi)] = dets[di]["searchable"]
        # A face in the pasted part of a source photo that is not its person is real, not false.
        rest = [d for di, d in enumerate(dets) if di not in matched.values()]
        bystanders = _match(rest, [{"box": b} for b in meta.get("bystanders", [])])
        s.bystanders[0] += len(meta.get("bystanders", []))
        s.bystanders[1] += len(bystanders)
        s.false_detections += len(rest) - len(bystanders)
        s.skipped.update(d["skip_reason"] or "?" for d in dets if not d["searchable"])
    identified: set[tuple[str, int]] = set()
    for person, matches in raw["found"].items():
        for m in matches:
            s.returned += 1
            hit = [
                gi
                for gi, g in enumerate(truth[m["image"]]["faces"] if m["image"] in truth else [])
                if g["identity"] == person and on_face(m["box"], g["box"])
            ]
            if hit:
                identified.add((m["image"], hit[0]))
            else:
                s.wrong += 1
    for image, meta in truth.items():
        for gi, g in enumerate(meta["faces"]):
            face = (image, gi)
            s.faces[g["bin"]] += 1
            s.detected[g["bin"]] += face in detected
            s.searchable[g["bin"]] += detected.get(face, False)
            s.identified[g["bin"]] += face in identified
            if g["blur_sigma"]:
                s.blurred[0] += 1
                s.blurred[1] += face in detected
                s.blurred[2] += face in identified
    for person in raw["no_face_selfies"]:
        log(f"{person}: no face found on the selfie in this tree; their faces count as not identified")
    photos = raw["photos"]
    for key in ("process_s", "ingest_s", "cpu_s"):
        s.timing[key] = statistics.median(p[key] for p in photos)
    for step in STEPS:
        for key in (step, f"{step}_cpu"):
            spent = [p["steps"][key] for p in photos if key in p["steps"]]
            if spent:
                s.timing[key] = statistics.median(spent)
    return s


# --- printing -----------------------------------------------------------------------------------------


def ratio(n: int, d: int) -> str:
    return f"{n / d:.2f}" if d else "-"


def counts(s: Score) -> list[tuple[str, int, int, int, int]]:
    """Per bin and in all: faces, detected, searchable, identified."""
    out = [(b, s.faces[b], s.detected[b], s.searchable[b], s.identified[b]) for b, _low, _high in BINS]
    total = [sum(d.values()) for d in (s.faces, s.detected, s.searchable, s.identified)]
    out.append(("all", total[0], total[1], total[2], total[3]))
    return out


def table(headers: list[str], lines: list[list[object]]) -> None:
    widths = [max(len(str(v)) for v in [h, *(line[i] for line in lines)]) + 2 for i, h in enumerate(headers)]
    for line in [headers, *lines]:
        print(
            "".join(
                str(v).rjust(w) if i else str(v).ljust(w)
                for i, (v, w) in enumerate(zip(line, widths, strict=True))
            )
        )


def cost_line(s: Score) -> str:
    t = s.timing
    steps = ", ".join(f"{k} {t[k]:.2f}" for k in STEPS if k in t)
    steps_cpu = ", ".join(f"{k} {t[k + '_cpu']:.2f}" for k in STEPS if k + "_cpu" in t)
    return (
        f"median per photo: processing {t['process_s']:.2f} s wall ({steps}), ingest {t['ingest_s']:.2f} s wall; "
        f"CPU ingest + processing {t['cpu_s']:.2f} s ({steps_cpu}) = {1 / t['cpu_s']:.2f} photos/s per core"
    )


def summary_lines(s: Score) -> list[str]:
    precision = ratio(s.returned - s.wrong, s.returned)
    skipped = ", ".join(f"{reason} {n}" for reason, n in sorted(s.skipped.items())) or "none"
    return [
        f"false detections {s.false_detections} (besides {s.bystanders[1]} of the {s.bystanders[0]} bystander "
        f"faces in the pasted crops); detections kept out of search: {skipped}",
        f"search results {s.returned}, wrong {s.wrong}, precision {precision}",
        f"blurred faces {s.blurred[0]}: detected {s.blurred[1]}, identified {s.blurred[2]}",
        cost_line(s),
    ]


def describe(raw: dict[str, Any]) -> str:
    return f"{raw['eventlens']} | {raw['engine']} | threshold {raw['threshold']} | face_detail {raw['face_detail']}"


def print_one(s: Score, raw: dict[str, Any]) -> None:
    print(describe(raw))
    headers = ["face width", "faces", "detected", "det recall", "searchable", "identified", "id recall"]
    table(headers, [[b, n, d, ratio(d, n), k, i, ratio(i, n)] for b, n, d, k, i in counts(s)])
    for line in summary_lines(s):
        print(line)


def print_both(
    a: Score, raw_a: dict[str, Any], b: Score, raw_b: dict[str, Any], names: tuple[str, str]
) -> None:
    print(f"A = {names[0]}: {describe(raw_a)}")
    print(f"B = {names[1]}: {describe(raw_b)}")
    headers = ["face width", "faces", "det A", "det B", "det rec A", "det rec B", "srch A", "srch B"]
    headers += ["id A", "id B", "id rec A", "id rec B"]
    lines: list[list[object]] = []
    for (label, n, da, ka, ia), (_l, _n, db, kb, ib) in zip(counts(a), counts(b), strict=True):
        lines.append(
            [label, n, da, db, ratio(da, n), ratio(db, n), ka, kb, ia, ib, ratio(ia, n), ratio(ib, n)]
        )
    table(headers, lines)
    for tag, s in (("A", a), ("B", b)):
        for line in summary_lines(s):
            print(f"{tag}: {line}")
    ratios = [
        f"{label} {b.timing[key] / a.timing[key]:.2f}x"
        for key, label in (("process_s", "processing wall"), ("cpu_s", "CPU"), ("faces_cpu", "face step CPU"))
        if key in a.timing and key in b.timing
    ]
    print("B/A per photo (medians): " + ", ".join(ratios))


# --- running ------------------------------------------------------------------------------------------


def measure_in(
    tree_src: Path, scenes: Path, dataset: Path, face_detail: str, raw_path: Path
) -> dict[str, Any]:
    """This script's measurement, in a new process that imports EventLens from ``tree_src``."""
    env = {**os.environ, "PYTHONPATH": str(tree_src)}
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--measure-only",
        str(scenes),
        "--raw",
        str(raw_path),
        "--dataset",
        str(dataset),
        "--face-detail",
        face_detail,
    ]
    subprocess.run(cmd, env=env, check=True)
    result: dict[str, Any] = json.loads(raw_path.read_text())
    return result


def git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(REPO), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def compare(rev: str, scenes: Path, dataset: Path, face_detail: str, out: Path) -> None:
    here = f"this tree ({git('rev-parse', '--abbrev-ref', 'HEAD')}@{git('rev-parse', '--short', 'HEAD')})"
    there = f"{rev}@{git('rev-parse', '--short', rev)}"
    with tempfile.TemporaryDirectory(prefix="crowd-compare-") as tmp:
        tree = Path(tmp) / "tree"
        git("worktree", "add", "--detach", str(tree), rev)
        try:
            log(f"A: {here}")
            raw_a = measure_in(REPO / "src", scenes, dataset, face_detail, out / "raw-A.json")
            log(f"B: {there}")
            raw_b = measure_in(tree / "src", scenes, dataset, face_detail, out / "raw-B.json")
        finally:
            git("worktree", "remove", "--force", str(tree))
    print_both(score(scenes, raw_a), raw_a, score(scenes, raw_b), raw_b, (here, there))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", type=Path, default=DATASET)
    ap.add_argument("--scenes", type=int, default=6)
    ap.add_argument("--faces", type=int, default=40, help="faces per scene (one per identity at most)")
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--size", default="6000x4000", help="scene size WxH")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--face-detail", choices=["standard", "crowd"], default="standard")
    ap.add_argument("--compare", metavar="REV", help="also measure git revision REV, side by side")
    ap.add_argument("--measure-only", type=Path, metavar="SCENES", help=argparse.SUPPRESS)
    ap.add_argument("--raw", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()

    from crowd_pipeline import measure

    if args.measure_only:  # the child process of a comparison: raw figures only
        raw = measure(args.measure_only, args.dataset, args.face_detail, log)
        args.raw.write_text(json.dumps(raw, default=str))
        return
    width, height = (int(v) for v in args.size.lower().split("x"))
    args.out.mkdir(parents=True, exist_ok=True)
    scenes = generate(args.dataset, args.out, args.scenes, args.faces, args.seed, (width, height))
    if args.compare:
        compare(args.compare, scenes, args.dataset, args.face_detail, args.out)
        return
    raw = measure(scenes, args.dataset, args.face_detail, log)
    (args.out / "raw.json").write_text(json.dumps(raw, default=str))
    print_one(score(scenes, raw), raw)


if __name__ == "__main__":
    main()
