"""Processing one photo in a worker: previews, then faces; idempotent and safe against crashes.

A worker first claims the photo with a lease (an atomic UPDATE), so two workers never process it at
once, and renews the lease while it works (lease.py); a worker killed mid-way stops renewing, the
short lease runs out, and the next sweep hands the photo on. The
results are written in one transaction that only succeeds while the lease is still ours, and faces
are replaced rather than added, so running the job twice changes nothing.
"""

from __future__ import annotations

import hashlib
import io
import logging
import shutil
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path
from typing import IO, BinaryIO

from sqlalchemy.orm import Session

from eventlens import metrics
from eventlens.bibs.service import after_indexed as queue_bib_reading
from eventlens.context import AppContext
from eventlens.db import session_scope, utcnow
from eventlens.faces.service import DELETE_JOB, forget_photo_faces
from eventlens.hiding.service import hide_on_arrival, match_threshold
from eventlens.models import Event, Face, FaceDetail, Photo, PhotoSource, PhotoStatus
from eventlens.notify import service as notify_service
from eventlens.people import service as people_service
from eventlens.photos import direct, imaging, keys
from eventlens.photos.errors import DecodeTimeout, IngestError
from eventlens.photos.lease import LeaseKeeper
from eventlens.photos.repository import PhotoRepository
from eventlens.storage.base import ObjectNotFound
from eventlens.webhooks.publisher import publish

log = logging.getLogger("eventlens.photos")

MAX_ATTEMPTS = 5
DECODE_SLACK = 0.9


class PermanentFailure(Exception):
    """Retrying will not help (the file itself is the problem)."""


def process(ctx: AppContext, photo_id: uuid.UUID) -> None:
    token = uuid.uuid4().hex
    lease = timedelta(seconds=ctx.site.job_lease_seconds)
    with session_scope(ctx.sessions) as db:
        repo = PhotoRepository(db)
        if not repo.claim(photo_id, token, utcnow(), lease):
            log.debug("photo.skip id=%s (gone, done, or held by another worker)", photo_id)
            return
    with session_scope(ctx.sessions) as db:
        photo = PhotoRepository(db).get(photo_id)
        if photo is None:
            return
        db.expunge(photo)
    try:
        with LeaseKeeper(ctx.sessions, photo_id, token, lease):
            faces = _work(ctx, photo)
    except DecodeTimeout:
        # Many big images at once held the decode budget: not the file's fault, so try again later.
        _release(ctx, photo, token)
        log.warning("photo.retry id=%s attempt=%d error=decode budget busy", photo.id, photo.attempts)
        raise
    except (IngestError, PermanentFailure) as exc:
        _fail(ctx, photo, token, getattr(exc, "message", str(exc)))
        return
    except Exception as exc:
        if photo.attempts >= MAX_ATTEMPTS:
            _fail(ctx, photo, token, f"Processing failed {photo.attempts} times; last error: {exc}")
            return
        _release(ctx, photo, token)
        log.warning("photo.retry id=%s attempt=%d error=%s", photo.id, photo.attempts, exc)
        raise  # the queue retries with backoff
    _finish(ctx, photo, token, faces)


def _work(ctx: AppContext, photo: Photo) -> list[Face]:
    work_dir = ctx.site.data_dir / "work"
    work_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=work_dir, suffix=f".{photo.extension}") as tmp:
        try:
            with metrics.step("fetch"), ctx.storage.open(photo.object_key) as src:
                digest = _copy(src, tmp, hashed=photo.source == PhotoSource.direct)
        except ObjectNotFound as exc:
            raise PermanentFailure("The original file is missing from storage; upload it again.") from exc
        if digest is not None:
            # A browser sent it straight to the bucket: are these the bytes it hashed?
            direct.verify_digest(photo.sha256, digest)
        tmp.flush()
        path = Path(tmp.name)
        # One decode serves both: the previews and the face engine want the same ~1600 px copy.
        # "About 1600": a 24-MP JPEG decodes at 1/4 scale (1500 px) in a third of the time of 1/2.
        side = max(imaging.PREVIEW_SIDE, ctx.faces.analysis_side)
        with metrics.step("decode"):
            analysed = imaging.load_for_analysis(path, side, slack=DECODE_SLACK)
        with metrics.step("previews"):
            renditions = imaging.renditions_of(analysed.image)
            ctx.storage.put_stream(
                keys.preview_key(photo.event_id, photo.id), io.BytesIO(renditions.preview_webp), "image/webp"
            )
            ctx.storage.put_stream(
                keys.thumbnail_key(photo.event_id, photo.id),
                io.BytesIO(renditions.thumbnail_webp),
                "image/webp",
            )
        if _face_detail(ctx, photo) == FaceDetail.crowd:
            # Small faces need the original's pixels: a second decode, at full resolution (bounded by
            # imaging.FULL_DECODE_MAX_PIXELS), for the engine's whole-image and tiled passes.
            del renditions, analysed
            with metrics.step("decode_full"):
                full = imaging.load_full_resolution(path)
            with metrics.step("faces"):
                return ctx.faces.index_photo(photo, full, tiles=True)
        with metrics.step("faces"):
            return ctx.faces.index_photo(photo, analysed)


def _copy(src: BinaryIO, dst: IO[bytes], *, hashed: bool) -> str | None:
    """Copy ``src`` to ``dst``; the SHA-256 of what went through when ``hashed``."""
    if not hashed:
        shutil.copyfileobj(src, dst, 1024 * 1024)
        return None
    digest = hashlib.sha256()
    while chunk := src.read(1024 * 1024):
        digest.update(chunk)
        dst.write(chunk)
    return digest.hexdigest()


