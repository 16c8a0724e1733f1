"""Bib reading (a job per photo, after face indexing) and the bib lookup of a guest's search."""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from eventlens.bibs import settings
from eventlens.bibs.reader import READ_SIDE, BibReader
from eventlens.bibs.repository import BibRepository
from eventlens.context import AppContext
from eventlens.db import session_scope
from eventlens.errors import ApiError
from eventlens.jobs.after_commit import enqueue_after_commit
from eventlens.models import Event, Photo, PhotoBib, PhotoStatus
from eventlens.photos import imaging
from eventlens.storage.base import ObjectNotFound

log = logging.getLogger("eventlens.bibs")

READ_JOB = "bibs.read"
READ_EVENT_JOB = "bibs.read_event"
_DIGITS = re.compile(r"^[0-9]{1,12}$")


@dataclass(frozen=True)
class BibHit:
    photo_id: uuid.UUID
    number: str
    confidence: float
    box: tuple[float, float, float, float]


# --- queueing -------------------------------------------------------------------------------------


def after_indexed(db: Session, photo: Photo) -> None:
    """Queue reading of a just-indexed photo (sent on commit) when its event reads bibs."""
    event = db.get(Event, photo.event_id)
    if event is not None and settings.of(event).enabled:
        enqueue_after_commit(db, READ_JOB, str(photo.id))


def read_whole_event(db: Session, event: Event) -> None:
    """Bib reading was just turned on: read the photos already indexed (one job lists them, on commit)."""
    enqueue_after_commit(db, READ_EVENT_JOB, str(event.id))


def queue_event_photos(ctx: AppContext, event_id: uuid.UUID) -> int:
    with session_scope(ctx.read_sessions) as db:
        event = db.get(Event, event_id)
        if event is None or not settings.of(event).enabled:
            return 0
        ids = BibRepository(db).indexed_photo_ids(event_id)
    for pid in ids:
        ctx.queue.enqueue(READ_JOB, str(pid))
    log.info("bibs.event_queued event=%s photos=%d", event_id, len(ids))
    return len(ids)


# --- reading --------------------------------------------------------------------------------------


def read_photo(ctx: AppContext, reader: BibReader, photo_id: uuid.UUID) -> int | None:
    """Read the numbers on one indexed photo and store them (replacing an earlier read).

    Answers how many were stored, or None when there was nothing to do (photo gone, not indexed, or
    the event's bib reading is off). Running it twice gives the same rows.
    """
    with session_scope(ctx.read_sessions) as db:
        photo = db.get(Photo, photo_id)
        event = db.get(Event, photo.event_id) if photo is not None else None
        if photo is None or event is None or photo.status != PhotoStatus.indexed:
            return None
        wanted = settings.of(event)
        if not wanted.enabled:
            return None
        object_key, extension, event_id = photo.object_key, photo.extension, photo.event_id
    started = time.perf_counter()
    work_dir = ctx.site.data_dir / "work"
    work_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=work_dir, suffix=f".{extension}") as tmp:
        try:
            with ctx.storage.open(object_key) as src:
                shutil.copyfileobj(src, tmp, 1024 * 1024)
        except ObjectNotFound:
            return None  # deleted since: nothing to read
        tmp.flush()
        analysed = imaging.load_for_analysis(Path(tmp.name), READ_SIDE)
    reads = reader.read(analysed.image, wanted.format)
    rows = []
    for r in reads:
        x0, y0, x1, y1 = analysed.to_original((r.box[0], r.box[1], r.box[0] + r.box[2], r.box[1] + r.box[3]))
        rows.append(
            PhotoBib(
                photo_id=photo_id,
                event_id=event_id,
                number=r.number,
                confidence=r.confidence,
                box_x=round(x0, 1),
                box_y=round(y0, 1),
                box_w=round(x1 - x0, 1),
                box_h=round(y1 - y0, 1),
            )
        )
    with session_scope(ctx.sessions) as db:
        photo = db.get(Photo, photo_id)
        if photo is None:
            return None
        BibRepository(db).replace(photo, rows)
    ms = int((time.perf_counter() - started) * 1000)
    log.info("bibs.read photo=%s numbers=%d ms=%d", photo_id, len(rows), ms)
    return len(rows)


# --- search ---------------------------------------------------------------------------------------


def check_query(event: Event, bib: str) -> str:
    """The bib a guest searches, checked against the event's format (422 otherwise)."""
    wanted = settings.of(event)
    if not wanted.enabled:
        raise ApiError(422, "bib_search_off", "This event does not offer search by bib number.")
    number = bib.strip()
    if not _DIGITS.match(number) or not wanted.format.accepts(number):
        fmt = wanted.format
        raise ApiError(
            422,
            "invalid_bib",
            f"A bib number here is {fmt.min_digits} to {fmt.max_digits} digits (0-9), nothing else.",
        )
    return number


def find(db: Session, event_id: uuid.UUID, number: str) -> list[BibHit]:
    return [
        BibHit(r.photo_id, r.number, r.confidence, (r.box_x, r.box_y, r.box_w, r.box_h))
        for r in BibRepository(db).find(event_id, number)
    ]
