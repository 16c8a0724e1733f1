"""/api/public: what guests (no account) can do with a published event."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import ValidationError
from zipstream import ZipStream

from eventlens import metrics
from eventlens.context import AppContext, Ctx, DbSession
from eventlens.db import session_scope
from eventlens.errors import ApiError, NotFound
from eventlens.guests import access
from eventlens.guests.repository import GuestRepository
from eventlens.guests.schemas import (
    AccessAnswer,
    DownloadRequest,
    FaceBox,
    PublicEvent,
    SearchMatch,
    SearchResult,
)
from eventlens.guests.selfie import decode_selfie, read_selfie
from eventlens.models import Event, Photo
from eventlens.openapi import BINARY, multipart_body
from eventlens.photos.endpoints import image_response

router = APIRouter(prefix="/api/public/events", tags=["guests"])
log = logging.getLogger("eventlens.guests")

AccessCode = Annotated[str | None, Header(alias="X-Access-Code")]
GuestPass = Annotated[str | None, Query(alias="t", description="Guest pass from a search answer")]


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _published(ctx: AppContext, slug: str) -> Event:
    """A published event by slug in a short transaction of its own (long requests hold none)."""
    with session_scope(ctx.sessions) as db:
        event = GuestRepository(db).published(slug)
    if event is None:
        raise NotFound("event")
    return event


def _lazy_chunks(ctx: AppContext, key: str) -> Iterator[bytes]:
    # Opened only when the ZIP reaches this file: a 500-photo ZIP holds one object open at a time.
    yield from ctx.storage.iter_chunks(key)


@router.get("/{slug}", response_model=PublicEvent)
def public_event(slug: str, db: DbSession, ctx: Ctx) -> PublicEvent:
    """A published event's public view: name, dates, cover, photographer, whether a code is needed."""
    repo = GuestRepository(db)
    event = repo.published(slug)
    if event is None:
        raise NotFound("event")
    return PublicEvent(
        slug=event.slug,
        name=event.name,
        description=event.description,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        photographer=repo.owner_name(event),
        cover_url=f"/api/public/events/{event.slug}/cover" if event.cover_photo_id else None,
        access_code_required=event.access_code_hash is not None,
        photo_count=repo.indexed_count(event.id),
    )


@router.post("/{slug}/access", response_model=AccessAnswer)
def check_access(slug: str, request: Request, ctx: Ctx, code: AccessCode = None) -> AccessAnswer:
    """Check an access code (header ``X-Access-Code``); the answer's guest pass opens the event for 24 h.

    Wrong codes count against the client's login rate limit, so codes cannot be guessed quickly.
    """
    event = _published(ctx, slug)
    client = _client(request)
    if not ctx.limiter.test(ctx.settings.login_rate_limit, "access-code", client):
        ctx.limiter.hit(ctx.settings.login_rate_limit, "access-code", client)  # raises 429
    try:
        access.require_access(event, code=code, token=None, secret=ctx.settings.secret)
    except ApiError:
        ctx.limiter.count(ctx.settings.login_rate_limit, "access-code", client)
        log.info("guest.access_refused event=%s client=%s", event.id, client)
        raise
    return AccessAnswer(guest_pass=access.make_pass(ctx.settings.secret, event.id))


@router.get("/{slug}/cover", response_class=Response)
def cover(slug: str, ctx: Ctx) -> Response:
    """The event's cover photo (its preview), chosen by the photographer; public like the event's name."""
    with session_scope(ctx.sessions) as db:
        repo = GuestRepository(db)
        event = repo.published(slug)
        if event is None or event.cover_photo_id is None:
            raise NotFound("cover")
        photos = repo.photos(event.id, [event.cover_photo_id])
    if not photos:
        raise NotFound("cover")
    return image_response(ctx, photos[0], "preview")


@router.post(
    "/{slug}/search",
    response_model=SearchResult,
    openapi_extra=multipart_body({"selfie": BINARY}, ["selfie"]),
)
async def search(
    slug: str, request: Request, ctx: Ctx, code: AccessCode = None, t: GuestPass = None
) -> SearchResult:
    """Find the event's photos of the person in the selfie. The selfie is used in memory and not kept."""
    started = time.perf_counter()
    settings = ctx.settings
    ctx.limiter.hit(settings.search_rate_limit, "search-client", _client(request))
    event = await run_in_threadpool(_published, ctx, slug)
    ctx.limiter.hit(settings.search_rate_limit_event, "search-event", str(event.id))
    await run_in_threadpool(access.require_access, event, code=code, token=t, secret=settings.secret)
    data = await read_selfie(request.headers.get("content-type", ""), request.stream())
    pixels = await run_in_threadpool(decode_selfie, data)
    del data  # nothing of the selfie outlives this request
    face = await run_in_threadpool(ctx.face_engine.embed_largest, pixels)
    del pixels
    if face is None:
        metrics.SEARCHES.labels("no_face").inc()
        raise ApiError(
            422,
            "no_face_found",
            "No face was found in the selfie. Try a brighter, closer photo, facing the camera.",
        )
    found = await run_in_threadpool(ctx.face_search.search, event.id, face.embedding)
    guest_pass = access.make_pass(settings.secret, event.id)

    def shape() -> list[SearchMatch]:
        with session_scope(ctx.sessions) as db:
            repo = GuestRepository(db)
            photos = {p.id: p for p in repo.photos(event.id, [m.photo_id for m in found.matches])}
            elapsed = int((time.perf_counter() - started) * 1000)
            repo.record_search(event.id, len(photos), elapsed)
        base = f"/api/public/events/{event.slug}/photos"
        out = []
        for m in found.matches:
            photo = photos.get(m.photo_id)
            if photo is None:
                continue
            x, y, w, h = m.box
            out.append(
                SearchMatch(
                    photo_id=m.photo_id,
                    similarity=round(m.similarity, 4),
                    tier=m.tier,
                    face_box=FaceBox(x=x, y=y, width=w, height=h),
                    width=photo.width,
                    height=photo.height,
                    preview_url=f"{base}/{m.photo_id}/preview?t={guest_pass}",
                    thumbnail_url=f"{base}/{m.photo_id}/thumbnail?t={guest_pass}",
                    download_url=f"{base}/{m.photo_id}/download?t={guest_pass}",
                )
            )
        return out

    matches = await run_in_threadpool(shape)
    metrics.SEARCHES.labels("found" if matches else "none").inc()
    metrics.SEARCH_SECONDS.observe(time.perf_counter() - started)
    log.info(
        "guest.search event=%s matches=%d faces=%d ms=%d",
        event.id,
        len(matches),
        found.faces_searched,
        int((time.perf_counter() - started) * 1000),
    )
    return SearchResult(matches=matches, guest_pass=guest_pass)


