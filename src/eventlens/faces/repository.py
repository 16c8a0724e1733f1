"""Queries for faces: what the index loads (searchable, not hidden faces only), a photo's faces, and the faces and
collections an external index (Rekognition) holds."""

from __future__ import annotations

import bisect
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import DateTime, String, delete, func, select, true, type_coerce, update
from sqlalchemy.orm import Session

from eventlens.faces.index import CLOCK_SLACK, FaceRows, Packed, Snapshot, as_matrix, quantize
from eventlens.models import Event, Face, FaceCollection


class FaceRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def snapshot(self, event_id: uuid.UUID) -> Snapshot:
        """The event's face counters: one primary-key read, whatever the number of faces."""
        row = self.db.execute(
            select(Event.face_changes, Event.face_removals).where(Event.id == event_id)
        ).one_or_none()
        return Snapshot(-1, -1) if row is None else Snapshot(int(row[0]), int(row[1]))

    def searchable_count(self, event_id: uuid.UUID, engine_id: str) -> int:
        """How many faces a search of the event goes through (a scan: not on the local search path)."""
        q = select(func.count()).where(
            Face.event_id == event_id,
            Face.engine_id == engine_id,
            Face.searchable == true(),
            Face.hidden_by.is_(None),
        )
        return int(self.db.scalar(q) or 0)

    def faces_changing(self, event_id: uuid.UUID, photo_id: uuid.UUID) -> None:
        """Bump the event's face counters in the transaction that is about to change the photo's faces.

        The update also locks the event's row until the commit, so transactions writing an event's
        faces take turns and their faces' created_at follow the commit order (what the incremental
        load relies on).
        """
        had_faces = self.db.scalar(select(Face.id).where(Face.photo_id == photo_id).limit(1)) is not None
        values: dict[str, Any] = {"face_changes": Event.face_changes + 1}
        if had_faces:
            values["face_removals"] = Event.face_removals + 1
        self.db.execute(
            update(Event)
            .where(Event.id == event_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    def rows(self, event_id: uuid.UUID, engine_id: str, after: datetime | None, dim: int) -> FaceRows:
        """The event's searchable faces, oldest first (those created after ``after`` with their ids).

        Read in batches straight into arrays: a million faces never exist as a million row objects.
        Ids come as the driver gives them and are made UUIDs once per photo (five faces share one),
        and face ids only for the faces that need them (the slack window, an incremental load).
        """
        q = select(
            type_coerce(Face.photo_id, String),
            Face.box_x,
            Face.box_y,
            Face.box_w,
            Face.box_h,
            Face.embedding,
            type_coerce(Face.created_at, DateTime()),  # zone added to the few that are kept
            type_coerce(Face.id, String),
        ).where(
            Face.event_id == event_id,
            Face.engine_id == engine_id,
            Face.searchable == true(),
            Face.hidden_by.is_(None),  # hidden people (hiding/service.py) are never matched
        )
        if after is not None:
            q = q.where(Face.created_at > after)
        # Core, not ORM: no per-row wrapping.
        result = self.db.connection().execute(
            q.order_by(Face.created_at).execution_options(yield_per=ROWS_BATCH)
        )
        packed: list[Packed] = []
        box_parts: list[np.ndarray] = []
        photo_ids: list[uuid.UUID] = []
        known: dict[Any, uuid.UUID] = {}
        face_ids: list[uuid.UUID] | None = [] if after is not None else None
        tail: list[tuple[datetime, Any]] = []
        for batch in result.partitions():
            cols = list(zip(*batch, strict=True))
            for raw in cols[0]:
                pid = known.get(raw)
                if pid is None:
                    pid = known[raw] = _as_uuid(raw)
                photo_ids.append(pid)
            box_parts.append(np.array(cols[1:5], dtype=np.float32).T)
            packed.append(quantize(as_matrix(cols[5], dim)))
            if face_ids is not None:
                face_ids += map(_as_uuid, cols[7])
            # Oldest first: the window before the newest face is the end of this batch (and maybe of
            # the ones before it).
            created = cols[6]
            edge = bisect.bisect_right(created, created[-1] - CLOCK_SLACK)
            tail = [t for t in tail if t[0] > created[-1] - CLOCK_SLACK]
            tail += zip(created[edge:], cols[7][edge:], strict=True)
        if not photo_ids:
            empty = np.empty((0, dim), np.float32)
            return FaceRows(empty, [], np.empty((0, 4), np.float32), None, set(), face_ids)
        coarse, fine, scales = (np.concatenate(part) for part in zip(*packed, strict=True))
        del packed
        boxes = box_parts[0] if len(box_parts) == 1 else np.concatenate(box_parts)
        recent = {_as_uuid(fid) for _, fid in tail}
        newest = tail[-1][0]
        newest = newest.replace(tzinfo=UTC) if newest.tzinfo is None else newest.astimezone(UTC)
        return FaceRows((coarse, fine, scales), photo_ids, boxes, newest, recent, face_ids)

    def for_photo(self, photo_id: uuid.UUID) -> list[Face]:
        return list(self.db.scalars(select(Face).where(Face.photo_id == photo_id).order_by(Face.box_x)))

    def count_for_event(self, event_id: uuid.UUID) -> int:
        return int(self.db.scalar(select(func.count(Face.id)).where(Face.event_id == event_id)) or 0)

    # --- faces in an external index ----------------------------------------------------------------

    def external_ids(self, photo_id: uuid.UUID) -> list[str]:
        """The external index's ids of the photo's faces (empty for faces of a local engine)."""
        q = select(Face.external_id).where(Face.photo_id == photo_id, Face.external_id.is_not(None))
        return sorted(fid for fid in self.db.scalars(q) if fid)

    def by_external_ids(self, event_id: uuid.UUID, external_ids: Sequence[str]) -> list[ExternalFace]:
        """The event's searchable faces among ``external_ids`` (others: unknown, or not the event's)."""
        found: list[ExternalFace] = []
        ids = list(dict.fromkeys(external_ids))
        for start in range(0, len(ids), ID_CHUNK):
            q = select(Face.external_id, Face.photo_id, Face.box_x, Face.box_y, Face.box_w, Face.box_h).where(
                Face.event_id == event_id,
                Face.searchable == true(),
                Face.hidden_by.is_(None),
                Face.external_id.in_(ids[start : start + ID_CHUNK]),
            )
            found += [
                ExternalFace(str(r.external_id), r.photo_id, (r.box_x, r.box_y, r.box_w, r.box_h))
                for r in self.db.execute(q)
            ]
        return found

    def has_collection(self, name: str) -> bool:
        return self.db.get(FaceCollection, name) is not None

    def add_collection(self, name: str, event_id: uuid.UUID, engine_id: str) -> None:
        self.db.add(FaceCollection(name=name, event_id=event_id, engine_id=engine_id))

    def collections_of(self, event_id: uuid.UUID) -> list[str]:
        return list(self.db.scalars(select(FaceCollection.name).where(FaceCollection.event_id == event_id)))

    def delete_collection(self, name: str) -> None:
        self.db.execute(delete(FaceCollection).where(FaceCollection.name == name))


# Rows read at a time by a full load (each batch becomes arrays before the next is read).
ROWS_BATCH = 20_000
# SQLite binds at most 32,766 parameters per statement; a search may name 4,096 faces.
ID_CHUNK = 1000


def _as_uuid(raw: Any) -> uuid.UUID:
    """An id as read without conversion: a UUID (PostgreSQL's driver) or 32 hex digits (SQLite)."""
    return raw if isinstance(raw, uuid.UUID) else uuid.UUID(raw)


@dataclass(frozen=True)
class ExternalFace:
    external_id: str
    photo_id: uuid.UUID
    box: tuple[float, float, float, float]
