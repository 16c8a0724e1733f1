"""/api/public: what guests (no account) can do with a published event.

Thin doors onto ``guests/service.py``: parse the request, call the service (blocking work in the thread
pool, never on the event loop), shape the answer.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import ValidationError

from eventlens.auth.cookies import client_ip
from eventlens.context import Ctx
from eventlens.errors import ApiError
from eventlens.guests.dependencies import AccessCode, GuestPass, Guests
from eventlens.guests.schemas import (
    AccessAnswer,
    BibMatch,
    DownloadRequest,
    FaceBox,
    PublicEvent,
    SearchMatch,
    SearchResult,
)
from eventlens.guests.selfie import MAX_SELFIES, read_selfies
from eventlens.guests.service import GuestImage, SearchOutcome
from eventlens.openapi import BINARY, REDIRECT, content, errors, multipart_body
from eventlens.photos.filenames import content_disposition
from eventlens.photos.images import MEDIA_TYPES, image_response, object_response, variant_name

router = APIRouter(prefix="/api/public/events", tags=["guests"])

Bib = Annotated[
    str | None,
    Query(
        max_length=32,
        description="A bib number (digits, as many as the event's `bib_digits` allows) to search for too",
    ),
]

_SELFIES = {
    "type": "array",
    "items": BINARY,
    "minItems": 1,
    "maxItems": MAX_SELFIES,
    "description": (
        f"1 to {MAX_SELFIES} photos of the same person (repeat the part: a short burst, another angle); "
        "each up to 15 MB, 30 MB together. A face matches on its best similarity to any of them; a "
        "selfie without a face is skipped (its position is in `skipped_selfies`), all without one is "
        "422 `no_face_found`, a 4th part 422 `too_many_selfies`. Used in memory, never stored."
    ),
}


@router.get("/{slug}", response_model=PublicEvent, responses=errors(404, 422))
def public_event(slug: str, guests: Guests) -> PublicEvent:
    """A published event's public view: name, dates, cover, photographer, whether a code is needed."""
    return guests.public_view(slug)


@router.post("/{slug}/access", response_model=AccessAnswer, responses=errors(403, 404, 422, 429))
def check_access(slug: str, request: Request, guests: Guests, code: AccessCode = None) -> AccessAnswer:
    """Check an access code (header ``X-Access-Code``); the answer's guest pass opens the event for 24 h.

    Wrong codes count against the client's login rate limit, so codes cannot be guessed quickly.
    """
    return AccessAnswer(guest_pass=guests.check_code(slug, code, client_ip(request)))


@router.get(
    "/{slug}/cover",
    response_class=Response,
    responses=content("image/webp", description="The cover's preview.") | REDIRECT | errors(404, 422),
)
async def cover(slug: str, guests: Guests, ctx: Ctx) -> Response:
    """The event's cover photo (its preview), chosen by the photographer; public like the event's name.

    Watermarked like the other guest previews when the event's watermark is on."""
    found = await run_in_threadpool(guests.cover_image, slug)
    return await _guest_response(ctx, guests, found, "preview")


@router.get(
    "/{slug}/logo",
    response_class=Response,
    responses=content("image/webp", description="The logo's preview.") | REDIRECT | errors(404, 422),
)
def logo(slug: str, guests: Guests, ctx: Ctx) -> Response:
    """The event's logo (the preview of the photo chosen in `branding.logo_photo_id`); public like its name."""
    return image_response(ctx, guests.logo(slug), "preview")


@router.post(
    "/{slug}/search",
    response_model=SearchResult,
    responses=errors(400, 403, 404, 413, 422, 429),
    openapi_extra=multipart_body({"selfie": _SELFIES}, []),
)
async def search(
    slug: str,
    request: Request,
    guests: Guests,
    ctx: Ctx,
    code: AccessCode = None,
    t: GuestPass = None,
    bib: Bib = None,
) -> SearchResult:
    """Find the event's photos of the person in the selfie(s): tier "high" first, then "possible".

    With `?bib=`, also the photos where that number was read (the selfie is then optional): photos
    matching both come first. Access is checked before the body is read, so a stranger's upload is
    never decoded.
    """
    event = await run_in_threadpool(
        guests.open_for_search, slug, code=code, guest_pass=t, client=client_ip(request)
    )
    number = guests.check_bib(event, bib) if bib is not None else None
    selfies = await _selfies(request, optional=number is not None)
    # Decoding and inference wait their turn on the CPU pool: N searches at once cost N x memory.
    if number is None:
        outcome = await ctx.cpu.run(guests.search, event, selfies)
    else:
        outcome = await ctx.cpu.run(guests.search_bib, event, selfies, number)
    del selfies  # nothing of the selfies outlives the search
    return _search_result(outcome)


@router.get("/{slug}/search", response_model=SearchResult, responses=errors(403, 404, 422, 429))
def search_by_bib(
    slug: str, request: Request, guests: Guests, bib: Bib, code: AccessCode = None, t: GuestPass = None
) -> SearchResult:
    """The event's photos where the bib number was read (a link a runner can keep or share).

    Rate limited and behind the access code like the selfie search.
    """
    if bib is None:
        raise ApiError(422, "validation_error", "Give the bib number to search for: ?bib=1234.")
    event = guests.open_for_search(slug, code=code, guest_pass=t, client=client_ip(request))
    return _search_result(guests.search_bib(event, [], guests.check_bib(event, bib)))


