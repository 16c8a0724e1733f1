"""The in-memory face index against pgvector in PostgreSQL, on the same faces (README: Benchmarks).

    pip install -e ".[bench]"   # pgserver (Apache-2.0): PostgreSQL with pgvector, for this script only
    python bench/pgvector.py [--faces 1000000] [--queries 50] [--ef 40,100,200]

N synthetic unit vectors (128 dims, like SFace's) with, for each query, 20 faces planted close to it (a
guest's photos in a big event). The same vectors go into:

- the in-memory index (``faces/index.py``: int8 coarse pass, exact re-scoring), as a search process holds
  them;
- a throw-away PostgreSQL started by ``pgserver`` (binary COPY), searched by ``ORDER BY embedding <#> q
  LIMIT 50`` exactly (sequential scan) and through an HNSW index (m 16, ef_construction 64) at several
  ``hnsw.ef_search``.

Prints per method: median and p95 latency, recall@50 against the exact float32 top 50, and memory (the
index's bytes; the table's and the HNSW index's size on disk), plus the HNSW build time.
"""

from __future__ import annotations

import argparse
import statistics
import struct
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

from eventlens.faces.index import EventIndex, FaceRows, Snapshot

DIM = 128
K = 50


def unit_vectors(rng: np.random.Generator, n: int) -> np.ndarray:
    v = rng.standard_normal((n, DIM), dtype=np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return v


def faces_and_queries(n: int, queries: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    faces = unit_vectors(rng, n)
    qs = unit_vectors(rng, queries)
    targets = rng.choice(n, size=(queries, 20), replace=False)
    for q, t in zip(qs, targets, strict=True):
        planted = q * 0.8 + unit_vectors(rng, 20) * 0.6
        faces[t] = planted / np.linalg.norm(planted, axis=1, keepdims=True)
    return faces, qs


def exact_top(faces: np.ndarray, qs: np.ndarray) -> list[set[int]]:
    out = []
    for q in qs:
        sims = faces @ q
        out.append(set(np.argpartition(-sims, K)[:K].tolist()))
    return out


def summary(name: str, times: list[float], recall: float, memory: str) -> None:
    p95 = float(np.percentile(times, 95))
    print(f"{name:<34} {statistics.median(times):>9.1f} {p95:>8.1f} {recall:>9.3f}  {memory}", flush=True)


def in_memory(faces: np.ndarray, qs: np.ndarray, truth: list[set[int]]) -> None:
    n = len(faces)
    ids = [uuid.UUID(int=i) for i in range(n)]  # one face per photo: photo i is face i
    index = EventIndex(DIM)
    t0 = time.perf_counter()
    index.replace(FaceRows(faces, ids, np.zeros((n, 4), np.float32), None), Snapshot(0, 0))
    build = time.perf_counter() - t0
    times, hits = [], 0
    for q, want in zip(qs, truth, strict=True):
        # Just under the 50th best similarity: the index orders within 2e-5 of float32.
        floor = float(min(faces[i] @ q for i in want)) - 1e-4
        t0 = time.perf_counter()
        found = index.search(q, floor, limit=K)
        times.append((time.perf_counter() - t0) * 1000)
        hits += len({m.photo_id.int for m in found} & want)
    summary("in-memory index (exact)", times, hits / (K * len(qs)), f"{index.nbytes / 2**20:.0f} MB in RAM")
    print(f"  (built from float32 rows in {build:.1f} s)")


def copy_rows(faces: np.ndarray) -> bytes:
    """The faces as PostgreSQL binary COPY data: (id int8, embedding vector)."""
    n = len(faces)
    row = np.dtype(
        [
            ("fields", ">i2"),
            ("id_len", ">i4"),
            ("id", ">i8"),
            ("vec_len", ">i4"),
            ("dim", ">i2"),
            ("unused", ">i2"),
            ("vec", ">f4", (DIM,)),
        ]
    )
    rows = np.zeros(n, dtype=row)
    rows["fields"], rows["id_len"], rows["id"] = 2, 8, np.arange(n)
    rows["vec_len"], rows["dim"], rows["vec"] = 4 + 4 * DIM, DIM, faces
    header = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
    return header + rows.tobytes() + struct.pack(">h", -1)


def postgres(faces: np.ndarray, qs: np.ndarray, truth: list[set[int]], efs: list[int]) -> None:
    import pgserver
    import psycopg

    with tempfile.TemporaryDirectory(prefix="pgvector-bench-") as tmp:
        server = pgserver.get_server(Path(tmp) / "pgdata", cleanup_mode="stop")
        with psycopg.connect(server.get_uri(), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
            version = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
            pg = conn.execute("SHOW server_version").fetchone()
            print(f"  PostgreSQL {pg[0] if pg else '?'}, pgvector {version[0] if version else '?'}")
            conn.execute(f"CREATE TABLE faces (id bigint PRIMARY KEY, embedding vector({DIM}) NOT NULL)")
            t0 = time.perf_counter()
            with (
                conn.cursor() as cur,
                cur.copy("COPY faces (id, embedding) FROM STDIN (FORMAT BINARY)") as copy,
            ):
                data = copy_rows(faces)
                for start in range(0, len(data), 1 << 24):
                    copy.write(data[start : start + (1 << 24)])
                del data
            conn.execute("VACUUM ANALYZE faces")
            print(f"  loaded {len(faces):,} rows in {time.perf_counter() - t0:.0f} s")
            table_mb = _size(conn, "pg_table_size('faces')")

            def run(name: str, memory: str) -> None:
                times, hits = [], 0
                for q, want in zip(qs, truth, strict=True):
                    literal = "[" + ",".join(f"{x:.7g}" for x in q) + "]"
                    t0 = time.perf_counter()
                    rows = conn.execute(
                        "SELECT id FROM faces ORDER BY embedding <#> %s::vector LIMIT %s", (literal, K)
                    ).fetchall()
                    times.append((time.perf_counter() - t0) * 1000)
                    hits += len({r[0] for r in rows} & want)
                summary(name, times, hits / (K * len(qs)), memory)

            run("pgvector exact (seq scan)", f"table {table_mb:.0f} MB")
            conn.execute("SET maintenance_work_mem = '3GB'")
            conn.execute("SET max_parallel_maintenance_workers = 1")
            t0 = time.perf_counter()
            conn.execute(
                "CREATE INDEX faces_hnsw ON faces USING hnsw (embedding vector_ip_ops) "
                "WITH (m = 16, ef_construction = 64)"
            )
            built = time.perf_counter() - t0
            index_mb = _size(conn, "pg_relation_size('faces_hnsw')")
            print(f"  HNSW index built in {built:.0f} s ({index_mb:.0f} MB)")
            for ef in efs:
                conn.execute(f"SET hnsw.ef_search = {int(ef)}")
                run(f"pgvector HNSW ef_search={ef}", f"table {table_mb:.0f} MB + index {index_mb:.0f} MB")
        server.cleanup()


def _size(conn: object, expr: str) -> float:
    row = conn.execute(f"SELECT {expr}").fetchone()  # type: ignore[attr-defined]
    return float(row[0]) / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--faces", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=50)
    ap.add_argument("--ef", default="40,100,200", help="hnsw.ef_search values to measure")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--skip-postgres", action="store_true", help="the in-memory index only")
    args = ap.parse_args()
    print(
        f"python {sys.version.split()[0]}, numpy {np.__version__}; {args.faces:,} faces, {args.queries} queries"
    )
    faces, qs = faces_and_queries(args.faces, args.queries, args.seed)
    truth = exact_top(faces, qs)
    print(f"{'method':<34} {'median ms':>9} {'p95 ms':>8} {'recall@50':>9}  memory")
    in_memory(faces, qs, truth)
    if not args.skip_postgres:
        postgres(faces, qs, truth, [int(e) for e in args.ef.split(",") if e])


if __name__ == "__main__":
    main()
