"""/api/events: a photographer's events."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from eventlens.auth.dependencies import CurrentUser
from eventlens.context import Ctx, DbSession
from eventlens.events import service
from eventlens.events.dependencies import OwnedEvent, ViewEvent
from eventlens.events.links import guest_url
from eventlens.events.qr import qr_png, qr_svg
from eventlens.events.schemas import EventCreate, EventList, EventRead, EventUpdate
from eventlens.openapi import content, errors

router = APIRouter(prefix="/api/events", tags=["events"])


@router.get("", response_model=EventList, responses=errors(401, 422))
def list_events(
    user: CurrentUser,
    db: DbSession,
    ctx: Ctx,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
    all: Annotated[bool, Query(description="Admins: everyone's events")] = False,
) -> EventList:
    """Your events, newest first (admins may ask for everyone's with `all=true`)."""
    items, next_cursor = service.list_events(
        db, user, base_url=ctx.site.base_url, limit=limit, cursor=cursor, everyone=all
    )
    return EventList(items=items, next_cursor=next_cursor)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=EventRead,
    responses=errors(400, 401, 403, 409, 422),
)
def create_event(body: EventCreate, user: CurrentUser, db: DbSession, ctx: Ctx) -> EventRead:
    event = service.create_event(db, user, body)
    return service.read_event(db, event, ctx.site.base_url)


@router.get("/{event_id}", response_model=EventRead, responses=errors(401, 404, 422))
def read_event(event: ViewEvent, user: CurrentUser, db: DbSession, ctx: Ctx) -> EventRead:
    """The event with its counts (photos by status, faces, guest searches and downloads) and your role."""
    return service.read_event(db, event, ctx.site.base_url, user)


@router.patch("/{event_id}", response_model=EventRead, responses=errors(400, 401, 403, 404, 409, 422))
def update_event(
    event: OwnedEvent, user: CurrentUser, body: EventUpdate, db: DbSession, ctx: Ctx
) -> EventRead:
    """Change only the fields sent; `"access_code": null` removes the access code."""
    return service.read_event(db, service.update_event(db, event, body), ctx.site.base_url, user)


@router.delete(
    "/{event_id}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(401, 403, 404, 422, 507)
)
def delete_event(event: OwnedEvent, db: DbSession, ctx: Ctx) -> None:
    """Delete the event with all its photos, faces, objects and FTP credentials."""
    service.delete_event(db, ctx.storage, event)


def _status_route(action: str) -> None:
    def change(event: OwnedEvent, user: CurrentUser, db: DbSession, ctx: Ctx) -> EventRead:
        return service.read_event(db, service.change_status(db, event, action), ctx.site.base_url, user)

    change.__name__ = f"{action}_event"
    change.__doc__ = f"{action.capitalize()} the event."
    router.add_api_route(
        f"/{{event_id}}/{action}",
        change,
        methods=["POST"],
        response_model=EventRead,
        responses=errors(401, 403, 404, 409, 422),
    )


for _action in service.TRANSITIONS:
    _status_route(_action)


def _qr_headers(slug: str, ext: str, download: bool) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{slug}-qr.{ext}"'} if download else {}


@router.get(
    "/{event_id}/qr.svg",
    response_class=Response,
    responses=content("image/svg+xml", description="The QR code as SVG.", binary=False)
    | errors(401, 404, 422),
)
def event_qr_svg(event: ViewEvent, ctx: Ctx, download: bool = False) -> Response:
    """QR code of the guest link (SVG)."""
    return Response(
        qr_svg(guest_url(ctx.site.base_url, event.slug)),
        media_type="image/svg+xml",
        headers=_qr_headers(event.slug, "svg", download),
    )


@router.get(
    "/{event_id}/qr.png",
    response_class=Response,
    responses=content("image/png", description="The QR code as PNG.") | errors(401, 404, 422),
)
def event_qr_png(event: ViewEvent, ctx: Ctx, download: bool = False) -> Response:
    """QR code of the guest link (PNG, for print)."""
    return Response(
        qr_png(guest_url(ctx.site.base_url, event.slug)),
        media_type="image/png",
        headers=_qr_headers(event.slug, "png", download),
    )
