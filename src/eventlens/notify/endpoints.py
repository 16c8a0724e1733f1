"""/api/public: "tell me when new photos of me arrive" (README: Notify me).

Thin doors onto ``notify/service.py``. Without an SMTP server configured the subscription route
answers 404 (the feature is not there); where the photographer turned it off, or the face engine
keeps no embeddings (Rekognition), 409.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status
from fastapi.concurrency import run_in_threadpool

from eventlens.auth.cookies import client_ip
from eventlens.context import Ctx
from eventlens.guests.dependencies import AccessCode, GuestPass, Guests
from eventlens.guests.schemas import FaceBox, SearchMatch
from eventlens.guests.selfie import MAX_SELFIES
from eventlens.notify import service
from eventlens.notify.dependencies import Notify
from eventlens.notify.form import read_form
from eventlens.notify.schemas import SubscriptionMatches, SubscriptionRead
from eventlens.openapi import BINARY, errors, multipart_body

router = APIRouter(prefix="/api/public", tags=["guests"])


_FORM = {
    "selfie": {
        "type": "array",
        "items": BINARY,
        "minItems": 1,
        "maxItems": MAX_SELFIES,
        "description": f"1 to {MAX_SELFIES} photos of the guest; only their faces' embeddings are kept.",
    },
    "email": {"type": "string", "format": "email", "maxLength": 254},
    "consent": {
        "type": "string",
        "enum": ["true"],
        "description": f"The guest agrees to: “{service.CONSENT_TEXT}”",
    },
}


@router.post(
    "/events/{slug}/subscriptions",
    status_code=status.HTTP_201_CREATED,
    response_model=SubscriptionRead,
    responses=errors(400, 403, 404, 409, 413, 422, 429),
    openapi_extra=multipart_body(_FORM, ["selfie", "email", "consent"]),
)
async def subscribe(
    slug: str,
    request: Request,
    guests: Guests,
    config: Notify,
    ctx: Ctx,
    code: AccessCode = None,
    t: GuestPass = None,
) -> SubscriptionRead:
    """Be e-mailed when new photos of the person in the selfie(s) arrive (one e-mail per batch).

    Keeps the selfies' face embeddings (never the images), the consent and its time, and the address;
    subscribing again with the same address replaces the earlier subscription. 404 when this server
    sends no e-mail; 409 `notify_off` when the photographer turned it off for the event.
    """
    event = await run_in_threadpool(guests.open, slug, code=code, guest_pass=t)
    service.require_offered(config, ctx.faces, event)
    await run_in_threadpool(service.check_client, ctx.limiter, config, client_ip(request))
    form = await read_form(request.headers.get("content-type", ""), request.stream())
    made = await ctx.cpu.run(service.subscribe, ctx.sessions, ctx.faces, ctx.limiter, config, event, form)
    del form  # nothing of the selfies outlives the request
    return SubscriptionRead(
        id=made.id,
        email=made.email,
        consent_text=made.consent_text,
        consented_at=made.consented_at,
        selfies_used=made.selfies_used,
        skipped_selfies=made.skipped_selfies,
        min_minutes_between_emails=config.min_minutes,
    )


@router.get("/subscriptions/{token}/matches", response_model=SubscriptionMatches, responses=errors(404, 422))
def subscription_matches(token: str, config: Notify, ctx: Ctx) -> SubscriptionMatches:
    """Every photo of the subscriber (the e-mail's signed link; no selfie needed): the search answer's shape."""
    found = service.results(ctx.sessions, ctx.faces, config, token)
    base = f"/api/public/events/{found.event.slug}/photos"
    guest_pass = found.guest_pass
    return SubscriptionMatches(
        event_slug=found.event.slug,
        event_name=found.event.name,
        guest_pass=guest_pass,
        matches=[
            SearchMatch(
                photo_id=m.photo_id,
                similarity=round(m.similarity, 4),
                tier=m.tier,
                face_box=FaceBox(x=m.box[0], y=m.box[1], width=m.box[2], height=m.box[3]),
                width=photo.width,
                height=photo.height,
                preview_url=f"{base}/{m.photo_id}/preview?t={guest_pass}",
                thumbnail_url=f"{base}/{m.photo_id}/thumbnail?t={guest_pass}",
                download_url=f"{base}/{m.photo_id}/download?t={guest_pass}",
            )
            for m, photo in found.hits
        ],
    )


@router.delete(
    "/subscriptions/{token}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=errors(404, 422),
)
def unsubscribe(token: str, config: Notify, ctx: Ctx) -> Response:
    """Unsubscribe with the e-mail's unsubscribe link token: the embeddings are deleted at once."""
    service.unsubscribe(ctx.sessions, config, token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
