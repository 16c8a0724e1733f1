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
from eventlens.errors import ApiError
from eventlens.ftp import derived, service
from eventlens.ftp.schemas import GatewayLogin, GatewayLoginResult
from eventlens.models import Event, PhotoSource, User
from eventlens.openapi import BINARY, multipart_body
from eventlens.photos import ingest
from eventlens.photos.schemas import UploadResult

log = logging.getLogger("eventlens.ftp")

CREDENTIAL_HEADER = "X-EventLens-FTP-Credential"


def require_gateway(request: Request, ctx: Ctx) -> None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not derived.same_secret(value.strip(), ctx.site.ftp_service_token):
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
        ctx.site.ftp_login_rate_limit,
        username=body.username,
        password=body.password,
        client_ip=body.client_ip,
    )
    return GatewayLoginResult(
        credential_id=row.id, event_id=event.id, event_slug=event.slug, event_name=event.name
    )


def _upload_target(ctx: AppContext, event_id: uuid.UUID, credential_id: uuid.UUID) -> tuple[Event, User]:
    with session_scope(ctx.sessions) as db:
        return service.upload_target(db, event_id, credential_id)


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
    result = await ingest.receive_photos(
        ingest.Inbox.of(ctx),
        ingest.Sender(event, uploader, PhotoSource.ftp),
        request.headers.get("content-type", ""),
        request.stream(),
        single=True,
    )
    return _answer(result, event, credential, client)


def _answer(result: UploadResult, event: Event, credential: uuid.UUID, client: str) -> Response:
    [item] = result.items
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
    log.info(
        "ftp.upload event=%s credential=%s client=%s file=%r photo=%s%s",
        event.id,
        credential,
        client,
        item.filename,
        item.id,
        " (duplicate)" if result.duplicates else "",
    )
    return JSONResponse(result.model_dump(mode="json"), status_code=201 if result.stored else 200)
