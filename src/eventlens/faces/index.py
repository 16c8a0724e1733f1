"""Exact cosine search over one event's face embeddings, held in memory and kept fresh incrementally.

An event's faces are a matrix (N x dim, float32, unit rows). A query is one matrix-vector product:
100,000 faces x 128 dims is ~13 M multiply-adds, a few milliseconds on one core, so exact search needs
no approximate index at event scale. Before each query a cheap aggregate (count and newest face) tells
whether faces were added (load only those) or removed/replaced (reload the event).
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import numpy as np

Tier = Literal["high", "possible"]


@dataclass(frozen=True)
class Match:
    photo_id: uuid.UUID
    similarity: float  # cosine similarity of the photo's best-matching face
    box: tuple[float, float, float, float]
    tier: Tier = "high"


@dataclass(frozen=True)
class Snapshot:
    """How the database sees an event's faces: enough to tell whether our copy is stale."""

    count: int
    newest: datetime | None


@dataclass
class FaceRows:
    """Faces loaded from the database, oldest first."""

    embeddings: np.ndarray  # (n, dim) float32
    photo_ids: list[uuid.UUID]  # the photo of each face
    boxes: np.ndarray  # (n, 4) float32: x, y, width, height
    newest: datetime | None

    def __len__(self) -> int:
        return len(self.photo_ids)


class EventIndex:
    """One event's faces as flat arrays: per face only 4 + 16 + dim*4 bytes, no Python object.

    A million faces as Python objects would cost ~300 MB more than the embeddings themselves, so a face
    is a row: its embedding, its box, and the slot of its photo in ``photos``.
    """

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.matrix = np.empty((0, dim), dtype=np.float32)
        self.boxes = np.empty((0, 4), dtype=np.float32)
        self.slots = np.empty(0, dtype=np.int32)
        self.photos: list[uuid.UUID] = []
        self._slot_of: dict[uuid.UUID, int] = {}
        self.snapshot = Snapshot(0, None)

    def __len__(self) -> int:
        return int(self.slots.size)

    def replace(self, rows: FaceRows, snapshot: Snapshot) -> None:
        self.photos, self._slot_of = [], {}
        self.matrix = np.ascontiguousarray(rows.embeddings, dtype=np.float32).reshape(-1, self.dim)
        self.boxes = np.asarray(rows.boxes, dtype=np.float32).reshape(-1, 4)
        self.slots = self._slots_for(rows.photo_ids)
        self.snapshot = snapshot

    def append(self, rows: FaceRows, snapshot: Snapshot) -> None:
        if len(rows):
            embeddings = np.asarray(rows.embeddings, dtype=np.float32).reshape(-1, self.dim)
            self.matrix = np.vstack([self.matrix, embeddings])
            self.boxes = np.vstack([self.boxes, np.asarray(rows.boxes, dtype=np.float32).reshape(-1, 4)])
            self.slots = np.concatenate([self.slots, self._slots_for(rows.photo_ids)])
        self.snapshot = snapshot

    def _slots_for(self, photo_ids: Sequence[uuid.UUID]) -> np.ndarray:
        out = np.empty(len(photo_ids), dtype=np.int32)
        for i, pid in enumerate(photo_ids):
            slot = self._slot_of.get(pid)
            if slot is None:
                slot = self._slot_of[pid] = len(self.photos)
                self.photos.append(pid)
            out[i] = slot
        return out

    @property
    def nbytes(self) -> int:
        return int(self.matrix.nbytes + self.boxes.nbytes + self.slots.nbytes)

    def search(
        self, query: np.ndarray, threshold: float, limit: int = 500, *, possible: float | None = None
    ) -> list[Match]:
        """Photos with a face at least ``threshold`` similar to ``query``, best first (one per photo).

        ``query`` is one embedding or several of the same person (rows): a face scores its best
        similarity to any of them, so another selfie can only add photos or raise a score, never take
        one away. With ``possible`` (below ``threshold``) the photos scoring between the two come after
        the others with tier "possible".
        """
        if not len(self):
            return []
        queries = np.asarray(query, dtype=np.float32).reshape(-1, self.dim)
        sims = self.matrix @ queries.T
        sims = sims.max(axis=1) if queries.shape[0] > 1 else sims.reshape(-1)
        floor = threshold if possible is None else min(possible, threshold)
        hits = np.flatnonzero(sims >= floor)
        if hits.size == 0:
            return []
        order = hits[np.argsort(-sims[hits], kind="stable")]
        # The first occurrence of each photo in best-first order is its best face.
        _, first = np.unique(self.slots[order], return_index=True)
        best = order[np.sort(first)][:limit]
        return [
            Match(
                self.photos[self.slots[i]],
                float(sims[i]),
                self._box(i),
                "high" if sims[i] >= threshold else "possible",
            )
            for i in best
        ]

    def _box(self, i: int) -> tuple[float, float, float, float]:
        x, y, w, h = (float(v) for v in self.boxes[i])
        return (x, y, w, h)


# Loaders are given by the caller (the faces service), so this module needs no database.
SnapshotLoader = Callable[[uuid.UUID, str], Snapshot]
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
            current = self._snapshot(event_id, engine_id)
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
        old = index.snapshot
        grew = current.count > old.count and (
            old.newest is None or (current.newest is not None and current.newest >= old.newest)
        )
        if grew:
            new_rows = self._rows(event_id, engine_id, old.newest)
            if len(index) + len(new_rows) == current.count:
                index.append(new_rows, current)
                return
        # Faces were removed or replaced (photo deleted, reprocessed): start again for this event.
        index.replace(self._rows(event_id, engine_id, None), current)

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
