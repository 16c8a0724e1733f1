"""People: group an event's faces (incrementally as photos are indexed, in full on demand) and curate them.

Which faces: the searchable ones only. Faces too small or blurred for search have embeddings too poor
to group (they would scatter into people of one face each, or pull a person's mean off), and a face a
guest cannot be found by is not one the photographer needs to curate. Engines without embeddings
(Rekognition) have no people.

Curating (rename, merge, split) marks a person ``curated``: a regroup keeps curated people and their
faces as they are, and new faces still join them by the same rule as any person.
"""

from __future__ import annotations

import io
import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
from PIL import Image
from sqlalchemy.orm import Session, sessionmaker

from eventlens.db import new_id, session_scope
from eventlens.errors import ApiError, Invalid, NotFound
from eventlens.faces.backend import FaceBackend
from eventlens.hiding import service as hiding
from eventlens.jobs.after_commit import enqueue_after_commit
from eventlens.models import Event, Face, Person, Photo
from eventlens.pagination import decode_cursor, encode_cursor
from eventlens.people import clustering, crops
from eventlens.people.clustering import Groups
from eventlens.people.repository import PersonRepository
from eventlens.people.schemas import (
    PersonFace,
    PersonPhoto,
    PersonRead,
)
from eventlens.photos import keys
from eventlens.storage.base import ObjectNotFound, ObjectStore

log = logging.getLogger("eventlens.people")

REGROUP_JOB = "people.regroup"
THUMB_SIDE = 160  # px of a face crop's side


def threshold_of(faces: FaceBackend) -> float | None:
    """The grouping threshold of the install's face backend; None when it keeps no embeddings."""
    match = getattr(getattr(faces, "engine", None), "match_threshold", None)
    return None if match is None else clustering.threshold_for(faces.engine_id, float(match))


