"""Exact cosine search over one event's face embeddings, held compactly in memory and kept fresh.

An event's faces are rows: a unit embedding, a box, and the slot of their photo. An embedding is held as
two int8 vectors and two scales (``v ~ s1 * coarse + s2 * fine``, 2 x dim bytes instead of 4 x dim):
a million 128-dim faces take ~280 MB instead of ~530 MB. A query reads only the coarse half (a quarter
of float32's memory traffic, the cost at a million faces), keeps every face that the coarse error bound
says could reach the floor, and scores those again with both halves: the fine error (< 1e-5) is far
below the third decimal, so tiers and order are those of float32.

The database tells whether our copy is stale by the event's two face counters (bumped in the transaction
that writes or removes faces, ``faces/service.py``): one primary-key read per search, no scan. Faces
added are loaded alone and appended as a new segment; a removal reloads the event.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

import numpy as np

Tier = Literal["high", "possible"]

# Faces committed by another machine whose clock runs behind ours can carry a created_at a little older
# than the newest face we hold: the incremental load looks back this far and skips faces it already has.
CLOCK_SLACK = timedelta(seconds=10)
# Rows converted to float32 at a time by a query: 512 KB that stay in the CPU cache, and a product small
# enough that OpenBLAS runs it on the calling thread (above ~2k rows it wakes its own threads, which on a
# busy machine made the whole pass several times slower).
CHUNK = 1024
# Small segments (faces appended by refreshes) are merged past this many.
MAX_SEGMENTS = 16


@dataclass(frozen=True)
class Match:
    photo_id: uuid.UUID
    similarity: float  # cosine similarity of the photo's best-matching face
    box: tuple[float, float, float, float]
    tier: Tier = "high"


@dataclass(frozen=True)
class Snapshot:
    """How the database sees an event's faces: its change counters (see ``faces/service.py``)."""

    changes: int  # bumped by every transaction that writes or removes faces of the event
    removals: int  # bumped by those that remove faces (photo deleted, reprocessed)


@dataclass
class FaceRows:
    """Faces loaded from the database, oldest first."""

    # (n, dim) float32, or already packed by ``quantize`` (a big load packs batch by batch, so a
    # million faces never exist as float32 all at once)
    embeddings: np.ndarray | Packed
    photo_ids: list[uuid.UUID]  # the photo of each face
    boxes: np.ndarray  # (n, 4) float32: x, y, width, height
    newest: datetime | None
    # Ids of the faces created within CLOCK_SLACK of ``newest``: what the next incremental load skips.
    recent: set[uuid.UUID] = field(default_factory=set)
    face_ids: list[uuid.UUID] | None = None  # the id of each face, when the loader was asked for them

    def __len__(self) -> int:
        return len(self.photo_ids)


Packed = tuple[np.ndarray, np.ndarray, np.ndarray]  # what ``quantize`` returns


def quantize(vectors: np.ndarray) -> Packed:
    """(coarse int8, fine int8, scales (n, 2) float32) with ``v ~ s1 * coarse + s2 * fine``."""
    v = np.asarray(vectors, dtype=np.float32)
    s1 = np.abs(v).max(axis=1) / 127.0
    s1[s1 == 0] = 1.0
    coarse = np.rint(v / s1[:, None]).astype(np.int8)
    rest = v - coarse * s1[:, None]
    s2 = np.abs(rest).max(axis=1) / 127.0
    s2[s2 == 0] = 1.0
    fine = np.rint(rest / s2[:, None]).astype(np.int8)
    return coarse, fine, np.stack([s1, s2], axis=1).astype(np.float32)


