"""Selfie search: server-side latency up to 1M faces, first search after new faces, memory.

    python bench/search.py [--sizes 10000,100000,1000000] [--index-sizes 10000,100000,1000000]
                           [--compare REV [--repeat 2]]

1. End to end: ``POST /api/public/events/{slug}/search`` through the real app in-process (no network),
   on a published event holding real faces (dataset photos indexed by the real pipeline) plus synthetic
   unit vectors in the database up to N faces. Timed from the request to the parsed answer, which is
   what the server does: selfie decode, detect + embed, index freshness check, matrix search, answer.
   Every timed search is also checked: the selfie's person's photos must come back.
   After the timed searches at each size, a photo's worth of faces (5) is added ``--fresh`` times and
   the first search after each is timed: the cost of seeing new faces (incremental load or reload).
   Also printed: the index's bytes per 1M faces and the process's peak RSS.
2. The in-memory index alone for bigger N (no database): search time and bytes per face.

``--compare REV`` runs part 1 in a new process for this tree and for REV (a temporary ``git worktree``),
alternating A, B (``--repeat`` times), and prints both side by side with ratios B / A: on a shared
machine that is the fair "before vs after".
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import insert, update

from eventlens.app import create_app
from eventlens.config import Settings
from eventlens.db import utcnow
from eventlens.faces.index import EventIndex, FaceRows, Snapshot
from eventlens.migrate import upgrade
from eventlens.models import Event, Face, Photo, PhotoSource, PhotoStatus

REPO = Path(__file__).resolve().parents[1]
DATASET = REPO.parent / "shared" / "datasets" / "faces"
PASSWORD = "bench password 123"
SLACK_S = 11.0  # a little more than faces/index.py CLOCK_SLACK (older trees have none)


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def unit_vectors(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    v = rng.standard_normal((n, dim), dtype=np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return v


def people(dataset: Path, count: int) -> list[tuple[Path, list[Path]]]:
    """(selfie, other photos) for people with at least three photos."""
    out = []
    for person in sorted(p for p in (dataset / "identities").iterdir() if p.is_dir()):
        photos = sorted(person.glob("*.jpg"))
        if len(photos) >= 3:
            out.append((photos[0], photos[1:]))
        if len(out) == count:
            break
    return out


def run_jobs(app) -> None:  # type: ignore[no-untyped-def]
    huey = app.state.ctx.queue.huey
    while (task := huey.dequeue()) is not None:
        huey.execute(task)


def add_synthetic(app, event_id: uuid.UUID, n: int, rng: np.random.Generator) -> None:  # type: ignore[no-untyped-def]
    """``n`` synthetic faces, five per synthetic photo, straight into the database.

    Like processing, the transaction bumps the event's face counters where the tree has them.
    """
    ctx = app.state.ctx
    dim, engine = ctx.face_engine.dim, ctx.face_engine
    now = utcnow()
    with ctx.engine.begin() as conn:
        if hasattr(Event, "face_changes"):
            conn.execute(
                update(Event).where(Event.id == event_id).values(face_changes=Event.face_changes + 1)
            )
        for start in range(0, n, 20_000):
            size = min(20_000, n - start)
            photo_ids = [uuid.uuid4() for _ in range((size + 4) // 5)]
            conn.execute(
                insert(Photo),
                [
                    {
                        "id": pid,
                        "event_id": event_id,
                        "source": PhotoSource.api,
                        "original_filename": f"synthetic-{pid.hex[:8]}.jpg",
                        "object_key": f"events/{event_id}/photos/{pid}.jpg",
                        "sha256": pid.hex * 2,
                        "size": 1,
                        "mime": "image/jpeg",
                        "width": 4000,
                        "height": 6000,
                        "status": PhotoStatus.indexed,
                        "face_count": 5,
                        "attempts": 1,
                        "has_preview": True,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for pid in photo_ids
                ],
            )
            vectors = unit_vectors(rng, size, dim)
            conn.execute(
                insert(Face),
                [
                    {
                        "id": uuid.uuid4(),
                        "photo_id": photo_ids[i // 5],
                        "event_id": event_id,
                        "box_x": 100.0,
                        "box_y": 100.0,
                        "box_w": 200.0,
                        "box_h": 200.0,
                        "score": 0.9,
                        "landmarks": None,
                        "embedding": vectors[i].astype("<f4").tobytes(),
                        "engine_id": engine.engine_id,
                        "engine_version": engine.version,
                        "created_at": now,
                    }
                    for i in range(size)
                ],
            )


def end_to_end(
    dataset: Path, sizes: list[int], rounds: int, fresh: int, database_url: str | None
) -> dict[str, object]:
    """Part 1 in this process, printed as it goes; returns the figures (for ``--compare``)."""
    figures: dict[str, object] = {"sizes": {}}
    with tempfile.TemporaryDirectory(prefix="eventlens-bench-") as tmp:
        url = database_url or f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        settings = Settings(
            data_dir=Path(tmp) / "data",
            database_url=url,
            secret_key="bench",
            search_rate_limit="1000000/minute",
            search_rate_limit_event="1000000/minute",
            log_level="WARNING",
        )
        app = create_app(settings)
        with TestClient(app, base_url="https://localhost") as client:
            r = client.post(
                "/api/auth/signup",
                json={"email": "bench@example.com", "password": PASSWORD, "name": "Bench"},
            )
            r.raise_for_status()
            client.headers["X-CSRF-Token"] = r.headers["X-CSRF-Token"]
            event = client.post("/api/events", json={"name": "Search bench"}).json()
            client.post(f"/api/events/{event['id']}/publish").raise_for_status()
            event_id = uuid.UUID(event["id"])
            expected: list[tuple[bytes, set[str]]] = []
            for selfie, photos in people(dataset, 12):
                files = [("files", (p.name, p.read_bytes(), "image/jpeg")) for p in photos]
                r = client.post(f"/api/events/{event['id']}/photos", files=files)
                r.raise_for_status()
                expected.append(
                    (selfie.read_bytes(), {i["id"] or i["duplicate_of"] for i in r.json()["items"]})
                )
            run_jobs(app)
            real_faces = client.get(f"/api/events/{event['id']}").json()["counts"]["faces"]
            print(f"event: {real_faces} real faces from {sum(len(e[1]) for e in expected)} photos")
            queries = itertools.cycle(expected)

            def search() -> tuple[float, int, int]:
                selfie, photo_ids = next(queries)
                t0 = time.perf_counter()
                r = client.post(
                    f"/api/public/events/{event['slug']}/search",
                    files={"selfie": ("selfie.jpg", selfie, "image/jpeg")},
                )
                ms = (time.perf_counter() - t0) * 1000
                r.raise_for_status()
                got = {m["photo_id"] for m in r.json()["matches"]}
                return ms, len(got & photo_ids), len(photo_ids)

            rng = np.random.default_rng(42)
            total = real_faces
            print(
                f"{'faces':>9} {'load ms':>8} {'median ms':>9} {'p95 ms':>7} {'max ms':>7} "
                f"{'new faces ms':>12} {'found':>7}"
            )
            for size in sizes:
                add_synthetic(app, event_id, size - total, rng)
                added = time.monotonic()
                total = size
                load, _, _ = search()  # the first search loads the event's faces
                times: list[float] = []
                found = wanted = 0
                for _ in range(rounds):
                    ms, f, w = search()
                    times.append(ms)
                    found, wanted = found + f, wanted + w
                new_faces: list[float] = []
                # A real event's bulk was processed over hours, not in the same second: let the one
                # here age past the window an incremental load looks back over (index.CLOCK_SLACK).
                time.sleep(max(0.0, added + SLACK_S - time.monotonic()))
                for _ in range(fresh):  # a photo's worth of faces arrives, then a guest searches
                    add_synthetic(app, event_id, 5, rng)
                    total += 5
                    new_faces.append(search()[0])
                row = {
                    "faces": total,
                    "load_ms": load,
                    "median_ms": statistics.median(times),
                    "p95_ms": pct(times, 95),
                    "max_ms": max(times),
                    "new_faces_ms": statistics.median(new_faces) if new_faces else float("nan"),
                    "found": found / wanted,
                }
                figures["sizes"][str(size)] = row  # type: ignore[index]
                print(
                    f"{total:>9,} {load:>8.0f} {row['median_ms']:>9.1f} {row['p95_ms']:>7.1f} "
                    f"{row['max_ms']:>7.1f} {row['new_faces_ms']:>12.1f} {row['found']:>7.1%}"
                )
            ctx = app.state.ctx
            # Older trees have no face door: their index hangs off the context directly.
            held = ctx.faces.index_sizes() if hasattr(ctx, "faces") else ctx.face_search.cache.sizes()
            rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            per_million = held["bytes"] / max(held["faces"], 1) * 1_000_000 / 2**20
            figures.update(index_mb_per_1m=per_million, peak_rss_mb=rss_mb, held=held)
            print(f"index held: {held} ({per_million:.0f} MB per 1M faces); process peak RSS {rss_mb:.0f} MB")
    return figures


# --- comparison --------------------------------------------------------------------------------------

FIGURES = [
    ("median_ms", "median ms"),
    ("p95_ms", "p95 ms"),
    ("new_faces_ms", "first search after new faces ms"),
    ("load_ms", "first search (full load) ms"),
    ("found", "found"),
]


def git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(REPO), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def measure_in(tree_src: Path, args: argparse.Namespace, raw: Path) -> dict[str, object]:
    """Part 1 in a new process importing EventLens from ``tree_src`` (its own peak RSS)."""
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--measure-only",
        str(raw),
        "--dataset",
        str(args.dataset),
        "--sizes",
        args.sizes,
        "--rounds",
        str(args.rounds),
        "--fresh",
        str(args.fresh),
    ]
    subprocess.run(cmd, env={**os.environ, "PYTHONPATH": str(tree_src)}, check=True)
    result: dict[str, object] = json.loads(raw.read_text())
    return result


def compare(rev: str, args: argparse.Namespace) -> None:
    here = f"{git('rev-parse', '--abbrev-ref', 'HEAD')}@{git('rev-parse', '--short', 'HEAD')}"
    here += "+changes" if git("status", "--porcelain", "src") else ""
    there = f"{rev}@{git('rev-parse', '--short', rev)}"
    runs: dict[str, list[dict[str, object]]] = {"A": [], "B": []}
    with tempfile.TemporaryDirectory(prefix="search-compare-") as tmp:
        tree = Path(tmp) / "tree"
        git("worktree", "add", "--detach", str(tree), rev)
        try:
            for i in range(args.repeat):
                for name, src in (("A", REPO / "src"), ("B", tree / "src")):
                    print(
                        f"== run {i + 1}/{args.repeat} {name}: {here if name == 'A' else there}", flush=True
                    )
                    runs[name].append(measure_in(src, args, Path(tmp) / f"raw-{name}-{i}.json"))
        finally:
            git("worktree", "remove", "--force", str(tree))
    print(f"\nA = {here}, B = {there}; medians over {args.repeat} run(s) each; ratio = B / A")
    print(f"{'faces':>9} {'figure':<34} {'A':>9} {'B':>9} {'B / A':>7}")

    def med(name: str, size: str, key: str) -> float:
        return statistics.median(float(r["sizes"][size][key]) for r in runs[name])  # type: ignore[index]

    for size in [s for s in args.sizes.split(",") if s]:
        for key, label in FIGURES:
            a, b = med("A", size, key), med("B", size, key)
            print(f"{int(size):>9,} {label:<34} {a:>9.1f} {b:>9.1f} {b / a if a else float('nan'):>7.2f}")
    for key, label in (("index_mb_per_1m", "index MB per 1M faces"), ("peak_rss_mb", "process peak RSS MB")):
        a = statistics.median(float(r[key]) for r in runs["A"])  # type: ignore[arg-type]
        b = statistics.median(float(r[key]) for r in runs["B"])  # type: ignore[arg-type]
        print(f"{'':>9} {label:<34} {a:>9.0f} {b:>9.0f} {b / a if a else float('nan'):>7.2f}")


def index_only(sizes: list[int], dim: int = 128, rounds: int = 50) -> None:
    rng = np.random.default_rng(7)
    print(f"{'faces':>10} {'build s':>8} {'MB':>8} {'per 1M MB':>9} {'median ms':>9} {'p95 ms':>7}")
    for n in sizes:
        vectors = unit_vectors(rng, n, dim)
        queries = unit_vectors(rng, rounds, dim)
        # Each query close to 20 faces, as a real person in a big event would be.
        targets = rng.choice(n, size=(rounds, 20), replace=False)
        for q, t in zip(queries, targets, strict=True):
            planted = q * 0.8 + unit_vectors(rng, 20, dim) * 0.6
            vectors[t] = planted / np.linalg.norm(planted, axis=1, keepdims=True)
        photo_ids = [uuid.uuid4() for _ in range((n + 4) // 5)]
        rows = FaceRows(vectors, [photo_ids[i // 5] for i in range(n)], np.ones((n, 4), np.float32), None)
        tracemalloc.start()  # what the index keeps of the rows is counted, not the rows
        t0 = time.perf_counter()
        index = EventIndex(dim)
        index.replace(rows, Snapshot(0, 0))
        build = time.perf_counter() - t0
        held, _peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        del rows, vectors
        times = []
        for q in queries:
            t0 = time.perf_counter()
            hits = index.search(q, 0.44)
            times.append((time.perf_counter() - t0) * 1000)
            assert hits, "planted faces must be found"
        per = held / n * 1_000_000 / 2**20
        print(
            f"{n:>10,} {build:>8.2f} {held / 2**20:>8.1f} {per:>9.1f} "
            f"{statistics.median(times):>9.2f} {pct(times, 95):>7.2f}"
        )
        del index


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", type=Path, default=DATASET)
    ap.add_argument("--sizes", default="10000,100000,1000000", help="event sizes (faces) searched end to end")
    ap.add_argument("--index-sizes", default="10000,100000,1000000", help="index-only sizes")
    ap.add_argument("--rounds", type=int, default=60, help="timed searches per size")
    ap.add_argument("--fresh", type=int, default=5, help="first searches after new faces, per size")
    ap.add_argument("--compare", metavar="REV", help="also measure git revision REV, side by side")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each tree with --compare (A, B, A, B...)")
    ap.add_argument(
        "--database-url", help="a migrated-or-empty database to use instead of a temp SQLite file"
    )
    ap.add_argument("--measure-only", type=Path, metavar="RAW", help=argparse.SUPPRESS)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}", flush=True)
    if args.measure_only:  # the child process of a comparison
        figures = end_to_end(args.dataset, sizes, args.rounds, args.fresh, args.database_url)
        args.measure_only.write_text(json.dumps(figures))
        return
    if args.compare:
        compare(args.compare, args)
        return
    print("== end to end (HTTP in-process, real faces + synthetic) ==")
    end_to_end(args.dataset, sizes, args.rounds, args.fresh, args.database_url)
    print("== index only ==")
    index_only([int(s) for s in args.index_sizes.split(",") if s])


if __name__ == "__main__":
    main()