def _vector(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<f4").astype(np.float32)


def _groupable(face: Face) -> bool:
    return bool(face.searchable and face.embedding)


def _groups(people: Sequence[Person], dim: int) -> Groups:
    if not people:
        return Groups.empty(dim)
    return Groups(
        np.vstack([_vector(p.centroid_sum) for p in people]),
        np.array([p.centroid_count for p in people], dtype=np.int64),
    )


def _new_person(event_id: uuid.UUID, engine_id: str, cover: uuid.UUID | None) -> Person:
    return Person(id=new_id(), event_id=event_id, engine_id=engine_id, cover_face_id=cover, centroid_count=0)


# --- grouping --------------------------------------------------------------------------------------


def photo_indexed(db: Session, photo: Photo, faces: Sequence[Face], engine_id: str, threshold: float) -> None:
    """In the transaction that stores a photo's faces: each groupable face joins a person or starts one.

    An event whose faces were indexed before it had people is grouped in full first, by a job sent on
    commit (this photo's faces are grouped with the rest there).
    """
    repo = PersonRepository(db)
    usable = [f for f in faces if _groupable(f)]
    if not usable:
        repo.prune(photo.event_id)  # reprocessed into no face: its people may be gone
        return
    db.flush()  # the faces' ids
    if not repo.has_any(photo.event_id) and repo.has_unassigned(photo.event_id, engine_id, photo.id):
        enqueue_after_commit(db, REGROUP_JOB, str(photo.event_id))
        return
    matrix = np.vstack([_vector(f.embedding) for f in usable])
    known = repo.sums(photo.event_id, engine_id)
    if known:
        groups = Groups(
            np.vstack([_vector(row[1]) for row in known]), np.array([row[2] for row in known], np.int64)
        )
    else:
        groups = Groups.empty(matrix.shape[1])
    chosen = clustering.assign(groups, matrix, threshold)
    ids = [row[0] for row in known]
    for face, g in zip(usable, chosen, strict=True):
        if g < len(known):
            cover = None if known[g][3] else face.id
            repo.update_sum(ids[g], groups.sums[g].tobytes(), int(groups.counts[g]), cover)
        else:
            person = repo.add(_new_person(photo.event_id, engine_id, face.id))
            person.centroid_sum = groups.sums[g].tobytes()
            person.centroid_count = int(groups.counts[g])
            ids.append(person.id)
    db.flush()  # new people exist before faces point at them
    for face, g in zip(usable, chosen, strict=True):
        face.person_id = ids[g]
    db.flush()
    repo.prune(photo.event_id)


def regroup(sessions: sessionmaker[Session], event_id: uuid.UUID, engine_id: str, threshold: float) -> int:
    """Group the event's faces again from scratch, keeping curated people; how many people it has after.

    Uncurated people are replaced (new ids). The first ``MAX_CLUSTERED`` free faces are clustered by
    average linkage; a cluster joins a curated person when their average linkage reaches the threshold.
    Faces past that are assigned photo by photo, as new uploads are.
    """
    with session_scope(sessions) as db:
        # Processing locks the event's row before it writes faces (faces_changing): so do we, so a
        # photo finishing meanwhile waits and then joins the new people.
        db.get(Event, event_id, with_for_update=True)
        repo = PersonRepository(db)
        people = repo.of_event(event_id, engine_id)
        kept = [p for p in people if p.curated]
        kept_ids = {p.id for p in kept}
        free = [r for r in repo.groupable_faces(event_id, engine_id) if r.person_id not in kept_ids]
        if not free:
            repo.prune(event_id)
            return len(kept)
        dim = len(free[0].embedding) // 4
        groups = _groups(kept, dim)
        out = list(kept)
        members: list[list[uuid.UUID]] = [[] for _ in out]
        head = free[: clustering.MAX_CLUSTERED]
        matrix = np.vstack([_vector(r.embedding) for r in head])
        labels = clustering.cluster(matrix, threshold)
        for label in range(int(labels.max()) + 1 if labels.size else 0):
            rows = np.flatnonzero(labels == label)
            total = matrix[rows].sum(axis=0, dtype=np.float32)
            g = -1
            if len(kept):
                # Average linkage of the cluster with each curated person: (sum_a . sum_p) / (n_a n_p).
                links = (groups.sums[: len(kept)] @ total) / (groups.counts[: len(kept)] * rows.size)
                best = int(np.argmax(links))
                g = best if links[best] >= threshold else -1
            if g < 0:
                g = groups.add_group(matrix[rows])
                out.append(_new_person(event_id, engine_id, None))
                members.append([])
            else:
                groups.sums[g] += total
                groups.counts[g] += rows.size
            members[g] += [head[i].id for i in rows]
        by_photo: dict[uuid.UUID, list[int]] = {}
        for i, r in enumerate(free[clustering.MAX_CLUSTERED :], start=clustering.MAX_CLUSTERED):
            by_photo.setdefault(r.photo_id, []).append(i)
        for rows_of_photo in by_photo.values():
            faces = np.vstack([_vector(free[i].embedding) for i in rows_of_photo])
            for i, g in zip(rows_of_photo, clustering.assign(groups, faces, threshold), strict=True):
                if g >= len(out):
                    out.append(_new_person(event_id, engine_id, None))
                    members.append([])
                members[g].append(free[i].id)
        widths = {r.id: r.box_w for r in free}
        for g, person in enumerate(out):
            if g >= len(kept):
                repo.add(person)
            person.centroid_sum = groups.sums[g].tobytes()
            person.centroid_count = int(groups.counts[g])
            if members[g] and person.cover_face_id is None:
                person.cover_face_id = max(members[g], key=lambda fid: widths[fid])
        db.flush()  # new people exist before faces point at them
        for g, person in enumerate(out):
            if members[g]:
                repo.set_person(members[g], person.id)
        repo.delete([p.id for p in people if not p.curated])
        repo.prune(event_id)
        log.info("people.regrouped event=%s faces=%d people=%d", event_id, len(free), len(out))
        return len(out)


def queue_regroup(db: Session, event: Event) -> None:
    enqueue_after_commit(db, REGROUP_JOB, str(event.id))


# --- reading ---------------------------------------------------------------------------------------


def face_thumbnail_url(event_id: uuid.UUID, face_id: uuid.UUID) -> str:
    return f"/api/events/{event_id}/faces/{face_id}/thumbnail"


def _read(person: Person, photo_count: int, cover: uuid.UUID | None, hidden: bool) -> PersonRead:
    return PersonRead(
        id=person.id,
        name=person.name,
        face_thumbnail_url=face_thumbnail_url(person.event_id, cover) if cover else None,
        photo_count=photo_count,
        hidden=hidden,
    )


def _covers(repo: PersonRepository, people: Sequence[Person]) -> dict[uuid.UUID, uuid.UUID]:
    pairs = [(p.id, p.cover_face_id) for p in people if p.cover_face_id is not None]
    present = repo.covers_present(pairs)
    covers = {pid: fid for pid, fid in pairs if fid in present}
    covers.update(repo.largest_faces([p.id for p in people if p.id not in covers]))
    return covers


def _encode(count: int, person_id: uuid.UUID) -> str:
    # pagination's cursor is (time, id); a count fits it as seconds after the epoch.
    return encode_cursor(datetime.fromtimestamp(count, UTC), person_id)


def list_people(
    db: Session, event: Event, limit: int, cursor: str | None
) -> tuple[list[PersonRead], str | None]:
    """The event's people, most photos first; the next page's cursor (None on the last page)."""
    after = decode_cursor(cursor)
    repo = PersonRepository(db)
    rows = repo.page(event.id, limit + 1, (int(after[0].timestamp()), after[1]) if after else None)
    more = len(rows) > limit
    rows = rows[:limit]
    covers = _covers(repo, [r.person for r in rows])
    hidden = repo.hidden_people([r.person.id for r in rows])
    items = [_read(r.person, r.photo_count, covers.get(r.person.id), r.person.id in hidden) for r in rows]
    next_cursor = _encode(rows[-1].photo_count, rows[-1].person.id) if more and rows else None
    return items, next_cursor


def _person(db: Session, event: Event, person_id: uuid.UUID) -> Person:
    person = PersonRepository(db).get(event.id, person_id)
    if person is None:
        raise NotFound("person")
    return person


def read_person(db: Session, event: Event, person: Person) -> PersonRead:
    repo = PersonRepository(db)
    faces = repo.faces_of(person.id)
    hidden = bool(faces) and all(f.hidden_by is not None for f in faces)
    return _read(person, len({f.photo_id for f in faces}), _covers(repo, [person]).get(person.id), hidden)


def person_photos(
    db: Session, event: Event, person_id: uuid.UUID, limit: int, cursor: str | None
) -> tuple[list[PersonPhoto], str | None]:
    person = _person(db, event, person_id)
    after = decode_cursor(cursor)
    rows = PersonRepository(db).photos_of(person.id, limit + 1, after)
    more = len(rows) > limit
    rows = rows[:limit]
    items = [
        PersonPhoto(
            id=photo.id,
            original_filename=photo.original_filename,
            taken_at=photo.taken_at,
            preview_url=f"/api/photos/{photo.id}/preview",
            thumbnail_url=f"/api/photos/{photo.id}/thumbnail",
            face_ids=face_ids,
        )
        for photo, face_ids in rows
    ]
    last = rows[-1][0] if rows else None
    return items, encode_cursor(last.created_at, last.id) if more and last is not None else None


def person_faces(db: Session, event: Event, person_id: uuid.UUID) -> list[PersonFace]:
    person = _person(db, event, person_id)
    return [
        PersonFace(id=f.id, photo_id=f.photo_id, thumbnail_url=face_thumbnail_url(event.id, f.id))
        for f in PersonRepository(db).faces_of(person.id)
    ]


# --- curating --------------------------------------------------------------------------------------


def rename(db: Session, event: Event, person_id: uuid.UUID, name: str | None) -> PersonRead:
    person = _person(db, event, person_id)
    cleaned = " ".join((name or "").split()) or None
    person.name = cleaned
    person.curated = True
    db.flush()
    log.info("person.renamed id=%s event=%s", person.id, event.id)
    return read_person(db, event, person)


def hide(db: Session, event: Event, person_id: uuid.UUID, *, photos_too: bool) -> PersonRead:
    """Keep the person out of every guest search (and, with ``photos_too``, their photos out of the
    gallery). Their faces' embeddings go on the event's blocklist, so new photos of them are hidden on
    arrival and reprocessing does not bring them back. Faces already hidden stay as they are."""
    person = _person(db, event, person_id)
    faces = PersonRepository(db).faces_of(person.id)
    fresh = [f.id for f in faces if f.hidden_by is None]
    if fresh:
        hiding.hide_faces(db, event.id, fresh, photos_too=photos_too, source="photographer")
    elif photos_too:
        hiding.hide_photos_of(db, event.id, [f.id for f in faces])
    person.curated = True  # a regroup keeps them, so the People tab still shows them as hidden
    db.flush()
    log.info(
        "person.hidden id=%s event=%s faces=%d photos_too=%s", person.id, event.id, len(fresh), photos_too
    )
    return read_person(db, event, person)


def unhide(db: Session, event: Event, person_id: uuid.UUID) -> PersonRead:
    """Let guests find the person again: every hidden face of theirs (and the photos those hides took
    out of the gallery) comes back, and their embeddings leave the blocklist."""
    person = _person(db, event, person_id)
    hidden = [f.id for f in PersonRepository(db).faces_of(person.id) if f.hidden_by is not None]
    if hidden:
        hiding.unhide_faces(db, event.id, hidden)
    db.flush()
    log.info("person.unhidden id=%s event=%s faces=%d", person.id, event.id, len(hidden))
    return read_person(db, event, person)


def merge(db: Session, event: Event, person_id: uuid.UUID, into_id: uuid.UUID) -> PersonRead:
    """``person_id``'s faces join ``into_id``, which keeps its id (and its name, or takes this one's)."""
    person = _person(db, event, person_id)
    if into_id == person_id:
        raise Invalid("A person cannot be merged into themselves.", field="into", code="same_person")
    into = PersonRepository(db).get(event.id, into_id)
    if into is None:
        raise Invalid("`into` is not a person of this event.", field="into", code="unknown_person")
    if into.engine_id != person.engine_id:
        raise ApiError(409, "engine_mismatch", "These people were found by different face engines.")
    repo = PersonRepository(db)
    repo.move_faces(person.id, into.id)
    into.centroid_sum = (_vector(into.centroid_sum) + _vector(person.centroid_sum)).tobytes()
    into.centroid_count += person.centroid_count
    into.name = into.name or person.name
    into.curated = True
    repo.delete([person.id])
    db.flush()
    log.info("person.merged id=%s into=%s event=%s", person.id, into.id, event.id)
    return read_person(db, event, into)


def split(db: Session, event: Event, person_id: uuid.UUID, face_ids: Sequence[uuid.UUID]) -> PersonRead:
    """These faces of the person become a new person; both sides are curated from now on."""
    person = _person(db, event, person_id)
    repo = PersonRepository(db)
    faces = repo.faces_of(person.id)
    wanted = set(face_ids)
    moving = [f for f in faces if f.id in wanted]
    if len(moving) != len(wanted):
        raise Invalid(
            f"{len(wanted) - len(moving)} of the face ids are not faces of this person.",
            field="face_ids",
            code="unknown_faces",
        )
    staying = [f for f in faces if f.id not in wanted]
    if not staying:
        raise Invalid(
            "Those are all of this person's faces: leave at least one (or rename the person instead).",
            field="face_ids",
            code="nothing_left",
        )
    new = repo.add(_new_person(event.id, person.engine_id, max(moving, key=lambda f: f.box_w).id))
    new.curated = person.curated = True
    for side, members in ((new, moving), (person, staying)):
        usable = [f for f in members if _groupable(f)]
        total = (
            np.vstack([_vector(f.embedding) for f in usable]).sum(axis=0, dtype=np.float32)
            if usable
            else np.zeros_like(_vector(person.centroid_sum))
        )
        side.centroid_sum = total.tobytes()
        side.centroid_count = len(usable)
    if person.cover_face_id in wanted:
        person.cover_face_id = max(staying, key=lambda f: f.box_w).id
    db.flush()
    repo.set_person([f.id for f in moving], new.id)
    db.flush()
    log.info("person.split id=%s new=%s faces=%d event=%s", person.id, new.id, len(moving), event.id)
    return read_person(db, event, new)


# --- face crops ------------------------------------------------------------------------------------


def face_crop_key(event_id: uuid.UUID, photo_id: uuid.UUID, face_id: uuid.UUID) -> str:
    # Under the photo's name: the hourly leftovers sweep removes it once the photo is gone.
    return f"{keys.event_prefix(event_id)}photos/{photo_id}.face-{face_id}.webp"


def face_thumbnail(db: Session, storage: ObjectStore, event: Event, face_id: uuid.UUID) -> bytes:
    """A square WebP crop of the face from its photo's preview, made once and kept in the store.

    Made from the preview (at most 1600 px on its long side), never the original: one decode of a
    few megabytes, whatever the size of the photo.
    """
    repo = PersonRepository(db)
    face = repo.face(face_id)
    if face is None or face.event_id != event.id:
        raise NotFound("face")
    key = face_crop_key(event.id, face.photo_id, face.id)
    try:
        with storage.open(key) as fh:
            return fh.read()
    except ObjectNotFound:
        pass
    photo = repo.photo(face.photo_id)
    if photo is None or not photo.has_preview:
        raise ApiError(404, "not_ready", "The photo's preview is not made yet.")
    try:
        with storage.open(keys.preview_key(event.id, photo.id)) as fh:
            preview = Image.open(io.BytesIO(fh.read()))
            preview.load()
    except ObjectNotFound as exc:
        raise NotFound("image") from exc
    width, height = photo.width or preview.width, photo.height or preview.height
    box = (face.box_x, face.box_y, face.box_w, face.box_h)
    data = crops.face_crop(preview, box, (width, height), THUMB_SIDE)
    storage.put_stream(key, io.BytesIO(data), "image/webp")
    return data
