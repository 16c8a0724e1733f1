"""People: how well the event's faces are grouped into people, and what grouping a new photo costs.

The dev set (``../shared/datasets/faces``, or ``--dataset DIR``) goes through the real ingest and
processing job as one event in a throw-away embedded install, in the order an upload would send it, so
every photo's faces join the event's people through the product's own incremental step
(``people.service.photo_indexed``, timed per photo). Then, on the searchable faces read back:

- truth: the labelled face of each identity photo (the biggest face, preferring the centre, as
  ``eventlens bench accuracy`` takes it) is that person; faces of group photos and bystanders are
  grouped too but not scored;
- B-cubed precision / recall / F1 over the labelled faces, for the full grouping (average-linkage
  agglomerative clustering, ``people.clustering.cluster``) and the incremental one (photo by photo,
  ``people.clustering.assign``), over a grid of thresholds;
- the threshold by cross-validation over identities: the 46 people dealt into 5 folds (``--shuffles``
  times, 2 by default); the threshold with the best mean F1 of the two groupings on 4 folds' people
  (the held-out people's own photos left out) is measured on the held-out people (the training
  people's own photos left out). The default in the code is the choice on everyone.

    PYTHONPATH=src python bench/people.py [--dataset DIR] [--cache bench/out/people-faces.npz]

``--cache`` keeps the indexed faces (embeddings, labels, per-photo timings) so that a second run only
re-analyses (about a minute instead of several).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from eventlens.bench.calibrate import SEEDS, folds
from eventlens.bench.dataset import Dataset
from eventlens.people import clustering

REPO = Path(__file__).resolve().parents[1]
GRID = np.round(np.arange(0.20, 0.601, 0.01), 2)
K = 5


def _main_face(boxes: np.ndarray, size: tuple[int, int]) -> int:
    """The face an identity photo is labelled for: the biggest, preferring the centre (as scoring.py)."""
    width, height = size
    cx, cy = boxes[:, 0] + boxes[:, 2] / 2, boxes[:, 1] + boxes[:, 3] / 2
    half_diagonal = max(1.0, float(np.hypot(width, height)) / 2)
    off_centre = np.hypot(cx - width / 2, cy - height / 2) / half_diagonal
    size_ = boxes[:, 2] / max(1.0, float(boxes[:, 2].max()))
    return int(np.argmax(size_ * (1.0 - 0.75 * np.clip(off_centre, 0, 1))))


def index(data: Dataset) -> dict[str, np.ndarray]:
    """Index the dataset as one event; the searchable faces, their photo order, labels and people."""
    from sqlalchemy import select

    from eventlens.app import build_context
    from eventlens.auth.service import create_user
    from eventlens.bench.pipeline import _store
    from eventlens.config import Settings
    from eventlens.db import session_scope
    from eventlens.events.schemas import EventCreate
    from eventlens.events.service import create_event
    from eventlens.migrate import upgrade
    from eventlens.models import Face, Photo, Role
    from eventlens.people import service as people_service
    from eventlens.photos import processing

    timings: list[float] = []
    cpu: list[float] = []
    real = people_service.photo_indexed

    def timed(*args: object, **kw: object) -> None:
        args[0].flush()  # type: ignore[attr-defined]  # writing the photo's faces is processing's own cost
        t0, c0 = time.perf_counter(), time.thread_time()
        real(*args, **kw)  # type: ignore[arg-type]
        timings.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.thread_time() - c0) * 1000)

    people_service.photo_indexed = timed  # type: ignore[assignment]
    people = data.people()
    with tempfile.TemporaryDirectory(prefix="eventlens-people-") as tmp:
        settings = Settings(
            data_dir=Path(tmp), database_url="", storage="local", redis_url=None, log_level="WARNING"
        )
        upgrade(settings.resolved_database_url)
        ctx = build_context(settings)
        try:
            with session_scope(ctx.sessions) as db:
                user = create_user(
                    db, email="bench@example.com", password="benchmark-only", name="Bench", role=Role.admin
                )
                event = create_event(db, user, EventCreate(name="People"))
            ctx.faces.warm_up()
            files = data.files()
            path_of: dict[uuid.UUID, str] = {}
            for i, rel in enumerate(files):
                print(f"\rindexing {i + 1}/{len(files)}", end="", file=sys.stderr, flush=True)
                pid = _store(ctx, event.id, user, data.root / rel)
                if pid is None or pid in path_of:
                    continue
                path_of[pid] = rel
                processing.process(ctx, pid)
            print(file=sys.stderr)
            with session_scope(ctx.sessions) as db:
                sizes = {p.id: (p.width or 0, p.height or 0) for p in db.scalars(select(Photo))}
                rows = list(
                    db.execute(
                        select(
                            Face.photo_id,
                            Face.embedding,
                            Face.box_x,
                            Face.box_y,
                            Face.box_w,
                            Face.box_h,
                            Face.person_id,
                        )
                        .where(Face.event_id == event.id, Face.searchable.is_(True))
                        .order_by(Face.created_at, Face.id)
                    )
                )
        finally:
            ctx.engine.dispose()
            people_service.photo_indexed = real  # type: ignore[assignment]
    photo_ids = list(dict.fromkeys(r.photo_id for r in rows))
    slot = {pid: i for i, pid in enumerate(photo_ids)}
    face_photo = np.array([slot[r.photo_id] for r in rows], dtype=np.int64)
    matrix = np.vstack([np.frombuffer(r.embedding, dtype="<f4") for r in rows]).astype(np.float32)
    boxes = np.array([(r.box_x, r.box_y, r.box_w, r.box_h) for r in rows], dtype=np.float32)
    labels = np.full(len(rows), -1, dtype=np.int64)
    owner = np.full(len(rows), -1, dtype=np.int64)  # whose identity photo a face is in (bystanders too)
    for pid, s in slot.items():
        rel = path_of[pid]
        parts = rel.split("/")
        if parts[0] != "identities":
            continue
        faces = np.flatnonzero(face_photo == s)
        owner[faces] = people.index(parts[1])
        labels[faces[_main_face(boxes[faces], sizes[pid])]] = people.index(parts[1])
    persons = {pid: i for i, pid in enumerate(dict.fromkeys(r.person_id for r in rows if r.person_id))}
    stored = np.array([persons.get(r.person_id, -1) if r.person_id else -1 for r in rows], dtype=np.int64)
    return {
        "matrix": matrix,
        "face_photo": face_photo,
        "labels": labels,
        "owner": owner,
        "stored": stored,
        "timings": np.array(timings, dtype=np.float64),
        "cpu": np.array(cpu, dtype=np.float64),
        "people": np.array(people),
    }


def scale(data: Dataset, sizes: tuple[int, ...] = (100, 1000, 5000), photos: int = 40) -> list[str]:
    """Incremental grouping of a photo of 5 faces in an event that already has ``sizes`` people.

    A throw-away embedded install (SQLite) with one real photo; people are made up (random unit sums),
    the photo's faces are random too, half of them close to an existing person. Each round writes the
    5 faces, then times ``photo_indexed`` alone, then commits.
    """
    from sqlalchemy import func, select

    from eventlens.app import build_context
    from eventlens.auth.service import create_user
    from eventlens.bench.pipeline import _store
    from eventlens.config import Settings
    from eventlens.db import session_scope
    from eventlens.events.schemas import EventCreate
    from eventlens.events.service import create_event
    from eventlens.migrate import upgrade
    from eventlens.models import Face, Person, Photo, Role
    from eventlens.people import service as people_service

    rng = np.random.default_rng(7)
    engine_id, threshold, dim = "yunet-sface", clustering.THRESHOLDS["yunet-sface"], 128

    def unit(n: int) -> np.ndarray:
        v = rng.normal(size=(n, dim)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="eventlens-people-scale-") as tmp:
        settings = Settings(
            data_dir=Path(tmp), database_url="", storage="local", redis_url=None, log_level="WARNING"
        )
        upgrade(settings.resolved_database_url)
        ctx = build_context(settings)
        try:
            with session_scope(ctx.sessions) as db:
                user = create_user(
                    db, email="bench@example.com", password="benchmark-only", name="Bench", role=Role.admin
                )
                event = create_event(db, user, EventCreate(name="Scale"))
            photo_id = _store(ctx, event.id, user, data.root / data.files()[0])
            assert photo_id is not None
            centres = np.empty((0, dim), np.float32)
            for size in sizes:
                with session_scope(ctx.sessions) as db:
                    have = int(db.scalar(select(func.count(Person.id))) or 0)
                    extra = unit(max(0, size - have))
                    centres = np.vstack([centres, extra])
                    for row in extra:
                        db.add(
                            Person(
                                event_id=event.id,
                                engine_id=engine_id,
                                centroid_sum=row.tobytes(),
                                centroid_count=1,
                            )
                        )
                ms: list[float] = []
                cpu: list[float] = []
                for _ in range(photos):
                    with session_scope(ctx.sessions) as db:
                        photo = db.get(Photo, photo_id)
                        assert photo is not None
                        near = centres[rng.integers(0, len(centres), 2)] + unit(2) * 0.3
                        embs = np.vstack([near / np.linalg.norm(near, axis=1, keepdims=True), unit(3)])
                        faces = [
                            Face(
                                photo_id=photo_id,
                                event_id=event.id,
                                box_x=0.0,
                                box_y=0.0,
                                box_w=50.0,
                                box_h=50.0,
                                score=0.9,
                                landmarks=None,
                                embedding=e.astype("<f4").tobytes(),
                                engine_id=engine_id,
                                engine_version="bench",
                                searchable=True,
                            )
                            for e in embs
                        ]
                        db.add_all(faces)
                        db.flush()
                        t0, c0 = time.perf_counter(), time.thread_time()
                        people_service.photo_indexed(db, photo, faces, engine_id, threshold)
                        ms.append((time.perf_counter() - t0) * 1000)
                        cpu.append((time.thread_time() - c0) * 1000)
                lines.append(
                    f"  {size:>5} people: wall median {np.median(ms):.1f} ms, p95 {np.percentile(ms, 95):.1f} ms;"
                    f" CPU median {np.median(cpu):.1f} ms, p95 {np.percentile(cpu, 95):.1f} ms"
                )
        finally:
            ctx.engine.dispose()
    return lines


def bcubed(pred: np.ndarray, truth: np.ndarray) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 over the items with a label (truth >= 0)."""
    keep = truth >= 0
    pred, truth = pred[keep], truth[keep]
    if pred.size == 0:
        return 0.0, 0.0, 0.0
    same_pred = pred[:, None] == pred[None, :]
    same_truth = truth[:, None] == truth[None, :]
    both = (same_pred & same_truth).sum(axis=1)
    p = float(np.mean(both / same_pred.sum(axis=1)))
    r = float(np.mean(both / same_truth.sum(axis=1)))
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def full(matrix: np.ndarray, threshold: float) -> np.ndarray:
    return clustering.cluster(matrix, threshold)


