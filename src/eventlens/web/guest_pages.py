"""The guest page ``/e/{slug}``: find yourself in an event's photos with a selfie, download them.

Rendered on the server from the event's public view (the same one ``GET /api/public/events/{slug}``
answers); the selfies, results and downloads are one small ES module talking to /api/public.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from eventlens.context import Ctx
from eventlens.errors import NotFound
from eventlens.guests.dependencies import Guests
from eventlens.hiding import service as hiding
from eventlens.notify import service as notify
from eventlens.notify.dependencies import Notify
from eventlens.web.rendering import render, t

router = APIRouter(include_in_schema=False)


@router.get("/e/{slug}")
def guest_page(slug: str, request: Request, guests: Guests, ctx: Ctx, notify_config: Notify) -> Response:
    try:
        event = guests.public_view(slug)
    except NotFound:
        return render(request, "guest_missing.html", status_code=404, message=t("guest.missing"))
    return render(
        request,
        "guest.html",
        event=event,
        strings=t.subset("guest."),
        notify_offered=notify.offered_on_page(ctx.sessions, ctx.faces, notify_config, slug),
        consent_text=notify.CONSENT_TEXT,
        removal_offered=hiding.removal_offered(ctx.faces),
        confirm_text=hiding.CONFIRM_TEXT,
    )
