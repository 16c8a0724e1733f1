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
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from crowd_scenes import build_catalog, write_scene
from crowd_score import print_both, print_one, score

REPO = Path(__file__).resolve().parents[1]
DATASET = REPO.parent / "shared" / "datasets" / "faces"
OUT = REPO / "bench" / "out" / "crowd"
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
    here = f"this tree ({git('rev-parse', '--abbrev-ref', 'HEAD')}@{git('rev-parse', '--short', 'HEAD')}"
    here += " + uncommitted changes)" if git("status", "--porcelain", "src") else ")"
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