def _open_event(
    ctx: AppContext, repo: GuestRepository, slug: str, code: str | None, token: str | None
) -> Event:
    """The published event, once the guest showed its code or a pass (where it has a code)."""
    event = repo.published(slug)
    if event is None:
        raise NotFound("event")
    access.require_access(event, code=code, token=token, secret=ctx.settings.secret)
    return event


def _zip_photos(
    ctx: AppContext, slug: str, body: DownloadRequest, code: str | None, token: str | None
) -> tuple[Event, list[Photo]]:
    with session_scope(ctx.sessions) as db:
        repo = GuestRepository(db)
        event = _open_event(ctx, repo, slug, code, token)
        photos = repo.photos(event.id, body.photo_ids)
        if not photos:
            raise NotFound("photo")
        repo.record_download(event.id, len(photos))
    return event, photos


def _guest_photo(
    ctx: AppContext, slug: str, photo_id: uuid.UUID, code: str | None, token: str | None
) -> tuple[Event, Photo]:
    with session_scope(ctx.sessions) as db:
        repo = GuestRepository(db)
        event = _open_event(ctx, repo, slug, code, token)
        photos = repo.photos(event.id, [photo_id])
        if not photos:
            raise NotFound("photo")
        return event, photos[0]


@router.get("/{slug}/photos/{photo_id}/{variant}", response_class=Response)
def guest_image(
    slug: str,
    photo_id: uuid.UUID,
    variant: Literal["preview", "thumbnail", "download"],
    ctx: Ctx,
    code: AccessCode = None,
    t: GuestPass = None,
) -> Response:
    """A photo of a published event: `preview`, `thumbnail`, or `download` (the original, as a file)."""
    event, photo = _guest_photo(ctx, slug, photo_id, code, t)
    if variant == "download":
        with session_scope(ctx.sessions) as db:
            GuestRepository(db).record_download(event.id, 1)
        return image_response(ctx, photo, "original", download=True)
    return image_response(ctx, photo, variant)


_ZIP_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": DownloadRequest.model_json_schema()},
            # A plain HTML form (photo_ids repeated, t = guest pass): the browser then streams the download.
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "photo_ids": {"type": "array", "items": {"type": "string", "format": "uuid"}},
                        "t": {"type": "string"},
                    },
                    "required": ["photo_ids"],
                }
            },
        },
    }
}


async def _download_request(request: Request) -> tuple[DownloadRequest, str | None]:
    """The photo ids (JSON body or form fields) and, from a form, the guest pass."""
    ctype = request.headers.get("content-type", "")
    try:
        if ctype.startswith("application/json"):
            return DownloadRequest.model_validate_json(await request.body()), None
        if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            ids = [str(v) for v in form.getlist("photo_ids")]
            token = form.get("t")
            return DownloadRequest(photo_ids=ids), token if isinstance(token, str) and token else None
    except ValidationError as exc:
        raise ApiError(
            422,
            "validation_error",
            "photo_ids must list 1 to 1000 photo ids.",
            exc.errors(include_url=False, include_context=False),
        ) from None
    raise ApiError(415, "unsupported_media_type", 'Send JSON {"photo_ids": [...]} or a form.')


@router.post("/{slug}/download", response_class=StreamingResponse, openapi_extra=_ZIP_BODY)
async def download_zip(
    slug: str, request: Request, ctx: Ctx, code: AccessCode = None, t: GuestPass = None
) -> StreamingResponse:
    """A ZIP of the chosen originals, streamed as it is made (nothing is built up in memory or on disk)."""
    body, form_pass = await _download_request(request)
    event, photos = await run_in_threadpool(_zip_photos, ctx, slug, body, code, t or form_pass)
    archive = ZipStream(sized=False)  # photos are already compressed: store them as they are
    used: set[str] = set()
    for photo in photos:
        name = photo.original_filename or f"{photo.id}.{photo.extension}"
        if name in used:
            stem, _, ext = name.rpartition(".")
            name = f"{stem or name}-{str(photo.id)[:8]}.{ext}" if stem else f"{name}-{str(photo.id)[:8]}"
        used.add(name)
        archive.add(_lazy_chunks(ctx, photo.object_key), name)
    filename = f"{event.slug}-photos.zip"
    return StreamingResponse(
        archive,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
