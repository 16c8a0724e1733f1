"""Selfie search: server-side latency at 10k / 100k faces, index cost up to 1M, memory per 100k faces.

    python bench/search.py [--sizes 10000,100000] [--index-sizes 10000,100000,1000000]

1. End to end: ``POST /api/public/events/{slug}/search`` through the real app in-process (no network),
   on a published event holding real faces (dataset photos indexed by the real pipeline) plus synthetic
   unit vectors in the database up to N faces. Timed from the request to the parsed answer, which is
   what the server does: selfie decode, detect + embed, index freshness check, matrix search, answer.
   Every timed search is also checked: the selfie's person's photos must come back.
2. The in-memory index alone for bigger N (no database): search time and bytes per face.
"""

from __future__ import annotations

import argparse
import itertools
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import insert

from eventlens.app import create_app
from eventlens.config import Settings
from eventlens.db import utcnow
from eventlens.faces.index import EventIndex, FaceRows, Snapshot
from eventlens.migrate import upgrade
from eventlens.models import Face, Photo, PhotoSource, PhotoStatus

DATASET = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "faces"
PASSWORD = "bench password 123"


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
    """``n`` synthetic faces, five per synthetic photo, straight into the database."""
    ctx = app.state.ctx
    dim, engine = ctx.face_engine.dim, ctx.face_engine
    now = utcnow()
    with ctx.engine.begin() as conn:
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


def end_to_end(dataset: Path, sizes: list[int], rounds: int, database_url: str | None) -> None:
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
        with TestClient(app, base_url="https://bench") as client:
            r = client.post(
                "/api/auth/signup",
                json={"email": "bench@example.com", "password": PASSWORD, "name": "Bench"},
            )
            r.raise_for_status()
            client.headers["X-CSRF-Token"] = r.headers["X-CSRF-Token"]
            event = client.post("/api/events", json={"name": "Search bench"}).json()
            client.post(f"/api/events/{event['id']}/publish").raise_for_status()
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

            rng = np.random.default_rng(42)
            total = real_faces
            print(f"{'faces':>9} {'cold ms':>8} {'median ms':>9} {'p95 ms':>7} {'max ms':>7} {'found':>7}")
            for size in sizes:
                add_synthetic(app, uuid.UUID(event["id"]), size - total, rng)
                total = size
                times: list[float] = []
                found = wanted = 0
                queries = itertools.cycle(expected)
                for i in range(rounds + 1):
                    selfie, photo_ids = next(queries)
                    t0 = time.perf_counter()
                    r = client.post(
                        f"/api/public/events/{event['slug']}/search",
                        files={"selfie": ("selfie.jpg", selfie, "image/jpeg")},
                    )
                    ms = (time.perf_counter() - t0) * 1000
                    r.raise_for_status()
                    got = {m["photo_id"] for m in r.json()["matches"]}
                    found += len(got & photo_ids)
                    wanted += len(photo_ids)
                    if i == 0:
                        cold = ms  # the first search after new faces loads them into the index
                    else:
                        times.append(ms)
                print(
                    f"{total:>9,} {cold:>8.0f} {statistics.median(times):>9.1f} {pct(times, 95):>7.1f} "
                    f"{max(times):>7.1f} {found / wanted:>7.1%}"
                )
            sizes_now = app.state.ctx.face_search.cache.sizes()
            rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"index held: {sizes_now}; process peak RSS {rss_mb:.0f} MB")


def index_only(sizes: list[int], dim: int = 128, rounds: int = 50) -> None:
    rng = np.random.default_rng(7)
    print(f"{'faces':>10} {'build s':>8} {'MB':>8} {'per 100k MB':>11} {'median ms':>9} {'p95 ms':>7}")
    for n in sizes:
        tracemalloc.start()  # before the rows exist: what the index keeps of them is counted
        vectors = unit_vectors(rng, n, dim)
        photo_ids = [uuid.uuid4() for _ in range((n + 4) // 5)]
        rows = FaceRows(vectors, [photo_ids[i // 5] for i in range(n)], np.ones((n, 4), np.float32), None)
        t0 = time.perf_counter()
        index = EventIndex(dim)
        index.replace(rows, Snapshot(n, None))
        build = time.perf_counter() - t0
        del rows, vectors, photo_ids
        held, _peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        queries = unit_vectors(rng, rounds, dim)
        # A query close to 20 faces, as a real person in a big event would be.
        targets = rng.choice(n, size=(rounds, 20))
        times = []
        for q, t in zip(queries, targets, strict=True):
            index.matrix[t] = q * 0.8 + unit_vectors(rng, 20, dim) * 0.6
            t0 = time.perf_counter()
            hits = index.search(q, 0.44)
            times.append((time.perf_counter() - t0) * 1000)
            assert hits, "planted faces must be found"
        per = held / n * 100_000 / 2**20
        print(
            f"{n:>10,} {build:>8.2f} {held / 2**20:>8.1f} {per:>11.1f} "
            f"{statistics.median(times):>9.2f} {pct(times, 95):>7.2f}"
        )
        del index


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", type=Path, default=DATASET)
    ap.add_argument("--sizes", default="10000,100000", help="event sizes (faces) searched end to end")
    ap.add_argument("--index-sizes", default="10000,100000,1000000", help="index-only sizes")
    ap.add_argument("--rounds", type=int, default=60, help="timed searches per size")
    ap.add_argument(
        "--database-url", help="a migrated-or-empty database to use instead of a temp SQLite file"
    )
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}")
    print("== end to end (HTTP in-process, real faces + synthetic) ==")
    end_to_end(args.dataset, sizes, args.rounds, args.database_url)
    print("== index only ==")
    index_only([int(s) for s in args.index_sizes.split(",") if s])


if __name__ == "__main__":
    main()
