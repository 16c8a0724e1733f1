"""/api/events/{id}/uploads/presign and /complete: browser uploads straight to the S3 store."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status
from fastapi.concurrency import run_in_threadpool

from eventlens.auth.dependencies import CurrentUser
from eventlens.context import Ctx, DbSession
from eventlens.errors import ApiError
from eventlens.events.dependencies import UploadEvent
from eventlens.openapi import errors
from eventlens.photos import direct
from eventlens.photos.errors import IngestError
from eventlens.photos.schemas import CompleteRequest, PresignAnswer, PresignRequest, UploadItem

router = APIRouter(prefix="/api", tags=["photos"])


def _refused(exc: IngestError) -> ApiError:
    return ApiError(exc.status, exc.code, exc.message, exc.details)


@router.post(
    "/events/{event_id}/uploads/presign",
    response_model=PresignAnswer,
    responses=errors(400, 401, 403, 404, 409, 413, 415, 422),
)
def presign_upload(
    event_id: uuid.UUID, body: PresignRequest, event: UploadEvent, user: CurrentUser, ctx: Ctx, db: DbSession
) -> PresignAnswer:
    """A form to send one file straight to the bucket (S3 store only; 409 `direct_uploads_off` otherwise).

    A file already in the event (same SHA-256) answers `duplicate_of` and needs no sending.
    """
    try:
        offer = direct.presign(
            db,
            ctx.storage,
            secret=ctx.site.secret,
            event=event,
            uploader=user,
            size=body.size,
            content_type=body.content_type,
            sha256=body.sha256,
            max_bytes=ctx.site.max_upload_mb * 2**20,
            enabled=ctx.site.direct_uploads,
        )
    except IngestError as exc:
        raise _refused(exc) from exc
    return PresignAnswer(
        duplicate_of=offer.duplicate_of,
        url=offer.url,
        fields=offer.fields,
        ticket=offer.ticket,
        expires_in=offer.expires_in,
    )


@router.post(
    "/events/{event_id}/uploads/complete",
    status_code=status.HTTP_201_CREATED,
    response_model=UploadItem,
    responses=errors(400, 401, 403, 404, 409, 413, 415, 422, 507)
    | {200: {"model": UploadItem, "description": "The file was already in the event."}},
)
async def complete_upload(
    event_id: uuid.UUID,
    body: CompleteRequest,
    event: UploadEvent,
    user: CurrentUser,
    ctx: Ctx,
    response: Response,
) -> UploadItem:
    """Register a file sent with a presigned form as a photo; a refused file is deleted from the bucket."""
    try:
        stored = await run_in_threadpool(
            direct.complete,
            ctx.sessions,
            ctx.storage,
            secret=ctx.site.secret,
            event=event,
            uploader=user,
            ticket=body.ticket,
            filename=body.filename,
            max_pixels=ctx.site.max_pixels,
            album=body.album,
        )
    except IngestError as exc:
        raise _refused(exc) from exc
    if stored.duplicate:
        response.status_code = status.HTTP_200_OK
        return UploadItem(filename=stored.filename, duplicate_of=stored.photo_id, status=stored.status)
    return UploadItem(filename=stored.filename, id=stored.photo_id, status=stored.status)
