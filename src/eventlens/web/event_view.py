"""One event's page as its caller sees it: details, counts, the first photos, the FTP and webhook panels,
the members.

What the caller's role does not allow is left out of the page (``can``); the server refuses it anyway.

Drawn by the page itself and by the forms on it that answer with the page (upload, FTP logins).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import Request
from fastapi.responses import Response

from eventlens.auth.dependencies import Principal
from eventlens.context import AppContext
from eventlens.events import service
from eventlens.events.branding import branding_of
from eventlens.events.links import guest_url, is_loopback
from eventlens.events.permissions import Access, Action, allows
from eventlens.hiding.service import removal_requests
from eventlens.members.service import list_members
from eventlens.models import Event, PhotoStatus
from eventlens.photos.listing import PhotoSort, photo_page
from eventlens.watermark.settings import downloads_of, watermark_of
from eventlens.web.ftp_panel import panel_context
from eventlens.web.rendering import render
from eventlens.web.webhook_panel import panel_context as webhook_panel

if TYPE_CHECKING:  # pages pass the request's session on; they run no SQL
    from sqlalchemy.orm import Session

GRID_PAGE = 60  # photos on the event page; the rest load on demand, as many at a time


def event_page_response(
    request: Request,
    ctx: AppContext,
    db: Session,
    principal: Principal,
    event: Event,
    *,
    flashes: list[str] | None = None,
    errors: list[str] | None = None,
    status_code: int = 200,
    only: PhotoStatus | None = None,
    sort: PhotoSort = "uploaded",
    member_form: dict[str, str] | None = None,
    tab: str | None = None,
) -> Response:
    read = service.read_event(db, event, ctx.site.base_url, principal.user)
    access = read.role or "viewer"
    can = {action.value: allows(Access(access), action) for action in Action}
    photos, next_cursor = photo_page(db, event, limit=GRID_PAGE, status=only, sort=sort)
    ftp = panel_context(request, db, ctx.site, event, principal.user) if can["upload"] else None
    counts = read.counts.model_dump()
    return render(
        request,
        "event.html",
        principal=principal,
        status_code=status_code,
        event=event,
        counts=counts,
        guest_url=guest_url(ctx.site.base_url, event.slug),
        deletion=service.deletion_soon(event.expires_at),
        # Links made from a loopback base URL open on this computer only, never on a guest's phone.
        loopback=is_loopback(ctx.site.base_url),
        base_url=ctx.site.base_url,
        direct_uploads=ctx.site.direct_uploads,
        photos=photos,
        only=only.value if only else "",
        sort=sort,
        photo_total=counts["photos"][only.value] if only else counts["photos"]["total"],
        next_cursor=next_cursor,
        ftp=ftp,
        # Webhooks are settings: only who may manage the event sees them.
        webhooks=webhook_panel(request, db, event) if can["manage"] else None,
        role=access,
        can=can,
        members=list_members(db, event),
        removals=removal_requests(db, event),
        member_form=member_form or {},
        tab=tab,
        live_screens=ctx.live_viewers.count(event.id),
        branding=branding_of(event),
        watermark=watermark_of(event),
        downloads=downloads_of(event),
        flashes=flashes or [],
        errors=errors or [],
    )
