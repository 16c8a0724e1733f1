"""Receiving photos: the one path every door takes (API route, dashboard form, FTP hand-off).

receive (spool the multipart body to disk, hashing and size-checking as it streams) → checks (the event
takes photos, the door's own form check, how many files) → store each file (``service.ingest_file``:
validate, put the original, insert the row, enqueue processing after the commit) → one answer per file.
A door only resolves who sends to which event, passes the request body, and shapes the answer.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import anyio.to_thread
from sqlalchemy.orm import Session, sessionmaker

from eventlens import metrics
from eventlens.context import AppContext
from eventlens.errors import ApiError, Forbidden, Invalid
from eventlens.events.rules import EventArchived, require_open
from eventlens.models import Event, PhotoSource, User
from eventlens.photos import service
from eventlens.photos.errors import IngestError
from eventlens.photos.filenames import clean_name
from eventlens.photos.multipart import MalformedUpload, ReceivedFile, receive_multipart
from eventlens.photos.schemas import FileError, UploadItem, UploadResult
from eventlens.storage.base import ObjectStore


@dataclass(frozen=True)
class Inbox:
    """Where uploads are spooled and stored, and how large they may be."""

    sessions: sessionmaker[Session]
    storage: ObjectStore
    spool_dir: Path
    max_bytes: int
    max_pixels: int

    @classmethod
    def of(cls, ctx: AppContext) -> Inbox:
        s = ctx.site
        return cls(
            ctx.sessions, ctx.storage, s.data_dir / "spool" / "uploads", s.max_upload_mb * 2**20, s.max_pixels
        )


@dataclass(frozen=True)
class Sender:
    """Who sends photos to which event, and through which door; each door resolves it its own way
    (the signed-in owner, or the FTP credential's creator)."""

    event: Event
    uploader: User
    source: PhotoSource


class BadUpload(ApiError):
    def __init__(self, message: str) -> None:
        super().__init__(400, "bad_upload", message)


class FormRefused(Forbidden):
    def __init__(self) -> None:
        super().__init__("The form's CSRF token is missing or wrong; reload the page.", "csrf_failed")


async def receive_photos(
    inbox: Inbox,
    sender: Sender,
    content_type: str,
    body: AsyncIterator[bytes],
    *,
    single: bool = False,
    accept_fields: Callable[[Mapping[str, str]], bool] | None = None,
) -> UploadResult:
    """Receive a multipart body of ``files`` parts (and an optional ``album`` field) and store each file.

    Raises EventArchived (409) before reading anything, BadUpload (400) for a body that is not readable
    multipart, FormRefused (403) when ``accept_fields`` rejects the text fields (the page's CSRF token),
    Invalid (422) without files, or with more than one when ``single``. Otherwise every file gets its own
    answer: stored, duplicate, or refused with the reason. Spooled files are removed in every case.
    """
    require_open(sender.event)  # before the body: an archived event spools nothing
    try:
        received = await receive_multipart(
            content_type, body, dest_dir=inbox.spool_dir, max_bytes=inbox.max_bytes
        )
    except MalformedUpload as exc:
        raise BadUpload(str(exc)) from exc
    try:
        if accept_fields is not None and not accept_fields(received.fields):
            raise FormRefused()
        if single and len(received.files) != 1:
            raise Invalid("Send exactly one file in a part named 'files'.", field="files")
        if not received.files:
            raise Invalid("Send one or more files in parts named 'files'.", field="files")
        album = received.fields.get("album") or None
        items = [await _store(inbox, sender, f, album) for f in received.files]
    finally:
        received.discard()
    for item in items:
        outcome = "rejected" if item.error else ("duplicate" if item.duplicate_of else "stored")
        metrics.UPLOADS.labels(outcome, sender.source.value).inc()
    return UploadResult(
        items=items,
        stored=sum(1 for i in items if i.id is not None and i.duplicate_of is None),
        duplicates=sum(1 for i in items if i.duplicate_of is not None),
        rejected=sum(1 for i in items if i.error is not None),
    )


async def _store(inbox: Inbox, sender: Sender, f: ReceivedFile, album: str | None) -> UploadItem:
    if f.error is not None or f.spooled is None:
        return _refused(f.filename, f.error or IngestError("The file could not be read."))
    store = functools.partial(
        service.ingest_file,
        inbox.sessions,
        inbox.storage,
        event_id=sender.event.id,
        path=f.spooled.path,
        sha256=f.spooled.sha256,
        size=f.spooled.size,
        filename=f.filename,
        source=sender.source,
        uploader=sender.uploader,
        max_pixels=inbox.max_pixels,
        album=album,
    )
    try:
        # Image checks and the store's upload block; the database holds no lock meanwhile.
        stored = await anyio.to_thread.run_sync(store)
    except (IngestError, EventArchived) as exc:
        return _refused(f.filename, exc)
    return UploadItem(
        filename=stored.filename,
        id=stored.photo_id,
        status=stored.status,
        duplicate_of=stored.photo_id if stored.duplicate else None,
    )


def _refused(filename: str, exc: IngestError | ApiError) -> UploadItem:
    error = FileError(code=exc.code, message=exc.message, status=exc.status, details=exc.details)
    return UploadItem(filename=clean_name(filename, "unnamed"), error=error)