def _face_detail(ctx: AppContext, photo: Photo) -> FaceDetail:
    with session_scope(ctx.sessions) as db:
        event = db.get(Event, photo.event_id)
        return event.face_detail if event is not None else FaceDetail.standard


def _finish(ctx: AppContext, photo: Photo, token: str, faces: list[Face]) -> None:
    with session_scope(ctx.sessions) as db:
        repo = PhotoRepository(db)
        owned = repo.owned(photo.id, token)
        if owned is None:
            if repo.get(photo.id) is None:
                # Deleted while we worked: don't leave our previews behind.
                ctx.storage.delete(keys.preview_key(photo.event_id, photo.id))
                ctx.storage.delete(keys.thumbnail_key(photo.event_id, photo.id))
            _drop_unkept(ctx, photo, faces)
            log.info("photo.lease_lost id=%s", photo.id)
            return
        forget_photo_faces(db, owned)  # the faces of the previous run, when reprocessed
        repo.replace_faces(owned, faces)
        # A person hidden from the event's search stays hidden in new and reprocessed photos.
        hide_on_arrival(db, owned, faces, match_threshold(ctx.faces))
        owned.status = PhotoStatus.indexed
        # Faces a guest can be found by; the rest (too small, blurred) are listed by the faces API.
        owned.face_count = sum(1 for f in faces if f.searchable)
        owned.has_preview = True
        owned.error = None
        owned.processed_at = utcnow()
        owned.lease_token = None
        owned.lease_until = None
        _group_people(ctx, db, owned, faces)
        _notify(db, owned, "photo.indexed")
        notify_service.photo_indexed(db, owned)  # guests who asked to be told about new photos of them
        queue_bib_reading(db, owned)  # its own job: face search never waits for the OCR
    metrics.PROCESSED.labels("indexed").inc()
    metrics.FACES.inc(len(faces))
    metrics.UPLOAD_TO_INDEXED.observe((utcnow() - photo.created_at).total_seconds())
    log.info(
        "photo.indexed id=%s faces=%d searchable=%d", photo.id, len(faces), sum(f.searchable for f in faces)
    )


def _group_people(ctx: AppContext, db: Session, photo: Photo, faces: list[Face]) -> None:
    """The photo's faces join the event's people (or start new ones) in the transaction that stores them."""
    threshold = people_service.threshold_of(ctx.faces)
    if threshold is None:
        return
    # In a savepoint: a failure here leaves the faces without a person (a regroup picks them up)
    # rather than the photo unsearchable.
    try:
        with metrics.step("people"), db.begin_nested():
            people_service.photo_indexed(db, photo, faces, ctx.faces.engine_id, threshold)
    except Exception:
        log.exception("people.group_failed photo=%s", photo.id)


def _drop_unkept(ctx: AppContext, photo: Photo, faces: list[Face]) -> None:
    """Faces an external index (Rekognition) already holds for a result that is not kept: remove them."""
    ids = [f.external_id for f in faces if f.external_id]
    if ids:
        ctx.queue.enqueue(DELETE_JOB, str(photo.event_id), ids)


def _fail(ctx: AppContext, photo: Photo, token: str, reason: str) -> None:
    with session_scope(ctx.sessions) as db:
        owned = PhotoRepository(db).owned(photo.id, token)
        if owned is None:
            return
        owned.status = PhotoStatus.failed
        owned.error = reason[:2000]
        owned.lease_token = None
        owned.lease_until = None
        owned.processed_at = utcnow()
        _notify(db, owned, "photo.failed")
    metrics.PROCESSED.labels("failed").inc()
    log.warning("photo.failed id=%s reason=%s", photo.id, reason)


def _notify(db: Session, photo: Photo, event_type: str) -> None:
    """Tell the event's webhooks (sent after this transaction commits; drafts tell nobody)."""
    event = db.get(Event, photo.event_id)
    if event is None:
        return
    about: dict[str, object] = {"id": str(photo.id), "filename": photo.original_filename}
    if photo.status == PhotoStatus.indexed:
        about["face_count"] = photo.face_count
    else:
        about["error"] = photo.error
    publish(db, event, event_type, {"photo": about})


def _release(ctx: AppContext, photo: Photo, token: str) -> None:
    """Give the photo back (status uploaded) so the retry can claim it."""
    with session_scope(ctx.sessions) as db:
        owned = PhotoRepository(db).owned(photo.id, token)
        if owned is not None:
            owned.status = PhotoStatus.uploaded
            owned.lease_token = None
            owned.lease_until = None


def sweep(ctx: AppContext) -> int:
    """Re-queue photos whose job was lost (worker killed, queue unreachable at upload). Returns how many."""
    now = utcnow()
    with session_scope(ctx.sessions) as db:
        # An upload whose job is neither queued nor started within a lease period was lost (the worker
        # died between taking the job and claiming the photo, or the queue was down at upload).
        lease = timedelta(seconds=ctx.site.job_lease_seconds)
        ids = PhotoRepository(db).stale(now, now - lease)
    if not ids:
        return 0
    # A long queue is not a lost job: leave photos alone whose job is still waiting its turn.
    queued = ctx.queue.pending_args("photos.process")
    ids = [pid for pid in ids if (str(pid),) not in queued]
    for pid in ids:
        ctx.queue.enqueue("photos.process", str(pid))
    if ids:
        log.info("photos.sweep requeued=%d", len(ids))
    return len(ids)
