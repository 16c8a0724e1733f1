"""/api/events/{id}/photos, /api/photos/{id} and the photo images."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from eventlens.auth.dependencies import CurrentPrincipal, CurrentUser
from eventlens.context import AppContext, Ctx, DbSession
from eventlens.db import session_scope
from eventlens.errors import error_body
from eventlens.events.permissions import Action
from eventlens.events.service import get_event_for
from eventlens.faces.schemas import FaceList, FaceRead
from eventlens.models import Event, PhotoSource, PhotoStatus, User
from eventlens.openapi import BINARY, REDIRECT, content, errors, multipart_body
from eventlens.photos import images, ingest, listing, service
from eventlens.photos.images import Variant
from eventlens.photos.schemas import (
    BulkRequest,
    BulkResult,
    HashAnswer,
    HashQuery,
    PhotoList,
    PhotoRead,
    PhotoUpdate,
    ReprocessRequest,
    ReprocessResult,
    UploadResult,
)

router = APIRouter(prefix="/api", tags=["photos"])

SOURCE_HEADER = "X-EventLens-Source"


def _upload_event(ctx: AppContext, user: User, event_id: uuid.UUID) -> Event:
    with session_scope(ctx.sessions) as db:
        return get_event_for(db, user, event_id, Action.upload)


def _source(request: Request, principal_via: str) -> PhotoSource:
    # The CLI says who it is; otherwise a browser session is "web" and a token is "api".
    if request.headers.get(SOURCE_HEADER, "").lower() == "cli":
        return PhotoSource.cli
    return PhotoSource.web if principal_via == "session" else PhotoSource.api


@router.post(
    "/events/{event_id}/photos",
    status_code=status.HTTP_201_CREATED,
    response_model=UploadResult,
    responses=errors(400, 401, 403, 404, 409, 413, 415, 422, 507)
    | {200: {"model": UploadResult, "description": "Every file was already in the event."}},
    openapi_extra=multipart_body({"files": {"type": "array", "items": BINARY}}, ["files"]),
)
async def upload_photos(
    event_id: uuid.UUID, request: Request, principal: CurrentPrincipal, ctx: Ctx
) -> Response:
    """Upload photos (parts named `files`). Each file gets its own answer: stored, duplicate, or refused.

    201 when at least one new photo was stored, 200 when all were already there; when every file is
    refused the answer is an error whose status is the files' (413, 415, 422) with each file's reason.
    """
    event = await run_in_threadpool(_upload_event, ctx, principal.user, event_id)
    result = await ingest.receive_photos(
        ingest.Inbox.of(ctx),
        ingest.Sender(event, principal.user, _source(request, principal.via)),
        request.headers.get("content-type", ""),
        request.stream(),
    )
    return _upload_response(result)


def _upload_response(result: UploadResult) -> JSONResponse:
    items = result.items
    rejected = [i for i in items if i.error is not None]
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
    return JSONResponse(payload, status_code=201 if result.stored else 200)


@router.get("/events/{event_id}/photos", response_model=PhotoList, responses=errors(401, 404, 422))
def list_photos(
    event_id: uuid.UUID,
    user: CurrentUser,
    db: DbSession,
    status_filter: Annotated[PhotoStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: str | None = None,
    sort: listing.PhotoSort = "uploaded",
    order: listing.PhotoOrder | None = None,
) -> PhotoList:
    """The event's photos, optionally only those in one status. `sort=uploaded` (default, newest first)
    or `sort=taken` (earliest first; photos without a taken time last); `order=asc|desc` reverses
    either. Ties keep a stable order across pages; a cursor works only with the sort and order that
    made it."""
    event = get_event_for(db, user, event_id, Action.view)
    rows, next_cursor = listing.photo_page(
        db, event, limit=limit, cursor=cursor, status=status_filter, sort=sort, order=order
    )
    return PhotoList(items=[PhotoRead.of(p) for p in rows], next_cursor=next_cursor)


@router.post(
    "/events/{event_id}/photos/exists", response_model=HashAnswer, responses=errors(400, 401, 403, 404, 422)
)
def photos_exist(event_id: uuid.UUID, body: HashQuery, user: CurrentUser, db: DbSession) -> HashAnswer:
    """Which of these files (by SHA-256) the event already has: lets a client skip them before uploading."""
    event = get_event_for(db, user, event_id, Action.upload)
    return HashAnswer(existing=listing.known_hashes(db, event, body.sha256))


@router.get("/photos/{photo_id}", response_model=PhotoRead, responses=errors(401, 404, 422))
def read_photo(photo_id: uuid.UUID, user: CurrentUser, db: DbSession) -> PhotoRead:
    return PhotoRead.of(service.get_photo_for(db, user, photo_id, Action.view))


@router.patch("/photos/{photo_id}", response_model=PhotoRead, responses=errors(400, 401, 403, 404, 422))
def update_photo(photo_id: uuid.UUID, body: PhotoUpdate, user: CurrentUser, db: DbSession) -> PhotoRead:
    """`{"hidden": true}` keeps the photo from guests (search, downloads, cover); `false` shows it again."""
    photo = service.get_photo_for(db, user, photo_id, Action.manage)
    service.set_hidden(db, [photo], body.hidden)
    return PhotoRead.of(photo)


@router.post(
    "/events/{event_id}/photos/bulk",
    response_model=BulkResult,
    responses=errors(400, 401, 403, 404, 422, 507),
)
def bulk_photos(
    event_id: uuid.UUID, body: BulkRequest, user: CurrentUser, db: DbSession, ctx: Ctx
) -> BulkResult:
    """`delete`, `hide` or `show` several photos at once; 422 `unknown_photos` (nothing done) when any
    id is not a photo of this event."""
    event = get_event_for(db, user, event_id, Action.manage)
    return BulkResult(
        action=body.action, count=service.bulk(db, ctx.storage, event, body.photo_ids, body.action)
    )


@router.delete(
    "/photos/{photo_id}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(401, 403, 404, 422, 507)
)
def delete_photo(photo_id: uuid.UUID, user: CurrentUser, db: DbSession, ctx: Ctx) -> None:
    """Delete the photo with its original, previews and faces."""
    service.delete_photo(db, ctx.storage, service.get_photo_for(db, user, photo_id, Action.manage))


@router.post(
    "/events/{event_id}/reprocess", response_model=ReprocessResult, responses=errors(400, 401, 403, 404, 422)
)
def reprocess(
    event_id: uuid.UUID, user: CurrentUser, db: DbSession, body: ReprocessRequest | None = None
) -> ReprocessResult:
    """Run processing again for the event's failed photos (or `{"scope": "all"}` for every finished one)."""
    event = get_event_for(db, user, event_id, Action.manage)
    scope = body.scope if body else "failed"
    return ReprocessResult(queued=service.reprocess(db, event, only_failed=scope == "failed"))


@router.get("/photos/{photo_id}/faces", response_model=FaceList, responses=errors(401, 404, 422))
def photo_faces(photo_id: uuid.UUID, user: CurrentUser, db: DbSession) -> FaceList:
    """The faces found in the photo: boxes (pixels of the upright original), scores, engine."""
    photo = service.get_photo_for(db, user, photo_id, Action.view)
    return FaceList(items=[FaceRead.of(f) for f in listing.faces_of(db, photo)])


@router.get(
    "/photos/{photo_id}/{variant}",
    response_class=Response,
    responses=content(*images.MEDIA_TYPES, description="The image (previews and thumbnails are WebP).")
    | REDIRECT
    | errors(401, 404, 422),
)
def photo_image(
    photo_id: uuid.UUID, variant: Variant, user: CurrentUser, ctx: Ctx, download: bool = False
) -> Response:
    """`original`, `preview` (about 1600 px) or `thumbnail` (about 400 px) of a photo."""
    return images.owned_image(ctx, user, photo_id, variant, download=download)