@dataclass
class Segment:
    """A run of faces as flat arrays (no Python object per face)."""

    coarse: np.ndarray  # (n, dim) int8
    fine: np.ndarray  # (n, dim) int8
    scales: np.ndarray  # (n, 2) float32
    boxes: np.ndarray  # (n, 4) float32
    slots: np.ndarray  # (n,) int32

    @classmethod
    def of(cls, embeddings: np.ndarray | Packed, boxes: np.ndarray, slots: np.ndarray) -> Segment:
        coarse, fine, scales = embeddings if isinstance(embeddings, tuple) else quantize(embeddings)
        return cls(coarse, fine, scales, np.asarray(boxes, dtype=np.float32).reshape(-1, 4), slots)

    @classmethod
    def joined(cls, parts: Sequence[Segment]) -> Segment:
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in _FIELDS))

    def __len__(self) -> int:
        return int(self.slots.size)

    @property
    def nbytes(self) -> int:
        return sum(int(getattr(self, f).nbytes) for f in _FIELDS)

    def vectors(self, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """The float32 embeddings of ``rows`` (within 1e-5 of what was stored)."""
        s = self.scales[rows]
        return self.coarse[rows] * s[:, :1] + self.fine[rows] * s[:, 1:]

    def candidates(self, queries: np.ndarray, floor: float) -> tuple[np.ndarray, np.ndarray]:
        """Rows whose best similarity to ``queries`` is at least ``floor``, and that similarity.

        The coarse pass errs by at most ``|fine part| . |q|`` <= s1 / 2 x the query's L1 norm, so a row
        below ``floor`` minus that bound cannot reach ``floor``; the rest are scored in full.
        """
        n = len(self)
        slack = self.scales[:, 0] * (0.5 * float(np.abs(queries).sum(axis=1).max()))
        coarse = np.empty(n, dtype=np.float32)
        buf = np.empty((min(CHUNK, n), queries.shape[1]), dtype=np.float32)
        qs = [np.ascontiguousarray(q) for q in queries]
        other = np.empty(min(CHUNK, n), dtype=np.float32)
        for start in range(0, n, CHUNK):
            stop = min(n, start + CHUNK)
            block, out = buf[: stop - start], coarse[start:stop]
            np.copyto(block, self.coarse[start:stop])
            np.dot(block, qs[0], out=out)  # one vector at a time: the fast path of BLAS
            for q in qs[1:]:
                np.maximum(out, np.dot(block, q, out=other[: stop - start]), out=out)
        coarse *= self.scales[:, 0]
        rows = np.flatnonzero(coarse + slack >= floor)
        sims = (self.vectors(rows) @ queries.T).max(axis=1) if rows.size else np.empty(0, np.float32)
        keep = sims >= floor
        return rows[keep], sims[keep].astype(np.float32)


_FIELDS = ("coarse", "fine", "scales", "boxes", "slots")


class EventIndex:
    """One event's faces in segments: the full load, then the faces appended by each refresh."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.segments: list[Segment] = []
        self.photos: list[uuid.UUID] = []
        self._slot_of: dict[uuid.UUID, int] = {}
        self.snapshot = Snapshot(-1, -1)
        self.newest: datetime | None = None
        self.recent: set[uuid.UUID] = set()

    def __len__(self) -> int:
        return sum(len(s) for s in self.segments)

    def replace(self, rows: FaceRows, snapshot: Snapshot) -> None:
        self.photos, self._slot_of, self.segments = [], {}, []
        self.newest, self.recent = None, set()
        self.append(rows, snapshot)

    def append(self, rows: FaceRows, snapshot: Snapshot) -> None:
        if len(rows):
            embeddings = rows.embeddings
            if not isinstance(embeddings, tuple):
                embeddings = np.asarray(embeddings, dtype=np.float32).reshape(-1, self.dim)
            slots = self._slots_for(rows.photo_ids)
            self.segments.append(Segment.of(embeddings, rows.boxes, slots))
            if len(self.segments) > MAX_SEGMENTS:
                self.segments = [self.segments[0], Segment.joined(self.segments[1:])]
        if rows.newest is not None:
            # A load reaches back past what we held (CLOCK_SLACK), so its newest and recent ids are
            # complete: they replace ours.
            self.newest, self.recent = rows.newest, rows.recent
        self.snapshot = snapshot

    def _slots_for(self, photo_ids: Sequence[uuid.UUID]) -> np.ndarray:
        out = np.empty(len(photo_ids), dtype=np.int32)
        slot_of, photos = self._slot_of, self.photos
        for i, pid in enumerate(photo_ids):
            slot = slot_of.get(pid)
            if slot is None:
                slot = slot_of[pid] = len(photos)
                photos.append(pid)
            out[i] = slot
        return out

    @property
    def nbytes(self) -> int:
        return sum(s.nbytes for s in self.segments)

    # Whole-index views for benchmarks and tests (they copy: not for the search path).
    @property
    def matrix(self) -> np.ndarray:
        if not self.segments:
            return np.empty((0, self.dim), dtype=np.float32)
        return np.concatenate([s.vectors() for s in self.segments])

    @property
    def boxes(self) -> np.ndarray:
        return np.concatenate([s.boxes for s in self.segments]) if self.segments else np.empty((0, 4))

    @property
    def slots(self) -> np.ndarray:
        return np.concatenate([s.slots for s in self.segments]) if self.segments else np.empty(0, np.int32)

    def search(
        self, query: np.ndarray, threshold: float, limit: int = 500, *, possible: float | None = None
    ) -> list[Match]:
        """Photos with a face at least ``threshold`` similar to ``query``, best first (one per photo).

        ``query`` is one embedding or several of the same person (rows): a face scores its best
        similarity to any of them, so another selfie can only add photos or raise a score, never take
        one away. With ``possible`` (below ``threshold``) the photos scoring between the two come after
        the others with tier "possible".
        """
        if not self.segments:
            return []
        queries = np.asarray(query, dtype=np.float32).reshape(-1, self.dim)
        floor = threshold if possible is None else min(possible, threshold)
        found = [(seg, *seg.candidates(queries, floor)) for seg in self.segments]
        sims = np.concatenate([f[2] for f in found])
        if sims.size == 0:
            return []
        slots = np.concatenate([seg.slots[rows] for seg, rows, _ in found])
        boxes = np.concatenate([seg.boxes[rows] for seg, rows, _ in found])
        order = np.argsort(-sims, kind="stable")
        # The first occurrence of each photo in best-first order is its best face.
        _, first = np.unique(slots[order], return_index=True)
        best = order[np.sort(first)][:limit]
        photos = self.photos
        return [
            Match(photos[slot], sim, (x, y, w, h), "high" if sim >= threshold else "possible")
            for slot, sim, (x, y, w, h) in zip(
                slots[best].tolist(), sims[best].tolist(), boxes[best].tolist(), strict=True
            )
        ]


# Loaders are given by the caller (the faces service), so this module needs no database.
SnapshotLoader = Callable[[uuid.UUID], Snapshot]
RowsLoader = Callable[[uuid.UUID, str, datetime | None], FaceRows]


class FaceIndexCache:
    """Per-process cache of event indexes (least recently used evicted past ``max_faces`` in total)."""

    def __init__(
        self, dim: int, snapshot: SnapshotLoader, rows: RowsLoader, max_faces: int = 2_000_000
    ) -> None:
        self.dim = dim
        self._snapshot = snapshot
        self._rows = rows
        self._max_faces = max_faces
        self._indexes: OrderedDict[tuple[uuid.UUID, str], EventIndex] = OrderedDict()
        self._locks: dict[tuple[uuid.UUID, str], threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, event_id: uuid.UUID, engine_id: str) -> EventIndex:
        """The event's index, brought up to date with the database first."""
        key = (event_id, engine_id)
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            # Read before the rows: faces committed in between are loaded now and skipped next time.
            current = self._snapshot(event_id)
            with self._guard:
                index = self._indexes.get(key)
                if index is not None:
                    self._indexes.move_to_end(key)
            if index is None:
                index = EventIndex(self.dim)
                index.replace(self._rows(event_id, engine_id, None), current)
            elif current != index.snapshot:
                self._refresh(index, event_id, engine_id, current)
            with self._guard:
                self._indexes[key] = index
                self._evict()
            return index

    def _refresh(self, index: EventIndex, event_id: uuid.UUID, engine_id: str, current: Snapshot) -> None:
        if current.removals != index.snapshot.removals or index.newest is None:
            # Faces were removed or replaced (photo deleted, reprocessed): start again for this event.
            index.replace(self._rows(event_id, engine_id, None), current)
            return
        new = self._rows(event_id, engine_id, index.newest - CLOCK_SLACK)
        seen = index.recent
        if new.face_ids is not None and seen:
            keep = [i for i, fid in enumerate(new.face_ids) if fid not in seen]
            if len(keep) < len(new):
                v = new.embeddings
                new = FaceRows(
                    (v[0][keep], v[1][keep], v[2][keep]) if isinstance(v, tuple) else v[keep],
                    [new.photo_ids[i] for i in keep],
                    new.boxes[keep],
                    new.newest,
                    new.recent,
                )
        index.append(new, current)

    def _evict(self) -> None:
        total = sum(len(ix) for ix in self._indexes.values())
        while total > self._max_faces and len(self._indexes) > 1:
            _key, dropped = self._indexes.popitem(last=False)
            total -= len(dropped)

    def forget(self, event_id: uuid.UUID) -> None:
        with self._guard:
            for key in [k for k in self._indexes if k[0] == event_id]:
                del self._indexes[key]

    def sizes(self) -> dict[str, int]:
        with self._guard:
            return {
                "events": len(self._indexes),
                "faces": sum(len(ix) for ix in self._indexes.values()),
                "bytes": sum(ix.nbytes for ix in self._indexes.values()),
            }


def as_matrix(blobs: Sequence[bytes], dim: int) -> np.ndarray:
    """Stored embeddings (float32 little-endian bytes) as an (n, dim) matrix."""
    if not blobs:
        return np.empty((0, dim), dtype=np.float32)
    return np.frombuffer(b"".join(blobs), dtype="<f4").reshape(len(blobs), dim).astype(np.float32)
