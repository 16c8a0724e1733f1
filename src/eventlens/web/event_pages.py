"""Pages for a photographer's events: the list with a create form, and one event's page."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import ValidationError

from eventlens.auth.dependencies import Principal
from eventlens.context import Ctx, DbSession
from eventlens.db import session_scope
from eventlens.errors import ApiError
from eventlens.events import service
from eventlens.events.links import guest_url
from eventlens.events.repository import EventRepository
from eventlens.events.schemas import EventCreate
from eventlens.models import Event, PhotoSource, User
from eventlens.pagination import encode_cursor
from eventlens.photos import ingest
from eventlens.photos.repository import PhotoRepository
from eventlens.photos.service import reprocess
from eventlens.web.ftp_panel import panel_context
from eventlens.web.rendering import form_csrf_ok, page_principal, redirect, render, t, validation_messages

router = APIRouter(include_in_schema=False)
GRID_PAGE = 60  # photos on the event page; the rest load on demand, as many at a time
FormStr = Annotated[str, Form()]


def _signed_in(request: Request, ctx: Ctx) -> Principal | None:
    return page_principal(request, ctx)


def _events_page(
    request: Request,
    ctx: Ctx,
    db: DbSession,
    principal: Principal,
    *,
    errors: list[str] | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    items, _next = service.list_events(
        db, principal.user, base_url=ctx.settings.base_url, limit=200, cursor=None
    )
    repo = EventRepository(db)
    events = [repo.get(i.id) for i in items]
    counts = {i.id: {"photos": i.counts.photos.total, "faces": i.counts.faces} for i in items}
    return render(
        request,
        "events.html",
        principal=principal,
        status_code=status_code,
        events=events,
        counts=counts,
        errors=errors or [],
        form=form or {},
    )


@router.get("/events")
def events_page(request: Request, ctx: Ctx, db: DbSession) -> Response:
    principal = _signed_in(request, ctx)
    if principal is None:
        return redirect("/")
    return _events_page(request, ctx, db, principal)


@router.post("/events")
def create_event_form(
    request: Request,
    ctx: Ctx,
    db: DbSession,
    name: FormStr = "",
    description: FormStr = "",
    starts_at: FormStr = "",
    ends_at: FormStr = "",
    retention_days: FormStr = "",
    access_code: FormStr = "",
    csrf_token: FormStr = "",
) -> Response:
    principal = _signed_in(request, ctx)
    if principal is None:
        return redirect("/")
    form = {
        "name": name,
        "description": description,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "retention_days": retention_days,
    }
    if not form_csrf_ok(csrf_token, principal, request):
        return _events_page(
            request, ctx, db, principal, errors=[t("auth.error.csrf")], form=form, status_code=403
        )
    values = {k: v for k, v in form.items() if v.strip()}
    if access_code:
        values["access_code"] = access_code
    try:
        data = EventCreate.model_validate(values)
        event = service.create_event(db, principal.user, data)
    except ValidationError as exc:
        return _events_page(
            request, ctx, db, principal, errors=validation_messages(exc), form=form, status_code=422
        )
    except ApiError as exc:
        return _events_page(
            request, ctx, db, principal, errors=[exc.message], form=form, status_code=exc.status
        )
    return redirect(f"/events/{event.id}")


def _owned_event(ctx: Ctx, user: User, event_id: uuid.UUID) -> Event | None:
    with session_scope(ctx.sessions) as db:
        try:
            return service.get_event_for(db, user, event_id)
        except ApiError:
            return None


def _event_page(
    request: Request,
    ctx: Ctx,
    principal: Principal,
    event_id: uuid.UUID,
    flashes: list[str] | None = None,
    errors: list[str] | None = None,
) -> Response:
    with session_scope(ctx.sessions) as db:
        try:
            event = service.get_event_for(db, principal.user, event_id)
        except ApiError:
            return render(
                request, "error.html", principal=principal, status_code=404, message=t("error.not_found")
            )
        read = service.read_event(db, event, ctx.settings.base_url)
        photos = PhotoRepository(db).page(event.id, status=None, limit=GRID_PAGE + 1, after=None)
        ftp = panel_context(request, db, ctx.settings, event)
    # One row more than shown tells whether there is a next page; its cursor is the last shown row's.
    more = len(photos) > GRID_PAGE
    photos = photos[:GRID_PAGE]
    next_cursor = encode_cursor(photos[-1].created_at, photos[-1].id) if more else None
    return render(
        request,
        "event.html",
        principal=principal,
        event=event,
        counts=read.counts.model_dump(),
        guest_url=guest_url(ctx.settings.base_url, event.slug),
        photos=photos,
        next_cursor=next_cursor,
        ftp=ftp,
        flashes=flashes or [],
        errors=errors or [],
    )


@router.get("/events/{event_id}")
def event_page(event_id: uuid.UUID, request: Request, ctx: Ctx) -> Response:
    principal = _signed_in(request, ctx)
    if principal is None:
        return redirect("/")
    return _event_page(request, ctx, principal, event_id)


def _action_route(action: str) -> None:
    def act(
        event_id: uuid.UUID, request: Request, ctx: Ctx, db: DbSession, csrf_token: FormStr = ""
    ) -> Response:
        principal = _signed_in(request, ctx)
        if principal is None:
            return redirect("/")
        if not form_csrf_ok(csrf_token, principal, request):
            return redirect(f"/events/{event_id}")
        try:
            service.change_status(db, service.get_event_for(db, principal.user, event_id), action)
        except ApiError as exc:
            return render(
                request, "error.html", principal=principal, status_code=exc.status, message=exc.message
            )
        return redirect(f"/events/{event_id}")

    act.__name__ = f"{action}_event_form"
    router.add_api_route(f"/events/{{event_id}}/{action}", act, methods=["POST"])


for _action in service.TRANSITIONS:
    _action_route(_action)


@router.post("/events/{event_id}/upload")
async def upload_form(event_id: uuid.UUID, request: Request, ctx: Ctx) -> Response:
    """The event page's plain multi-file form: same checks as the API, then back to the page."""
    principal = await run_in_threadpool(_signed_in, request, ctx)
    if principal is None:
        return redirect("/")
    event = await run_in_threadpool(_owned_event, ctx, principal.user, event_id)
    if event is None:
        return render(
            request, "error.html", principal=principal, status_code=404, message=t("error.not_found")
        )
    try:
        result = await ingest.receive_photos(
            ingest.Inbox.of(ctx),
            ingest.Sender(event, principal.user, PhotoSource.web),
            request.headers.get("content-type", ""),
            request.stream(),
            accept_fields=lambda fields: form_csrf_ok(fields.get("csrf_token"), principal, request),
        )
    except (ingest.BadUpload, ingest.FormRefused):
        return redirect(f"/events/{event_id}")
    except ApiError as exc:  # the event is archived, or no file was sent
        page = await run_in_threadpool(_event_page, request, ctx, principal, event_id, None, [exc.message])
        page.status_code = exc.status
        return page
    refused = [f"{i.filename}: {i.error.message}" for i in result.items if i.error is not None]
    flash = t("photos.uploaded", count=result.stored)
    return await run_in_threadpool(_event_page, request, ctx, principal, event_id, [flash], refused)


