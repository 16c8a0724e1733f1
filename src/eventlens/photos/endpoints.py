"""/api/events/{id}/photos, /api/photos/{id} and the photo images."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse, StreamingResponse
from sqlalchemy.orm import Session

from eventlens import metrics
from eventlens.auth.dependencies import CurrentPrincipal, CurrentUser
from eventlens.context import AppContext, Ctx, DbSession
from eventlens.db import session_scope
from eventlens.errors import ApiError, Invalid, NotFound, error_body
from eventlens.events.service import get_event_for
from eventlens.faces.repository import FaceRepository
from eventlens.faces.schemas import FaceList, FaceRead
from eventlens.models import Event, EventStatus, Photo, PhotoSource, PhotoStatus, User
from eventlens.openapi import BINARY, multipart_body
from eventlens.pagination import decode_cursor, encode_cursor
from eventlens.photos import keys, service
from eventlens.photos.errors import IngestError
from eventlens.photos.multipart import MalformedUpload, Received, receive_multipart
from eventlens.photos.repository import PhotoRepository
from eventlens.photos.schemas import (
    FileError,
    HashAnswer,
    HashQuery,
    PhotoList,
    PhotoRead,
    ReprocessRequest,
    ReprocessResult,
    UploadItem,
    UploadResult,
)
from eventlens.storage.base import ObjectNotFound

router = APIRouter(prefix="/api", tags=["photos"])

SOURCE_HEADER = "X-EventLens-Source"


def get_photo_for(db: Session, user: User, photo_id: uuid.UUID) -> Photo:
    """The photo when the user owns its event (or is an admin); 404 otherwise, never 403."""
    photo = PhotoRepository(db).get(photo_id)
    if photo is None:
        raise NotFound("photo")
    event = db.get(Event, photo.event_id)
    if event is None or (event.owner_id != user.id and not user.is_admin):
        raise NotFound("photo")
    return photo


def _owned_event(ctx: AppContext, user: User, event_id: uuid.UUID) -> Event:
    with session_scope(ctx.sessions) as db:
        return get_event_for(db, user, event_id)


def _source(request: Request, principal_via: str) -> PhotoSource:
    # The CLI says who it is; otherwise a browser session is "web" and a token is "api".
    if request.headers.get(SOURCE_HEADER, "").lower() == "cli":
        return PhotoSource.cli
    return PhotoSource.web if principal_via == "session" else PhotoSource.api


@router.post(
    "/events/{event_id}/photos",
    status_code=status.HTTP_201_CREATED,
    response_model=UploadResult,
    openapi_extra=multipart_body({"files": {"type": "array", "items": BINARY}}, ["files"]),
)
async def upload_photos(
    event_id: uuid.UUID, request: Request, principal: CurrentPrincipal, ctx: Ctx
) -> Response:
    """Upload photos (parts named `files`). Each file gets its own answer: stored, duplicate, or refused.

    201 when at least one new photo was stored, 200 when all were already there; when every file is
    refused the answer is an error whose status is the files' (413, 415, 422) with each file's reason.
    """
    event = await run_in_threadpool(_owned_event, ctx, principal.user, event_id)
    if event.status == EventStatus.archived:
        raise ApiError(409, "event_archived", "This event is archived: it takes no new photos.")
    settings = ctx.settings
    try:
        received = await receive_multipart(
            request.headers.get("content-type", ""),
            request.stream(),
            dest_dir=settings.data_dir / "spool" / "uploads",
            max_bytes=settings.max_upload_mb * 1024 * 1024,
        )
    except MalformedUpload as exc:
        raise ApiError(400, "bad_upload", str(exc)) from exc
    if not received.files:
        received.discard()
        raise Invalid("Send one or more files in parts named 'files'.", field="files")
    try:
        items = await store_received(ctx, event, received, _source(request, principal.via), principal.user)
    finally:
        received.discard()
    return _upload_response(items)


async def store_received(
    ctx: AppContext, event: Event, received: Received, source: PhotoSource, uploader: User
) -> list[UploadItem]:
    """Validate and store each spooled file; one answer per file (stored, duplicate, or why refused)."""
    items: list[UploadItem] = []
    for f in received.files:
        if f.error is not None or f.spooled is None:
            items.append(_error_item(f.filename, f.error))
            continue
        try:
            stored = await run_in_threadpool(
                service.ingest_file,
                ctx.sessions,
                ctx.storage,
                event_id=event.id,
                path=f.spooled.path,
                sha256=f.spooled.sha256,
                size=f.spooled.size,
                filename=f.filename,
                source=source,
                uploader=uploader,
                max_pixels=ctx.settings.max_pixels,
                album=received.fields.get("album") or None,
            )
        except IngestError as exc:
            items.append(_error_item(f.filename, exc))
            continue
        items.append(
            UploadItem(
                filename=f.filename,
                id=stored.photo_id,
                status=stored.status,
                duplicate_of=stored.photo_id if stored.duplicate else None,
            )
        )
    for item in items:
        outcome = "rejected" if item.error else ("duplicate" if item.duplicate_of else "stored")
        metrics.UPLOADS.labels(outcome, source.value).inc()
    return items


def _error_item(filename: str, exc: IngestError | None) -> UploadItem:
    if exc is None:
        exc = IngestError("The file could not be read.")
    return UploadItem(
        filename=filename,
        error=FileError(code=exc.code, message=exc.message, status=exc.status, details=exc.details),
    )


def _upload_response(items: list[UploadItem]) -> JSONResponse:
    stored = sum(1 for i in items if i.id is not None and i.duplicate_of is None)
    duplicates = sum(1 for i in items if i.duplicate_of is not None)
    rejected = [i for i in items if i.error is not None]
    result = UploadResult(items=items, stored=stored, duplicates=duplicates, rejected=len(rejected))
    payload = result.model_dump(mode="json")
    if rejected and len(rejected) == len(items):
        errors = [i.error for i in rejected if i.error is not None]
        codes = {e.status for e in errors}
        first = errors[0]
        code = first.code if len({e.code for e in errors}) == 1 else "upload_rejected"
        message = first.message if len(items) == 1 else f"None of the {len(items)} files was accepted."
        return JSONResponse(
            error_body(code, message, payload), status_code=first.status if len(codes) == 1 else 422
        )
    return JSONResponse(payload, status_code=201 if stored else 200)


@router.get("/events/{event_id}/photos", response_model=PhotoList)
def list_photos(
    event_id: uuid.UUID,
    user: CurrentUser,
    db: DbSession,
    status_filter: Annotated[PhotoStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: str | None = None,
) -> PhotoList:
    """The event's photos, newest first, optionally only those in one status."""
    event = get_event_for(db, user, event_id)
    rows = PhotoRepository(db).page(
        event.id, status=status_filter, limit=limit + 1, after=decode_cursor(cursor)
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return PhotoList(
        items=[PhotoRead.of(p) for p in rows],
        next_cursor=encode_cursor(rows[-1].created_at, rows[-1].id) if more and rows else None,
    )


@router.post("/events/{event_id}/photos/exists", response_model=HashAnswer)
def photos_exist(event_id: uuid.UUID, body: HashQuery, user: CurrentUser, db: DbSession) -> HashAnswer:
    """Which of these files (by SHA-256) the event already has: lets a client skip them before uploading."""
    event = get_event_for(db, user, event_id)
    hashes = [h.lower() for h in body.sha256]
    return HashAnswer(
        existing={k: v for k, v in PhotoRepository(db).existing_hashes(event.id, hashes).items()}
    )


@router.get("/photos/{photo_id}", response_model=PhotoRead)
def read_photo(photo_id: uuid.UUID, user: CurrentUser, db: DbSession) -> PhotoRead:
    return PhotoRead.of(get_photo_for(db, user, photo_id))


@router.delete("/photos/{photo_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_photo(photo_id: uuid.UUID, user: CurrentUser, db: DbSession, ctx: Ctx) -> None:
    """Delete the photo with its original, previews and faces."""
    service.delete_photo(db, ctx.storage, get_photo_for(db, user, photo_id))


@router.post("/events/{event_id}/reprocess", response_model=ReprocessResult)
def reprocess(
    event_id: uuid.UUID, user: CurrentUser, db: DbSession, body: ReprocessRequest | None = None
) -> ReprocessResult:
    """Run processing again for the event's failed photos (or `{"scope": "all"}` for every finished one)."""
    event = get_event_for(db, user, event_id)
    scope = body.scope if body else "failed"
    return ReprocessResult(queued=service.reprocess(db, event, only_failed=scope == "failed"))


Variant = Literal["original", "preview", "thumbnail"]


def image_response(ctx: AppContext, photo: Photo, variant: Variant, *, download: bool = False) -> Response:
    """The image bytes streamed from the store, or a redirect to a signed URL where the store has one."""
    if variant == "original":
        key, mime, name = photo.object_key, photo.mime, photo.original_filename
    else:
        if not photo.has_preview:
            raise ApiError(404, "not_ready", "The preview is not made yet; the photo is still processing.")
        key = (keys.preview_key if variant == "preview" else keys.thumbnail_key)(photo.event_id, photo.id)
        mime, name = "image/webp", f"{photo.original_filename.rsplit('.', 1)[0]}-{variant}.webp"
    signed = ctx.storage.signed_url(key, filename=name if download else None)
    if signed:
        return RedirectResponse(signed, status_code=307)
    try:
        size = ctx.storage.size(key)
        chunks = ctx.storage.iter_chunks(key)
    except ObjectNotFound as exc:
        raise NotFound("image") from exc
    disposition = "attachment" if download else "inline"
    safe = name.replace('"', "").replace("\r", "").replace("\n", "")
    headers = {
        "Content-Length": str(size),
        "Cache-Control": "private, max-age=86400",
        "Content-Disposition": f'{disposition}; filename="{safe.encode("ascii", "replace").decode()}"',
    }
    return StreamingResponse(chunks, media_type=mime, headers=headers)


@router.get("/photos/{photo_id}/faces", response_model=FaceList)
def photo_faces(photo_id: uuid.UUID, user: CurrentUser, db: DbSession) -> FaceList:
    """The faces found in the photo: boxes (pixels of the upright original), scores, engine."""
    photo = get_photo_for(db, user, photo_id)
    return FaceList(items=[FaceRead.of(f) for f in FaceRepository(db).for_photo(photo.id)])


@router.get("/photos/{photo_id}/{variant}", response_class=Response)
def photo_image(
    photo_id: uuid.UUID, variant: Variant, user: CurrentUser, ctx: Ctx, download: bool = False
) -> Response:
    """`original`, `preview` (about 1600 px) or `thumbnail` (about 400 px) of a photo."""
    with session_scope(ctx.sessions) as db:
        photo = get_photo_for(db, user, photo_id)
    return image_response(ctx, photo, variant, download=download)