def incremental(matrix: np.ndarray, face_photo: np.ndarray, threshold: float) -> np.ndarray:
    groups = clustering.Groups.empty(matrix.shape[1])
    out = np.empty(matrix.shape[0], dtype=np.int64)
    order = np.argsort(face_photo, kind="stable")
    bounds = np.flatnonzero(np.diff(face_photo[order])) + 1
    for rows in np.split(order, bounds):
        out[rows] = clustering.assign(groups, matrix[rows], threshold)
    return out


def full_curve(matrix: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """F1 at every threshold of GRID: one average-linkage tree (scipy, as scikit-learn builds it), cut
    at each threshold."""
    from scipy.cluster.hierarchy import fcluster, linkage

    if matrix.shape[0] < 2:
        return np.zeros(GRID.size)
    tree = linkage(matrix.astype(np.float64), method="average", metric="cosine")
    return np.array([bcubed(fcluster(tree, 1.0 - t, criterion="distance"), truth)[2] for t in GRID])


def incremental_curve(matrix: np.ndarray, face_photo: np.ndarray, truth: np.ndarray) -> np.ndarray:
    return np.array([bcubed(incremental(matrix, face_photo, t), truth)[2] for t in GRID])


def best(curve: np.ndarray) -> int:
    """The middle of the thresholds within 0.001 of the best F1 (not its edge: F1 is flat at the top)."""
    top = np.flatnonzero(curve >= curve.max() - 0.001)
    return int(top[len(top) // 2])


@dataclass
class Fold:
    threshold: float
    full: float  # held-out F1 of the full grouping at that threshold
    incremental: float


def cross_validate(d: dict[str, np.ndarray], seeds: tuple[int, ...]) -> list[Fold]:
    """Per fold: the threshold chosen on the training people, and the held-out people's F1 at it.

    The product runs one threshold both ways (full regroup, and photo by photo), so the choice is the
    best of the two curves' mean. The train side groups every face except those in the held-out
    people's own photos and is scored on the training people's labelled faces; the test side groups
    every face except those in the training people's own photos and is scored on the held-out people's.
    Group photos and bystanders stay in both, as they would in an event.
    """
    labels, matrix, face_photo, owner = d["labels"], d["matrix"], d["face_photo"], d["owner"]
    people = [i for i in range(len(d["people"])) if (labels == i).any()]

    def curves(keep: np.ndarray, scored: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        truth = np.where(scored, labels, -1)[keep]
        return full_curve(matrix[keep], truth), incremental_curve(matrix[keep], face_photo[keep], truth)

    out: list[Fold] = []
    for seed in seeds:
        for held in folds([str(p) for p in people], K, seed):
            held_out = np.isin(owner, [int(p) for p in held])
            training = (owner >= 0) & ~held_out
            t_idx = best(np.mean(curves(~held_out, training), axis=0))
            test_full, test_incremental = curves(~training, held_out)
            out.append(Fold(float(GRID[t_idx]), float(test_full[t_idx]), float(test_incremental[t_idx])))
    return out


def _ms(values: list[float]) -> str:
    return f"{statistics.mean(values):.3f} +- {statistics.stdev(values):.3f} (worst fold {min(values):.3f})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    beside = [up / "shared" / "datasets" / "faces" for up in REPO.parents[:2]]
    ap.add_argument("--dataset", type=Path, default=next((p for p in beside if p.is_dir()), beside[0]))
    ap.add_argument("--cache", type=Path, default=None, help="keep/reuse the indexed faces here (.npz)")
    # The incremental grouping runs photo by photo in Python: 2 shuffles (10 folds) take minutes.
    ap.add_argument("--shuffles", type=int, default=2, help="times the people are dealt into 5 folds")
    ap.add_argument("--no-scale", action="store_true", help="skip the timing with 100-5000 people")
    args = ap.parse_args()
    if args.cache and args.cache.exists():
        with np.load(args.cache) as z:
            d = {k: z[k] for k in z.files}
    else:
        started = time.perf_counter()
        d = index(Dataset(args.dataset))
        print(f"indexed in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        if args.cache:
            args.cache.parent.mkdir(parents=True, exist_ok=True)
            np.savez(args.cache, **d)
    labels = d["labels"]
    print(
        f"faces {d['matrix'].shape[0]} (searchable), labelled {(labels >= 0).sum()} "
        f"of {len(set(labels[labels >= 0].tolist()))} people, photos {len(set(d['face_photo'].tolist()))}"
    )
    default = clustering.THRESHOLDS["yunet-sface"]
    print(f"\nthreshold in the code (yunet-sface): {default}")

    t0 = time.perf_counter()
    cv = cross_validate(d, SEEDS[: args.shuffles])
    chosen = [f.threshold for f in cv]
    print(
        f"\nCross-validated over identities ({len(cv)} folds, {time.perf_counter() - t0:.0f} s):\n"
        f"  threshold chosen         {statistics.mean(chosen):.3f} +- {statistics.stdev(chosen):.3f}"
        f" (range {min(chosen):.2f}-{max(chosen):.2f})\n"
        f"  held-out F1, full        {_ms([f.full for f in cv])}\n"
        f"  held-out F1, incremental {_ms([f.incremental for f in cv])}"
    )
    both = np.mean(
        [full_curve(d["matrix"], labels), incremental_curve(d["matrix"], d["face_photo"], labels)], axis=0
    )
    print(f"  choice on everyone: {GRID[best(both)]:.2f} (mean F1 of the two {both.max():.3f})")

    print(
        "\nAll searchable faces grouped together (group photos and bystanders too), scored on the labelled:"
    )
    print("  threshold  method       precision  recall  F1      people")
    for t in sorted({default, *np.round(np.arange(0.30, 0.51, 0.05), 2).tolist()}):
        for name, pred in (
            ("full", full(d["matrix"], t)),
            ("incremental", incremental(d["matrix"], d["face_photo"], t)),
        ):
            p, r, f = bcubed(pred, labels)
            mark = " <- default" if t == default else ""
            print(
                f"  {t:.2f}       {name:<12} {p:.3f}      {r:.3f}   {f:.3f}   {len(set(pred.tolist()))}{mark}"
            )
    if (d["stored"] >= 0).any():
        p, r, f = bcubed(d["stored"], labels)
        print(
            f"\nAs the product stored them while indexing (incremental, default threshold): P {p:.3f} R {r:.3f} F1 {f:.3f}"
        )
    ms, cpu = d["timings"], d.get("cpu", np.empty(0))
    if ms.size:
        print(
            f"\nIncremental grouping per photo (people.service.photo_indexed in the processing transaction, "
            f"SQLite), {ms.size} photos: wall median {np.median(ms):.1f} ms, p95 {np.percentile(ms, 95):.1f} ms, "
            f"max {ms.max():.1f} ms"
        )
    if cpu.size:
        print(
            f"  CPU time of the thread: median {np.median(cpu):.1f} ms, p95 {np.percentile(cpu, 95):.1f} ms, "
            f"max {cpu.max():.1f} ms (wall minus CPU: waiting for the machine, the disk, the lock)"
        )
    if not args.no_scale:
        print("\nIncremental grouping of a photo of 5 faces in a bigger event (SQLite, 40 photos each):")
        print("\n".join(scale(Dataset(args.dataset))))


if __name__ == "__main__":
    main()