@router.post("/events/{event_id}/reprocess")
def reprocess_form(
    event_id: uuid.UUID, request: Request, ctx: Ctx, db: DbSession, csrf_token: FormStr = ""
) -> Response:
    principal = _signed_in(request, ctx)
    if principal is None:
        return redirect("/")
    if form_csrf_ok(csrf_token, principal, request):
        try:
            reprocess(db, service.get_event_for(db, principal.user, event_id), only_failed=True)
        except ApiError as exc:
            return render(
                request, "error.html", principal=principal, status_code=exc.status, message=exc.message
            )
    return redirect(f"/events/{event_id}")


@router.post("/events/{event_id}/delete")
def delete_event_form(
    event_id: uuid.UUID,
    request: Request,
    ctx: Ctx,
    db: DbSession,
    csrf_token: FormStr = "",
    confirm: FormStr = "",
) -> Response:
    principal = _signed_in(request, ctx)
    if principal is None:
        return redirect("/")
    if not form_csrf_ok(csrf_token, principal, request) or confirm != "yes":
        return redirect(f"/events/{event_id}")
    try:
        service.delete_event(db, ctx.storage, service.get_event_for(db, principal.user, event_id))
    except ApiError as exc:
        return render(request, "error.html", principal=principal, status_code=exc.status, message=exc.message)
    return redirect("/events")
