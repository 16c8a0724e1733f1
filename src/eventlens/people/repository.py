"""Queries for people: their sums, their faces, and the event's people a page at a time by photo count."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row, and_, delete, exists, func, or_, select, true, update
from sqlalchemy.orm import Session

from eventlens.models import Face, Person, Photo


@dataclass(frozen=True)
class PersonCount:
    person: Person
    photo_count: int


class PersonRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def get(self, event_id: uuid.UUID, person_id: uuid.UUID) -> Person | None:
        """The event's person (another event's person is None, like an unknown one)."""
        person = self.db.get(Person, person_id)
        return person if person is not None and person.event_id == event_id else None

    def of_event(self, event_id: uuid.UUID, engine_id: str) -> list[Person]:
        return list(
            self.db.scalars(
                select(Person)
                .where(Person.event_id == event_id, Person.engine_id == engine_id)
                .order_by(Person.created_at, Person.id)
            )
        )

    def sums(self, event_id: uuid.UUID, engine_id: str) -> list[tuple[uuid.UUID, bytes, int, bool]]:
        """(id, centroid_sum, centroid_count, has a cover) of the event's people: what a new face is
        compared with, read without building a row object per person."""
        q = select(
            Person.id, Person.centroid_sum, Person.centroid_count, Person.cover_face_id.is_not(None)
        ).where(Person.event_id == event_id, Person.engine_id == engine_id)
        rows = self.db.execute(q.order_by(Person.created_at, Person.id))
        return [(pid, total, int(count), bool(cover)) for pid, total, count, cover in rows]

    def update_sum(self, person_id: uuid.UUID, total: bytes, count: int, cover: uuid.UUID | None) -> None:
        values: dict[str, object] = {"centroid_sum": total, "centroid_count": count}
        if cover is not None:
            values["cover_face_id"] = cover
        self.db.execute(
            update(Person)
            .where(Person.id == person_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    def has_any(self, event_id: uuid.UUID) -> bool:
        return self.db.scalar(select(Person.id).where(Person.event_id == event_id).limit(1)) is not None

    def add(self, person: Person) -> Person:
        """Added to the session (written at the next flush: give it its id and sum first)."""
        self.db.add(person)
        return person

    def set_person(self, face_ids: Sequence[uuid.UUID], person_id: uuid.UUID | None) -> None:
        for start in range(0, len(face_ids), ID_CHUNK):
            self.db.execute(
                update(Face)
                .where(Face.id.in_(face_ids[start : start + ID_CHUNK]))
                .values(person_id=person_id)
                .execution_options(synchronize_session=False)
            )

    def move_faces(self, from_id: uuid.UUID, to_id: uuid.UUID) -> None:
        self.db.execute(
            update(Face)
            .where(Face.person_id == from_id)
            .values(person_id=to_id)
            .execution_options(synchronize_session=False)
        )

    def delete(self, person_ids: Sequence[uuid.UUID]) -> None:
        for start in range(0, len(person_ids), ID_CHUNK):
            self.db.execute(
                delete(Person)
                .where(Person.id.in_(person_ids[start : start + ID_CHUNK]))
                .execution_options(synchronize_session=False)
            )

    def prune(self, event_id: uuid.UUID) -> int:
        """Remove the event's people that have no face left; how many."""
        q = delete(Person).where(Person.event_id == event_id, ~exists().where(Face.person_id == Person.id))
        result = self.db.execute(q.execution_options(synchronize_session=False))
        return int(getattr(result, "rowcount", 0) or 0)

    def groupable_faces(
        self, event_id: uuid.UUID, engine_id: str, *, unassigned_only: bool = False
    ) -> list[Row[tuple[uuid.UUID, uuid.UUID, uuid.UUID | None, bytes, float]]]:
        """(id, photo_id, person_id, embedding, width) of the event's searchable faces, oldest first."""
        q = select(Face.id, Face.photo_id, Face.person_id, Face.embedding, Face.box_w).where(
            Face.event_id == event_id, Face.engine_id == engine_id, Face.searchable == true()
        )
        if unassigned_only:
            q = q.where(Face.person_id.is_(None))
        return list(self.db.execute(q.order_by(Face.created_at, Face.id)))

    def has_unassigned(self, event_id: uuid.UUID, engine_id: str, other_than: uuid.UUID) -> bool:
        """Whether faces of other photos wait for a person (indexed before people existed)."""
        q = select(Face.id).where(
            Face.event_id == event_id,
            Face.engine_id == engine_id,
            Face.searchable == true(),
            Face.person_id.is_(None),
            Face.photo_id != other_than,
        )
        return self.db.scalar(q.limit(1)) is not None

    def faces_of(self, person_id: uuid.UUID) -> list[Face]:
        q = select(Face).where(Face.person_id == person_id).order_by(Face.created_at, Face.id)
        return list(self.db.scalars(q))

    def hidden_people(self, person_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        """Those of the people whose every face is hidden from search."""
        if not person_ids:
            return set()
        visible = func.count(Face.id).filter(Face.hidden_by.is_(None))
        q = (
            select(Face.person_id)
            .where(Face.person_id.in_(person_ids))
            .group_by(Face.person_id)
            .having(visible == 0)
        )
        return {pid for pid in self.db.scalars(q) if pid is not None}

    def page(self, event_id: uuid.UUID, limit: int, after: tuple[int, uuid.UUID] | None) -> list[PersonCount]:
        """The event's people with faces, most photos first (ties by id), after the cursor's (count, id)."""
        photos = func.count(func.distinct(Face.photo_id)).label("photos")
        counts = (
            select(Face.person_id.label("person_id"), photos)
            .where(Face.event_id == event_id, Face.person_id.is_not(None))
            .group_by(Face.person_id)
            .subquery()
        )
        q = select(Person, counts.c.photos).join(counts, counts.c.person_id == Person.id)
        if after is not None:
            count, last_id = after
            q = q.where(or_(counts.c.photos < count, and_(counts.c.photos == count, Person.id > last_id)))
        q = q.order_by(counts.c.photos.desc(), Person.id).limit(limit)
        return [PersonCount(p, int(n)) for p, n in self.db.execute(q)]

    def largest_faces(self, person_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
        """person -> their widest face (a cover for people whose cover face went)."""
        if not person_ids:
            return {}
        q = select(Face.person_id, Face.id, Face.box_w).where(Face.person_id.in_(person_ids))
        best: dict[uuid.UUID, tuple[float, uuid.UUID]] = {}
        for pid, fid, width in self.db.execute(q):
            if pid is not None and (pid not in best or width > best[pid][0]):
                best[pid] = (width, fid)
        return {pid: fid for pid, (_w, fid) in best.items()}

    def covers_present(self, pairs: Sequence[tuple[uuid.UUID, uuid.UUID]]) -> set[uuid.UUID]:
        """Of (person, cover face) pairs, the faces that still exist and still belong to that person."""
        if not pairs:
            return set()
        faces = [f for _p, f in pairs]
        q = select(Face.id, Face.person_id).where(Face.id.in_(faces))
        owner = dict(pairs)
        return {fid for fid, pid in self.db.execute(q) if pid is not None and owner.get(pid) == fid}

    def photos_of(
        self, person_id: uuid.UUID, limit: int, after: tuple[datetime, uuid.UUID] | None
    ) -> list[tuple[Photo, list[uuid.UUID]]]:
        """The person's photos in upload order, each with the person's faces in it, after the cursor."""
        q = select(Photo).where(exists().where(Face.photo_id == Photo.id, Face.person_id == person_id))
        if after is not None:
            when, last_id = after
            q = q.where(or_(Photo.created_at > when, and_(Photo.created_at == when, Photo.id > last_id)))
        photos = list(self.db.scalars(q.order_by(Photo.created_at, Photo.id).limit(limit)))
        faces: dict[uuid.UUID, list[uuid.UUID]] = {p.id: [] for p in photos}
        if photos:
            fq = (
                select(Face.photo_id, Face.id)
                .where(Face.person_id == person_id, Face.photo_id.in_(list(faces)))
                .order_by(Face.box_x)
            )
            for photo_id, face_id in self.db.execute(fq):
                faces[photo_id].append(face_id)
        return [(p, faces[p.id]) for p in photos]

    def face(self, face_id: uuid.UUID) -> Face | None:
        return self.db.get(Face, face_id)

    def photo(self, photo_id: uuid.UUID) -> Photo | None:
        return self.db.get(Photo, photo_id)


# SQLite binds at most 32,766 parameters per statement.
ID_CHUNK = 1000
