"""Hiding a person: their faces leave every search, and stay out of it.

``hide_faces`` is the one primitive (the photographer hiding a person, a guest asking to be removed):
it marks the faces hidden, keeps the person's reference embeddings in the event's blocklist (a
``FaceBlock``), optionally hides their photos from the guest gallery, and bumps the event's face
counters so every process's in-memory index drops the faces at its next search. A face indexed later
(a new upload, a reprocessed photo) that matches a block at the high tier is hidden on arrival
(``hide_on_arrival``, called by processing). ``unhide`` undoes a block and deletes its embeddings.

The blocklist lives as long as the event: it is deleted with it (deletion, end of retention), by the
database's cascade. A guest's selfie is used in memory only; the block keeps its embedding.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from eventlens.db import session_scope, utcnow
from eventlens.errors import ApiError, NotFound
from eventlens.faces.backend import FaceBackend
from eventlens.guests.selfie import embed_selfies
from eventlens.hiding.repository import HidingRepository
from eventlens.models import BlockSource, Event, Face, FaceBlock, Photo, PhotoDecision

if TYPE_CHECKING:
    from eventlens.faces.local import LocalBackend

log = logging.getLogger("eventlens.hiding")

Source = Literal["photographer", "guest"]


@dataclass(frozen=True)
class Hidden:
    block_id: uuid.UUID
    face_ids: list[uuid.UUID]  # the faces hidden now
    photo_ids: list[uuid.UUID]  # their photos


def _local(faces: FaceBackend) -> LocalBackend | None:
    from eventlens.faces.local import LocalBackend  # late: it loads the search index

    return faces if isinstance(faces, LocalBackend) else None


def match_threshold(faces: FaceBackend) -> float | None:
    """The high tier's similarity, which the blocklist is compared at (None: no embeddings to compare)."""
    local = _local(faces)
    return local.engine.match_threshold if local is not None else None


def _matrix(blob: bytes, dim: int) -> np.ndarray:
    return np.frombuffer(blob, dtype="<f4").reshape(-1, dim) if blob else np.empty((0, dim), np.float32)


def _as_blob(rows: np.ndarray) -> bytes:
    return np.ascontiguousarray(rows, dtype="<f4").tobytes()


def hide_faces(
    db: Session,
    event_id: uuid.UUID,
    face_ids: Sequence[uuid.UUID],
    *,
    photos_too: bool,
    source: Source | BlockSource,
    references: np.ndarray | None = None,
    engine_id: str | None = None,
    confirmed_at: datetime | None = None,
) -> Hidden:
    """Hide the faces (one person) from every search of the event, in the caller's transaction.

    ``references`` are the person's embeddings for the blocklist (a guest's selfies); without them the
    hidden faces' own embeddings are kept. ``photos_too`` takes their photos out of the guest gallery
    now and the photos of faces hidden on arrival later. Faces already hidden are left as they are;
    ids that are not faces of the event are 404.
    """
    repo = HidingRepository(db)
    faces = repo.faces(event_id, face_ids)
    if len(faces) < len(set(face_ids)):
        raise NotFound("face")
    fresh = [f for f in faces if f.hidden_by is None]
    if references is None:
        if not fresh:
            held = faces[0].hidden_by if faces else None
            if held is None:
                raise ApiError(422, "validation_error", "Name at least one face to hide.")
            return Hidden(held, [], [])
        own = [np.frombuffer(f.embedding, dtype="<f4") for f in fresh if f.embedding]
        # An engine without embeddings (Rekognition) leaves the block empty: it hides these faces only.
        references = np.vstack(own) if own else np.empty((0, 0), np.float32)
    engine = engine_id or (fresh[0].engine_id if fresh else "")
    block = FaceBlock(
        event_id=event_id,
        source=BlockSource(source),
        embeddings=_as_blob(references) if references.size else b"",
        engine_id=engine,
        hide_photos=photos_too,
        photo_decision=PhotoDecision.pending if BlockSource(source) == BlockSource.guest else None,
        face_count=len(fresh),
        confirmed_at=confirmed_at,
    )
    repo.add_block(block)
    ids = [f.id for f in fresh]
    photo_ids = list(dict.fromkeys(f.photo_id for f in fresh))
    repo.hide(ids, block.id)
    if photos_too and photo_ids:
        repo.set_photos_hidden(photo_ids, True)
    repo.index_changed(event_id)
    log.info(
        "faces.hidden event=%s block=%s source=%s faces=%d photos=%d photos_too=%s",
        event_id,
        block.id,
        block.source.value,
        len(ids),
        len(photo_ids),
        photos_too,
    )
    return Hidden(block.id, ids, photo_ids)