async def _selfies(request: Request, *, optional: bool) -> list[bytes]:
    """The selfie parts; none is fine when a bib is searched (no body, or a form without a selfie)."""
    ctype = request.headers.get("content-type", "")
    if optional and not ctype.startswith("multipart/form-data"):
        return []
    try:
        return await read_selfies(ctype, request.stream())
    except ApiError as exc:
        if optional and exc.status == 422 and exc.code == "validation_error":
            return []
        raise


def _search_result(outcome: SearchOutcome) -> SearchResult:
    base = f"/api/public/events/{outcome.event.slug}/photos"
    guest_pass = outcome.guest_pass
    matches = []
    for match, photo in outcome.hits:
        x, y, w, h = match.box
        read = outcome.bibs.get(match.photo_id)
        matches.append(
            SearchMatch(
                photo_id=match.photo_id,
                similarity=round(match.similarity, 4),
                tier=match.tier,
                face_box=None if match.photo_id in outcome.bib_only else FaceBox(x=x, y=y, width=w, height=h),
                bib=None
                if read is None
                else BibMatch(
                    number=read.number,
                    confidence=read.confidence,
                    box=FaceBox(x=read.box[0], y=read.box[1], width=read.box[2], height=read.box[3]),
                ),
                width=photo.width,
                height=photo.height,
                preview_url=f"{base}/{match.photo_id}/preview?t={guest_pass}",
                thumbnail_url=f"{base}/{match.photo_id}/thumbnail?t={guest_pass}",
                download_url=f"{base}/{match.photo_id}/download?t={guest_pass}",
            )
        )
    return SearchResult(matches=matches, guest_pass=guest_pass, skipped_selfies=outcome.skipped_selfies)


@router.get(
    "/{slug}/photos/{photo_id}/{variant}",
    response_class=Response,
    responses=content(
        *MEDIA_TYPES,
        description="The image; `download` is the original (or, per the event, a watermarked JPEG) as a file.",
    )
    | REDIRECT
    | errors(403, 404, 422, 429),
)
async def guest_image(
    slug: str,
    photo_id: uuid.UUID,
    variant: Literal["preview", "thumbnail", "download"],
    guests: Guests,
    ctx: Ctx,
    code: AccessCode = None,
    t: GuestPass = None,
) -> Response:
    """A photo of a published event: `preview`, `thumbnail`, or `download` (as a file).

    With the event's watermark on, previews and thumbnails carry it. `download` follows the event's
    `downloads`: the original, a full-size watermarked JPEG, or 403 `downloads_off`.
    """
    found = await run_in_threadpool(
        guests.image, slug, photo_id, "full" if variant == "download" else variant, code=code, guest_pass=t
    )
    return await _guest_response(ctx, guests, found, variant)


async def _guest_response(ctx: Ctx, guests: Guests, found: GuestImage, variant: str) -> Response:
    photo = found.photo
    # Opening a stored object blocks (a file, or S3): in the thread pool, as the other routes do.
    if found.drawing is None:
        if variant == "download":
            return await run_in_threadpool(image_response, ctx, photo, "original", download=True)
        return await run_in_threadpool(
            image_response, ctx, photo, "preview" if variant == "preview" else "thumbnail"
        )
    drawn: Literal["preview", "thumbnail", "full"] = (
        "full" if variant == "download" else "preview" if variant == "preview" else "thumbnail"
    )
    key = await run_in_threadpool(guests.marks.stored, photo, found.drawing, drawn)
    if key is None:
        # Drawing decodes a photo: on the CPU pool, like selfie decoding, never the event loop.
        key = await ctx.cpu.run(guests.marks.rendition, photo, found.drawing, drawn)
    if variant == "download":
        name, mime = variant_name(photo, "", "jpg"), "image/jpeg"
    else:
        name, mime = variant_name(photo, f"-{variant}", "webp"), "image/webp"
    return await run_in_threadpool(object_response, ctx, key, mime, name, attachment=variant == "download")


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
            exc.errors(include_url=False, include_context=False, include_input=False),
        ) from None
    raise ApiError(415, "unsupported_media_type", 'Send JSON {"photo_ids": [...]} or a form.')


@router.post(
    "/{slug}/download",
    response_class=StreamingResponse,
    responses=content(
        "application/zip",
        description="A ZIP of the originals (or watermarked JPEGs, per the event), streamed.",
    )
    | errors(400, 403, 404, 415, 422, 429),
    openapi_extra=_ZIP_BODY,
)
async def download_zip(
    slug: str, request: Request, guests: Guests, code: AccessCode = None, t: GuestPass = None
) -> StreamingResponse:
    """A ZIP of the chosen originals, streamed as it is made (nothing is built up in memory or on disk)."""
    body, form_pass = await _download_request(request)
    made = await run_in_threadpool(guests.zip, slug, body.photo_ids, code=code, guest_pass=t or form_pass)
    return StreamingResponse(
        made.chunks,
        media_type="application/zip",
        headers={"Content-Disposition": content_disposition("attachment", made.filename)},
    )
