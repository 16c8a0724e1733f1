"""The venue's live screen ``/e/{slug}/live``: a published event's new photos, full screen, with a QR code.

The page is a shell; ``static/live.js`` follows the event's public stream (``GET /api/public/events/
{slug}/live``) and cross-fades the photos. The QR code leads to the guest page, so people in the room
can find themselves.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from eventlens.context import Ctx
from eventlens.errors import NotFound
from eventlens.events.links import guest_url
from eventlens.events.qr import qr_svg
from eventlens.guests.dependencies import Guests
from eventlens.web.rendering import render, t

router = APIRouter(include_in_schema=False)


@router.get("/e/{slug}/live")
def live_page(slug: str, request: Request, guests: Guests, ctx: Ctx) -> Response:
    try:
        event = guests.public_view(slug)
    except NotFound:
        return render(request, "guest_missing.html", status_code=404, message=t("guest.missing"))
    link = guest_url(ctx.site.base_url, slug)
    return render(request, "live.html", event=event, guest_link=link, strings=t.subset("live."))


@router.get("/e/{slug}/qr.svg")
def guest_qr(slug: str, guests: Guests, ctx: Ctx) -> Response:
    """The guest page's QR code, for the live screen (public like the page it leads to)."""
    guests.public_view(slug)  # a published event's, or 404
    return Response(
        qr_svg(guest_url(ctx.site.base_url, slug)),
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=3600"},
    )