def unhide(db: Session, event_id: uuid.UUID, block_id: uuid.UUID, *, photos_too: bool | None = None) -> int:
    """Make the block's faces searchable again and delete its embeddings; answers how many faces.

    ``photos_too`` (by default: whether the block hid its photos) shows their photos in the gallery
    again.
    """
    repo = HidingRepository(db)
    block = repo.block(event_id, block_id)
    if block is None:
        raise NotFound("hidden person")
    show = block.hide_photos if photos_too is None else photos_too
    photo_ids = repo.hidden_photo_ids(block.id) if show else []
    count = repo.unhide(block.id)
    if photo_ids:
        repo.set_photos_hidden(photo_ids, False)
    repo.delete_block(block.id)
    repo.index_changed(event_id)
    log.info("faces.unhidden event=%s block=%s faces=%d photos=%d", event_id, block_id, count, len(photo_ids))
    return count


def unhide_faces(db: Session, event_id: uuid.UUID, face_ids: Sequence[uuid.UUID]) -> int:
    """Unhide the people these faces belong to (each face's whole block): answers how many faces."""
    faces = HidingRepository(db).faces(event_id, face_ids)
    if len(faces) < len(set(face_ids)):
        raise NotFound("face")
    blocks = list(dict.fromkeys(f.hidden_by for f in faces if f.hidden_by is not None))
    return sum(unhide(db, event_id, b) for b in blocks)


def hide_photos_of(db: Session, event_id: uuid.UUID, face_ids: Sequence[uuid.UUID]) -> int:
    """Take the photos of these (already hidden) faces out of the guest gallery; answers how many."""
    repo = HidingRepository(db)
    photo_ids = list(dict.fromkeys(f.photo_id for f in repo.faces(event_id, face_ids)))
    if photo_ids:
        repo.set_photos_hidden(photo_ids, True)
    return len(photo_ids)


def hide_on_arrival(db: Session, photo: Photo, faces: Sequence[Face], threshold: float | None) -> int:
    """Processing's hook, as a photo's new faces are written: hide those of a blocked person.

    A face matches a block when its similarity to any of the block's embeddings reaches ``threshold``
    (the engine's high tier, as a search's "high" matches). Answers how many faces were hidden.
    """
    if threshold is None or not faces:
        return 0
    repo = HidingRepository(db)
    if not repo.has_blocks(photo.event_id):
        return 0
    with_embedding = [f for f in faces if f.embedding and f.hidden_by is None]
    if not with_embedding:
        return 0
    dim = len(with_embedding[0].embedding) // 4
    found = np.vstack([np.frombuffer(f.embedding, dtype="<f4") for f in with_embedding]).reshape(-1, dim)
    best = np.full(len(with_embedding), -1.0, dtype=np.float32)
    owner: list[FaceBlock | None] = [None] * len(with_embedding)
    for block in repo.blocks(photo.event_id, with_embedding[0].engine_id):
        wanted = _matrix(block.embeddings, dim)
        if not wanted.size:
            continue
        sims = (found @ wanted.T).max(axis=1)
        for i in np.flatnonzero(sims > best).tolist():
            best[i] = sims[i]
            owner[i] = block
    hidden = 0
    for face, sim, match in zip(with_embedding, best.tolist(), owner, strict=True):
        if match is not None and sim >= threshold:
            face.hidden_by = match.id
            hidden += 1
            if match.hide_photos:
                photo.hidden = True
    if hidden:
        log.info("faces.hidden_on_arrival photo=%s faces=%d", photo.id, hidden)
    return hidden


# --- guests' removal requests ----------------------------------------------------------------------

CONFIRM_TEXT = (
    "Hide my face from this event's search. A mathematical description of my face (not my photo) is "
    "kept so new photos of me are hidden too, until the event is deleted."
)
# A removal hides every matching face, not the first page of a search.
REMOVAL_LIMIT = 100_000


@dataclass(frozen=True)
class RemovalForm:
    selfies: list[bytes]
    confirm: str


@dataclass(frozen=True)
class Removed:
    id: uuid.UUID
    faces_hidden: int
    photos_affected: int
    confirmed_at: datetime
    selfies_used: int
    skipped_selfies: list[int]


@dataclass(frozen=True)
class RemovalRequest:
    """A guest's removal as the photographer sees it (no face, no embedding)."""

    id: uuid.UUID
    created_at: datetime
    confirmed_at: datetime | None
    faces_hidden: int
    photo_ids: list[uuid.UUID]
    photo_decision: PhotoDecision


