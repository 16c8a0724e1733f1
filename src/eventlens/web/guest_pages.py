"""The guest page ``/e/{slug}``: find yourself in an event's photos with a selfie, download them.

Rendered on the server with what every guest sees (name, dates, cover, photographer, whether a code is
needed); the selfie, results and downloads are one small ES module talking to /api/public.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from eventlens.context import Ctx, DbSession
from eventlens.guests.repository import GuestRepository
from eventlens.web.rendering import render, t

router = APIRouter(include_in_schema=False)


@router.get("/e/{slug}")
def guest_page(slug: str, request: Request, ctx: Ctx, db: DbSession) -> Response:
    repo = GuestRepository(db)
    event = repo.published(slug)
    if event is None:
        return render(request, "guest_missing.html", status_code=404, message=t("guest.missing"))
    return render(
        request,
        "guest.html",
        event=event,
        photographer=repo.owner_name(event),
        cover_url=f"/api/public/events/{event.slug}/cover" if event.cover_photo_id else None,
        code_required=event.access_code_hash is not None,
        strings=t.subset("guest."),
    )
