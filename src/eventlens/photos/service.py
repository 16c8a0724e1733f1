"""Photos: store one spooled file (the core of ``photos.ingest``), find an owned photo, delete, reprocess.

Order of effects for storing a file, so that nothing is ever half-stored:
validate the spooled file → put the original in the object store → insert the row and commit →
enqueue processing (after the commit). If the insert fails the object is deleted again; if the
store fails no row is written.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from eventlens.db import session_scope
from eventlens.errors import Invalid
from eventlens.events.permissions import Action, require
from eventlens.events.repository import EventRepository
from eventlens.events.rules import require_open
from eventlens.faces.service import forget_photo_faces
from eventlens.jobs.after_commit import enqueue_after_commit
from eventlens.models import Event, Photo, PhotoSource, PhotoStatus, User
from eventlens.photos import imaging, keys
from eventlens.photos.errors import IngestError
from eventlens.photos.filenames import clean_name
from eventlens.photos.repository import PhotoRepository
from eventlens.storage.base import ObjectStore

log = logging.getLogger("eventlens.photos")

PROCESS_JOB = "photos.process"


@dataclass
class Stored:
    """The outcome of one file: a new photo, or the photo it duplicates; ``filename`` as stored."""

    photo_id: uuid.UUID
    status: PhotoStatus
    duplicate: bool
    filename: str


def ingest_file(
    sessions: sessionmaker[Session],
    storage: ObjectStore,
    *,
    event_id: uuid.UUID,
    path: Path,
    sha256: str,
    size: int,
    filename: str,
    source: PhotoSource,
    uploader: User | None,
    max_pixels: int,
    album: str | None = None,
) -> Stored:
    """Validate the spooled file at ``path`` and store it as a photo of the event (its own transaction).

    ``filename`` is what the client sent; the photo keeps it cleaned (``filenames.clean_name``), or its
    id when nothing of it is left.

    Raises an IngestError subclass (with HTTP status and code) when the file is refused, or EventArchived
    when the event was archived meanwhile; in either case nothing is left behind in the database or the
    object store.
    """
    with session_scope(sessions) as db:
        existing = PhotoRepository(db).by_sha256(event_id, sha256)
        if existing is not None:
            return Stored(
                existing.id, existing.status, True, clean_name(filename, existing.original_filename)
            )
    info = imaging.inspect(path, max_pixels)  # raises UnsupportedType / TooManyPixels / CorruptImage
    photo_id = uuid.uuid4()
    key = keys.original_key(event_id, photo_id, info.kind.ext)
    storage.put_file(key, path, content_type=info.kind.mime)
    return register_stored(
        sessions,
        storage,
        Arrival(event_id, photo_id, key, sha256, size, filename, source, uploader, album),
        info,
    )


@dataclass(frozen=True)
class Arrival:
    """A file already in the object store under ``key``, about to become a photo."""

    event_id: uuid.UUID
    photo_id: uuid.UUID
    key: str
    sha256: str
    size: int
    filename: str
    source: PhotoSource
    uploader: User | None
    album: str | None = None


def register_stored(
    sessions: sessionmaker[Session], storage: ObjectStore, arrival: Arrival, info: imaging.ImageInfo
) -> Stored:
    """Insert the photo's row for an original already stored, and queue its processing after the commit.

    On any failure the object is deleted again, so nothing is left half-stored; the same file arriving
    twice at once gives the other upload's photo as a duplicate.
    """
    a = arrival
    name = clean_name(a.filename, f"{a.photo_id}.{info.kind.ext}")
    try:
        with session_scope(sessions) as db:
            event = EventRepository(db).get(a.event_id)
            if event is None:
                raise IngestError("The event was deleted during the upload.")
            require_open(event)  # archived while the file was being checked
            photo = Photo(
                id=a.photo_id,
                event_id=a.event_id,
                uploader_id=a.uploader.id if a.uploader else None,
                source=a.source,
                original_filename=name,
                album=a.album,
                object_key=a.key,
                sha256=a.sha256,
                size=a.size,
                mime=info.kind.mime,
                width=info.width,
                height=info.height,
                taken_at=info.taken_at,
                camera=info.camera,
                status=PhotoStatus.uploaded,
            )
            PhotoRepository(db).add(photo)
            enqueue_after_commit(db, PROCESS_JOB, str(a.photo_id))
    except IntegrityError:
        # The same file arrived twice at once: the other upload won; point at its photo.
        storage.delete(a.key)
        with session_scope(sessions) as db:
            existing = PhotoRepository(db).by_sha256(a.event_id, a.sha256)
        if existing is None:
            raise
        return Stored(existing.id, existing.status, True, name)
    except BaseException:
        storage.delete(a.key)
        raise
    log.info("photo.stored id=%s event=%s size=%d source=%s", a.photo_id, a.event_id, a.size, a.source.value)
    return Stored(a.photo_id, PhotoStatus.uploaded, False, name)


def oldest_waiting_seconds(db: Session, now: datetime) -> float:
    """How long the photo waiting longest for processing has waited (0 when none waits)."""
    oldest = PhotoRepository(db).oldest_waiting()
    return max(0.0, (now - oldest).total_seconds()) if oldest else 0.0


def get_photo_for(db: Session, user: User, photo_id: uuid.UUID, action: Action = Action.manage) -> Photo:
    """The photo when the user may take ``action`` on its event (``events.permissions``): 404 for a
    stranger, never 403; 403 for a member whose role does not allow it. Without an action: manage."""
    photo = PhotoRepository(db).get(photo_id)
    event = EventRepository(db).get(photo.event_id) if photo is not None else None
    require(db, user, event, action, "photo")
    assert photo is not None
    return photo


def delete_photo(db: Session, storage: ObjectStore, photo: Photo) -> None:
    """Remove the photo's objects, then its row (faces go with it). Objects first: a failure keeps the row."""
    for key in keys.all_keys(photo.event_id, photo.id, photo.extension):
        storage.delete(key)
    storage.delete_prefix(keys.watermarked_prefix(photo.event_id, photo.id))
    event = db.get(Event, photo.event_id)
    if event is not None and event.cover_photo_id == photo.id:
        event.cover_photo_id = None
    forget_photo_faces(db, photo)
    PhotoRepository(db).delete(photo)
    log.info("photo.deleted id=%s event=%s", photo.id, photo.event_id)


