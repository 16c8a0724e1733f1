"""/api/internal/ftp: the routes the FTPS gateway calls, with its service token (never a user's).

The gateway holds no database connection, so it can run on other hosts: it asks here whether a camera
may log in, and hands each finished upload here, where it goes through the same checks as a web upload.
"""

from __future__ import annotations

import logging
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from eventlens.context import AppContext, Ctx, DbSession
from eventlens.db import session_scope
from eventlens.errors import ApiError, Invalid, NotFound
from eventlens.ftp import derived, service
from eventlens.ftp.repository import FtpCredentialRepository
from eventlens.ftp.schemas import GatewayLogin, GatewayLoginResult
from eventlens.models import Event, EventStatus, PhotoSource, User
from eventlens.openapi import BINARY, multipart_body
from eventlens.photos.endpoints import store_received
from eventlens.photos.multipart import MalformedUpload, receive_multipart
from eventlens.photos.schemas import UploadItem, UploadResult

log = logging.getLogger("eventlens.ftp")

CREDENTIAL_HEADER = "X-EventLens-FTP-Credential"


def require_gateway(request: Request, ctx: Ctx) -> None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not derived.same_secret(
        value.strip(), derived.service_token(ctx.settings)
    ):
        raise ApiError(
            401,
            "gateway_unauthorized",
            "Only the FTP gateway may call this: send its service token as 'Authorization: Bearer <token>'.",
            headers={"WWW-Authenticate": "Bearer"},
        )


router = APIRouter(
    prefix="/api/internal/ftp", tags=["internal: FTP gateway"], dependencies=[Depends(require_gateway)]
)


@router.post("/login", response_model=GatewayLoginResult)
def gateway_login(body: GatewayLogin, db: DbSession, ctx: Ctx) -> GatewayLoginResult:
    """May this camera log in? 401 wrong name or password; 403 revoked, expired, or the event archived;
    429 too many failures from the client's address."""
    row, event = service.gateway_login(
        db,
        ctx.limiter,
        ctx.settings.ftp_login_rate_limit,
        username=body.username,
        password=body.password,
        client_ip=body.client_ip,
    )
    return GatewayLoginResult(
        credential_id=row.id, event_id=event.id, event_slug=event.slug, event_name=event.name
    )


def _upload_target(ctx: AppContext, event_id: uuid.UUID, credential_id: uuid.UUID) -> tuple[Event, User]:
    """The event and who the photo is recorded as uploaded by (the credential's creator, else the owner)."""
    with session_scope(ctx.sessions) as db:
        event = db.get(Event, event_id)
        if event is None:
            raise NotFound("event")
        if event.status == EventStatus.archived:
            raise ApiError(409, "event_archived", "This event is archived: it takes no new photos.")
        credential = FtpCredentialRepository(db).get(credential_id)
        if credential is None or credential.event_id != event.id:
            raise NotFound("FTP credential")
        uploader = db.get(User, credential.created_by_id) if credential.created_by_id else None
        owner = uploader or db.get(User, event.owner_id)
        assert owner is not None  # events cascade away with their owner
        return event, owner


@router.post(
    "/events/{event_id}/photos",
    status_code=status.HTTP_201_CREATED,
    response_model=UploadResult,
    openapi_extra=multipart_body({"files": BINARY, "album": {"type": "string"}}, ["files"]),
)
async def gateway_upload(
    event_id: uuid.UUID,
    request: Request,
    ctx: Ctx,
    credential: Annotated[uuid.UUID, Header(alias=CREDENTIAL_HEADER)],
) -> Response:
    """One file received by the gateway: stored with source `ftp` and the FTP folder as its album.

    Same checks and answers as `POST /api/events/{id}/photos`: 201 stored, 200 already there, or the
    file's error (413, 415, 422); 409 when the event was archived meanwhile.
    """
    event, uploader = await run_in_threadpool(_upload_target, ctx, event_id, credential)
    client = request.headers.get("x-forwarded-for", "").split(",")[0].strip() or "unknown"
    try:
        received = await receive_multipart(
            request.headers.get("content-type", ""),
            request.stream(),
            dest_dir=ctx.settings.data_dir / "spool" / "uploads",
            max_bytes=ctx.settings.max_upload_mb * 1024 * 1024,
        )
    except MalformedUpload as exc:
        raise ApiError(400, "bad_upload", str(exc)) from exc
    try:
        if len(received.files) != 1:
            raise Invalid("Send exactly one file in a part named 'files'.", field="files")
        [item] = await store_received(ctx, event, received, PhotoSource.ftp, uploader)
    finally:
        received.discard()
    return _answer(item, event, credential, client)


def _answer(item: UploadItem, event: Event, credential: uuid.UUID, client: str) -> Response:
    if item.error is not None:
        log.info(
            "ftp.upload_refused event=%s credential=%s client=%s file=%r code=%s",
            event.id,
            credential,
            client,
            item.filename,
            item.error.code,
        )
        raise ApiError(item.error.status, item.error.code, item.error.message, item.error.details)
    new = item.duplicate_of is None
    log.info(
        "ftp.upload event=%s credential=%s client=%s file=%r photo=%s%s",
        event.id,
        credential,
        client,
        item.filename,
        item.id,
        "" if new else " (duplicate)",
    )
    result = UploadResult(items=[item], stored=int(new), duplicates=int(not new), rejected=0)
    return JSONResponse(result.model_dump(mode="json"), status_code=201 if new else 200)
