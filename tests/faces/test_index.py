"""The in-memory face index: exact search, one answer per photo, incremental refresh."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import numpy as np

from eventlens.faces.index import CLOCK_SLACK, EventIndex, FaceIndexCache, FaceRows, Snapshot


def unit(rng: np.random.Generator, n: int, dim: int = 8) -> np.ndarray:
    v = rng.normal(size=(n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_search_returns_each_photo_once_by_its_best_face() -> None:
    index = EventIndex(3)
    p1, p2 = uuid.uuid4(), uuid.uuid4()
    boxes = np.array([(0, 0, 1, 1), (5, 5, 1, 1), (1, 1, 1, 1)], dtype=np.float32)
    m = np.array([[1, 0, 0], [0.8, 0.6, 0], [0, 1, 0]], dtype=np.float32)
    index.replace(FaceRows(m, [p1, p1, p2], boxes, None), Snapshot(0, 0))
    hits = index.search(np.array([0.8, 0.6, 0], dtype=np.float32), threshold=0.5)
    assert [h.photo_id for h in hits] == [p1, p2]
    assert hits[0].box == (5, 5, 1, 1) and abs(hits[0].similarity - 1.0) < 1e-6
    assert index.search(np.array([0, 0, 1], dtype=np.float32), threshold=0.5) == []


class FakeFaces:
    """The faces table and the event's counters, as the faces service keeps them."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.t0 = datetime(2026, 1, 1, tzinfo=UTC)
        self.rows: list[tuple[datetime, uuid.UUID, uuid.UUID, np.ndarray]] = []  # created, face, photo, v
        self.changes = self.removals = 0
        self.calls = {"full": 0, "partial": 0}

    def add(self, n: int, *, at: datetime | None = None) -> None:
        for v in unit(self.rng, n):
            created = at or self.t0 + timedelta(seconds=len(self.rows))
            self.rows.append((created, uuid.uuid4(), uuid.uuid4(), v))
        self.changes += 1

    def remove(self, i: int) -> None:
        del self.rows[i]
        self.changes += 1
        self.removals += 1

    def snapshot(self, _e: uuid.UUID) -> Snapshot:
        return Snapshot(self.changes, self.removals)

    def load(self, _e: uuid.UUID, _eng: str, after: datetime | None) -> FaceRows:
        self.calls["partial" if after else "full"] += 1
        chosen = sorted((r for r in self.rows if after is None or r[0] > after), key=lambda r: r[0])
        matrix = np.stack([r[3] for r in chosen]) if chosen else np.empty((0, 8), np.float32)
        newest = chosen[-1][0] if chosen else None
        recent = {r[1] for r in chosen if newest and r[0] > newest - CLOCK_SLACK}
        return FaceRows(
            matrix,
            [r[2] for r in chosen],
            np.zeros((len(chosen), 4), np.float32),
            newest,
            recent,
            [r[1] for r in chosen] if after else None,
        )


def test_cache_appends_new_faces_and_reloads_after_removals() -> None:
    db = FakeFaces(np.random.default_rng(1))
    cache = FaceIndexCache(8, db.snapshot, db.load)
    event = uuid.uuid4()
    db.add(50)
    assert len(cache.get(event, "e")) == 50 and db.calls == {"full": 1, "partial": 0}
    cache.get(event, "e")
    assert db.calls == {"full": 1, "partial": 0}  # unchanged counters: no query of the faces
    db.add(5)
    index = cache.get(event, "e")
    assert len(index) == 55 and db.calls == {"full": 1, "partial": 1}
    assert index.search(db.rows[-1][3], 0.99)[0].photo_id == db.rows[-1][2]
    db.remove(3)  # a photo was deleted
    assert len(cache.get(event, "e")) == 54 and db.calls["full"] == 2


def test_a_face_committed_late_with_an_older_timestamp_is_loaded_once() -> None:
    """Another machine's clock a few seconds behind: its face sorts before the newest one we hold."""
    db = FakeFaces(np.random.default_rng(2))
    cache = FaceIndexCache(8, db.snapshot, db.load)
    event = uuid.uuid4()
    db.add(20)
    assert len(cache.get(event, "e")) == 20
    db.add(1, at=db.rows[-1][0] - timedelta(seconds=3))
    index = cache.get(event, "e")
    assert len(index) == 21
    assert index.search(db.rows[-1][3], 0.99)[0].photo_id == db.rows[-1][2]
    db.add(2)
    assert len(cache.get(event, "e")) == 23  # the faces in the slack window are not added twice
    assert db.calls == {"full": 1, "partial": 2}


def test_compact_embeddings_score_like_float32() -> None:
    """int8 coarse + fine halves: every face float32 finds is found, at the same similarity."""
    rng = np.random.default_rng(3)
    faces = unit(rng, 20_000, dim=128)
    queries = unit(rng, 5, dim=128)
    faces[:50] = queries[0] * 0.7 + unit(rng, 50, dim=128) * 0.5  # a person's faces near the floor
    faces /= np.linalg.norm(faces, axis=1, keepdims=True)
    photos = [uuid.uuid4() for _ in range(len(faces))]
    index = EventIndex(128)
    index.replace(FaceRows(faces, photos, np.zeros((len(faces), 4), np.float32), None), Snapshot(0, 0))
    assert index.nbytes < faces.nbytes * 0.6
    assert np.abs(index.matrix - faces).max() < 2e-5
    for q in queries:
        sims = faces @ q
        for floor in (0.2, 0.3, 0.5):
            hits = index.search(q, floor, limit=100_000)
            want = {photos[i] for i in np.flatnonzero(sims >= floor)}
            assert {h.photo_id for h in hits} == want
            by_photo = {p: float(s) for p, s in zip(photos, sims, strict=True)}
            assert all(abs(h.similarity - by_photo[h.photo_id]) < 2e-5 for h in hits)


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
        FaceRows(matrix.astype(np.float32), ids, np.zeros((80, 4), np.float32), None), Snapshot(0, 0)
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
    index.replace(FaceRows(m, photos, np.zeros((4, 4), np.float32), None), Snapshot(0, 0))
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
    index.replace(FaceRows(faces, photos, np.zeros((400, 4), np.float32), None), Snapshot(0, 0))
    first, second = unit(rng, 2)
    one = {h.photo_id: h for h in index.search(first, 0.6, 1000, possible=0.4)}
    both = {h.photo_id: h for h in index.search(np.stack([first, second]), 0.6, 1000, possible=0.4)}
    assert set(one) < set(both)  # the second selfie found more
    for pid, hit in one.items():
        assert both[pid].similarity >= hit.similarity - 1e-6  # BLAS sums in another order
        assert hit.tier == "possible" or both[pid].tier == "high"
