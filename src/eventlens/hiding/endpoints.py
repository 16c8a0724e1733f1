"""Guests' removal requests: the guest's route (``/api/public``) and the photographer's (``/api/events``).

Thin doors onto ``hiding/service.py`` (README: Privacy).
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, status
from fastapi.concurrency import run_in_threadpool

from eventlens.auth.cookies import client_ip
from eventlens.context import Ctx, DbSession
from eventlens.events.dependencies import OwnedEvent, ViewEvent
from eventlens.guests.dependencies import AccessCode, GuestPass, Guests
from eventlens.guests.selfie import MAX_SELFIES
from eventlens.hiding import service
from eventlens.hiding.form import read_form
from eventlens.hiding.schemas import (
    PhotoDecisionBody,
    RemovalPhoto,
    RemovalRead,
    RemovalRequestList,
    RemovalRequestRead,
)
from eventlens.openapi import BINARY, errors, multipart_body

public_router = APIRouter(prefix="/api/public/events", tags=["guests"])
router = APIRouter(prefix="/api/events/{event_id}/removals", tags=["events"])


_FORM = {
    "selfie": {
        "type": "array",
        "items": BINARY,
        "minItems": 1,
        "maxItems": MAX_SELFIES,
        "description": f"1 to {MAX_SELFIES} photos of the guest; used in memory, only their faces' "
        "embeddings are kept (in the event's blocklist).",
    },
    "confirm": {
        "type": "string",
        "enum": ["true"],
        "description": f"The guest confirms: “{service.CONFIRM_TEXT}”",
    },
}


@public_router.post(
    "/{slug}/removals",
    status_code=status.HTTP_201_CREATED,
    response_model=RemovalRead,
    responses=errors(400, 403, 404, 409, 413, 422, 429),
    openapi_extra=multipart_body(_FORM, ["selfie", "confirm"]),
)
async def request_removal(
    slug: str, request: Request, guests: Guests, ctx: Ctx, code: AccessCode = None, t: GuestPass = None
) -> RemovalRead:
    """Remove the person in the selfie(s) from the event's search, at once and for later photos too.

    Access and rate limits as for the selfie search. 422 `confirmation_required` without `confirm=true`,
    422 `no_face_found` when no selfie shows a face (nothing is recorded then); 409
    `removal_unavailable` with a face engine that keeps no embeddings. The photographer sees the request
    on the dashboard and decides whether the photos stay in the gallery.
    """
    event = await run_in_threadpool(
        guests.open_for_search, slug, code=code, guest_pass=t, client=client_ip(request)
    )
    service.require_removable(ctx.faces)
    form = await read_form(request.headers.get("content-type", ""), request.stream())
    made = await ctx.cpu.run(service.request_removal, ctx.sessions, ctx.faces, event, form)
    del form  # nothing of the selfies outlives the request
    return RemovalRead(
        id=made.id,
        faces_hidden=made.faces_hidden,
        photos_affected=made.photos_affected,
        confirmed_at=made.confirmed_at,
        selfies_used=made.selfies_used,
        skipped_selfies=made.skipped_selfies,
    )


def to_read(found: service.RemovalRequest) -> RemovalRequestRead:
    return RemovalRequestRead(
        id=found.id,
        created_at=found.created_at,
        confirmed_at=found.confirmed_at,
        faces_hidden=found.faces_hidden,
        photo_count=len(found.photo_ids),
        photos=[RemovalPhoto(id=p, thumbnail_url=f"/api/photos/{p}/thumbnail") for p in found.photo_ids],
        photo_decision=found.photo_decision,
    )


@router.get("", response_model=RemovalRequestList, responses=errors(401, 404, 422))
def list_removals(event: ViewEvent, db: DbSession) -> RemovalRequestList:
    """Guests' removal requests for the event, newest first: when, how many faces, the affected photos."""
    return RemovalRequestList(items=[to_read(r) for r in service.removal_requests(db, event)])


@router.post("/{request_id}/photos", response_model=RemovalRequestRead, responses=errors(401, 403, 404, 422))
# event_id stays a parameter here only so the API document lists the path's parameters in path order.
def decide_photos(
    event_id: uuid.UUID, request_id: uuid.UUID, body: PhotoDecisionBody, event: OwnedEvent, db: DbSession
) -> RemovalRequestRead:
    """Decide about a removal request's photos: `{"action": "hide"}` takes them (and later photos of the
    guest) out of the guest gallery, `{"action": "keep"}` leaves them visible. The guest's faces stay
    unsearchable either way."""
    return to_read(service.decide_photos(db, event, request_id, body.action))
