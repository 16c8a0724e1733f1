"""The in-memory face index: exact search, one answer per photo, incremental refresh."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import numpy as np

from eventlens.faces.index import EventIndex, FaceIndexCache, FaceRows, Snapshot


def unit(rng: np.random.Generator, n: int, dim: int = 8) -> np.ndarray:
    v = rng.normal(size=(n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_search_returns_each_photo_once_by_its_best_face() -> None:
    index = EventIndex(3)
    p1, p2 = uuid.uuid4(), uuid.uuid4()
    boxes = np.array([(0, 0, 1, 1), (5, 5, 1, 1), (1, 1, 1, 1)], dtype=np.float32)
    m = np.array([[1, 0, 0], [0.8, 0.6, 0], [0, 1, 0]], dtype=np.float32)
    index.replace(FaceRows(m, [p1, p1, p2], boxes, None), Snapshot(3, None))
    hits = index.search(np.array([0.8, 0.6, 0], dtype=np.float32), threshold=0.5)
    assert [h.photo_id for h in hits] == [p1, p2]
    assert hits[0].box == (5, 5, 1, 1) and abs(hits[0].similarity - 1.0) < 1e-6
    assert index.search(np.array([0, 0, 1], dtype=np.float32), threshold=0.5) == []


def test_cache_appends_new_faces_and_reloads_after_removals() -> None:
    rng = np.random.default_rng(1)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    db: list[tuple[datetime, uuid.UUID, np.ndarray]] = []
    calls = {"full": 0, "partial": 0}

    def add(n: int) -> None:
        for v in unit(rng, n):
            db.append((t0 + timedelta(seconds=len(db)), uuid.uuid4(), v))

    def snapshot(_e: uuid.UUID, _eng: str) -> Snapshot:
        return Snapshot(len(db), max((r[0] for r in db), default=None))

    def rows(_e: uuid.UUID, _eng: str, after: datetime | None) -> FaceRows:
        calls["partial" if after else "full"] += 1
        chosen = [r for r in db if after is None or r[0] > after]
        matrix = np.stack([r[2] for r in chosen]) if chosen else np.empty((0, 8), np.float32)
        boxes = np.zeros((len(chosen), 4), np.float32)
        return FaceRows(matrix, [r[1] for r in chosen], boxes, chosen[-1][0] if chosen else after)

    cache = FaceIndexCache(8, snapshot, rows)
    event = uuid.uuid4()
    add(50)
    assert len(cache.get(event, "e")) == 50 and calls == {"full": 1, "partial": 0}
    cache.get(event, "e")
    assert calls == {"full": 1, "partial": 0}  # unchanged: nothing loaded
    add(5)
    index = cache.get(event, "e")
    assert len(index) == 55 and calls == {"full": 1, "partial": 1}
    query = db[-1][2]
    assert index.search(query, 0.99)[0].photo_id == db[-1][1]
    del db[3]  # a photo was deleted
    assert len(cache.get(event, "e")) == 54 and calls["full"] == 2


def test_limit_and_order_hold_when_many_photos_match() -> None:
    rng = np.random.default_rng(7)
    query = unit(rng, 1)[0]
    index = EventIndex(8)
    photos = [uuid.uuid4() for _ in range(40)]
    # Two faces per photo, each a little off the query; photo order must follow the best face.
    noise = unit(rng, 80) * 0.3
    matrix = query + noise
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    ids = [photos[i // 2] for i in range(80)]
    index.replace(
        FaceRows(matrix.astype(np.float32), ids, np.zeros((80, 4), np.float32), None), Snapshot(80, None)
    )
    hits = index.search(query, threshold=-1.0, limit=25)
    sims = matrix @ query
    best = {pid: max(float(s) for s, p in zip(sims, ids, strict=True) if p == pid) for pid in photos}
    expected = sorted(photos, key=lambda p: -best[p])[:25]
    assert [h.photo_id for h in hits] == expected
    assert all(abs(h.similarity - best[h.photo_id]) < 1e-5 for h in hits)


def test_tiers_put_every_high_match_before_the_possible_ones() -> None:
    index = EventIndex(2)
    photos = [uuid.uuid4() for _ in range(4)]
    angles = np.radians([5, 40, 60, 80])  # similarity to the query (1, 0): cos of the angle
    m = np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)
    index.replace(FaceRows(m, photos, np.zeros((4, 4), np.float32), None), Snapshot(4, None))
    hits = index.search(np.array([1, 0], dtype=np.float32), threshold=0.7, possible=0.4)
    assert [(h.photo_id, h.tier) for h in hits] == [
        (photos[0], "high"),
        (photos[1], "high"),
        (photos[2], "possible"),
    ]
    assert all(h.tier == "high" for h in index.search(np.array([1, 0], dtype=np.float32), 0.4))


def test_another_selfie_only_adds_matches_or_raises_their_tier() -> None:
    rng = np.random.default_rng(7)
    index = EventIndex(8)
    faces = unit(rng, 400)
    photos = [uuid.uuid4() for _ in range(400)]
    index.replace(FaceRows(faces, photos, np.zeros((400, 4), np.float32), None), Snapshot(400, None))
    first, second = unit(rng, 2)
    one = {h.photo_id: h for h in index.search(first, 0.6, 1000, possible=0.4)}
    both = {h.photo_id: h for h in index.search(np.stack([first, second]), 0.6, 1000, possible=0.4)}
    assert set(one) < set(both)  # the second selfie found more
    for pid, hit in one.items():
        assert both[pid].similarity >= hit.similarity - 1e-6  # BLAS sums in another order
        assert hit.tier == "possible" or both[pid].tier == "high"