def removal_offered(faces: FaceBackend) -> bool:
    """Whether the guest page offers "Remove me from this event's search" (the engine has embeddings)."""
    return _local(faces) is not None


def require_removable(faces: FaceBackend) -> LocalBackend:
    local = _local(faces)
    if local is None:
        raise ApiError(
            409,
            "removal_unavailable",
            "Removal by selfie needs the local face engine; ask the photographer to hide your photos.",
        )
    return local


def require_confirmed(confirm: str) -> None:
    if confirm.strip().lower() != "true":
        raise ApiError(
            422,
            "confirmation_required",
            "Tick the box to confirm (confirm=true): nothing is changed or kept without it.",
            [{"field": "confirm", "message": "must be true"}],
        )


def request_removal(
    sessions: sessionmaker[Session], faces: FaceBackend, event: Event, form: RemovalForm
) -> Removed:
    """Hide the guest in the selfies from the event's search at once, and keep them hidden.

    The selfies are embedded here, in memory, and dropped; the block keeps their embeddings and the
    confirmation time. The faces are those a search with the selfies finds at the high tier. A selfie
    without a face is 422 ``no_face_found`` and nothing is recorded.
    """
    local = require_removable(faces)
    engine = local.engine
    require_confirmed(form.confirm)
    embedded = embed_selfies(engine, form.selfies)
    wanted = embedded.embeddings
    threshold = engine.match_threshold
    index = local.search_index.cache.get(event.id, engine.engine_id)
    photo_ids = [m.photo_id for m in index.search(wanted, threshold, REMOVAL_LIMIT)]
    now = utcnow()
    with session_scope(sessions) as db:
        # The photos' faces compared again: a photo can hold the guest more than once (a mirror).
        candidates = HidingRepository(db).visible_faces_of(event.id, photo_ids, engine.engine_id)
        ids = [f.id for f in candidates if f.embedding and _best(f.embedding, wanted) >= threshold]
        hidden = hide_faces(
            db,
            event.id,
            ids,
            photos_too=False,
            source=BlockSource.guest,
            references=wanted,
            engine_id=engine.engine_id,
            confirmed_at=now,
        )
    log.info("guest.removal event=%s block=%s faces=%d", event.id, hidden.block_id, len(hidden.face_ids))
    return Removed(
        hidden.block_id,
        len(hidden.face_ids),
        len(hidden.photo_ids),
        now,
        int(wanted.shape[0]),
        embedded.skipped,
    )


def _best(embedding: bytes, wanted: np.ndarray) -> float:
    return float((wanted @ np.frombuffer(embedding, dtype="<f4")).max())


def _request_of(repo: HidingRepository, block: FaceBlock) -> RemovalRequest:
    return RemovalRequest(
        id=block.id,
        created_at=block.created_at,
        confirmed_at=block.confirmed_at,
        faces_hidden=repo.hidden_face_count(block.id),
        photo_ids=repo.hidden_photo_ids(block.id),
        photo_decision=block.photo_decision or PhotoDecision.pending,
    )


def removal_requests(db: Session, event: Event) -> list[RemovalRequest]:
    """The event's removal requests, newest first, with the photos each one's faces are in."""
    repo = HidingRepository(db)
    return [_request_of(repo, b) for b in repo.requests(event.id)]


def decide_photos(
    db: Session, event: Event, request_id: uuid.UUID, action: Literal["hide", "keep"]
) -> RemovalRequest:
    """The photographer's choice for a removal request's photos.

    ``hide`` takes them (and any later photo of the guest) out of the guest gallery; ``keep`` leaves
    them visible, showing again those an earlier ``hide`` took out. The guest's faces stay unsearchable
    either way.
    """
    repo = HidingRepository(db)
    block = repo.block(event.id, request_id)
    if block is None or block.source != BlockSource.guest:
        raise NotFound("removal request")
    photo_ids = repo.hidden_photo_ids(block.id)
    if action == "hide":
        repo.set_photos_hidden(photo_ids, True)
    elif block.photo_decision == PhotoDecision.hidden:
        repo.set_photos_hidden(photo_ids, False)
    block.hide_photos = action == "hide"
    block.photo_decision = PhotoDecision.hidden if action == "hide" else PhotoDecision.kept
    db.flush()
    log.info(
        "removal.decided event=%s request=%s action=%s photos=%d", event.id, block.id, action, len(photo_ids)
    )
    return _request_of(repo, block)