def set_hidden(db: Session, photos: Sequence[Photo], hidden: bool) -> None:
    """Keep photos from guests (or show them again); the photographer still sees them all."""
    PhotoRepository(db).set_hidden([p.id for p in photos], hidden)
    for photo in photos:
        photo.hidden = hidden
    log.info("photos.hidden=%s count=%d", hidden, len(photos))


def event_photos(db: Session, event: Event, photo_ids: Sequence[uuid.UUID]) -> list[Photo]:
    """Exactly these photos of the event; 422 naming the others when any is not one of its photos.

    All or nothing: a bulk action never runs on part of what was asked.
    """
    photos = PhotoRepository(db).in_event(event.id, photo_ids)
    missing = set(photo_ids) - {p.id for p in photos}
    if missing:
        raise Invalid(
            f"{len(missing)} of the photo ids are not photos of this event.",
            field="photo_ids",
            code="unknown_photos",
        )
    return photos


def bulk(db: Session, storage: ObjectStore, event: Event, photo_ids: Sequence[uuid.UUID], action: str) -> int:
    """Delete, hide or show several photos of the event at once; how many."""
    photos = event_photos(db, event, photo_ids)
    if action == "delete":
        for photo in photos:
            delete_photo(db, storage, photo)
    else:
        set_hidden(db, photos, action == "hide")
    return len(photos)


def reprocess(db: Session, event: Event, *, only_failed: bool) -> int:
    """Queue processing again for the event's failed (or all finished) photos; returns how many."""
    repo = PhotoRepository(db)
    ids = repo.ids_for_reprocess(event.id, only_failed=only_failed)
    repo.reset_for_reprocess(ids)
    for pid in ids:
        enqueue_after_commit(db, PROCESS_JOB, str(pid))
    log.info("photos.reprocess event=%s count=%d only_failed=%s", event.id, len(ids), only_failed)
    return len(ids)
