"""Pages for a photographer's events: the list with a create form, and one event's page."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import ValidationError

from eventlens.auth.dependencies import PagePrincipal, Principal
from eventlens.context import Ctx, DbSession
from eventlens.db import session_scope
from eventlens.errors import ApiError
from eventlens.events import service
from eventlens.events.dependencies import PageUploadEventDetached, PageViewEvent
from eventlens.events.permissions import Action
from eventlens.events.schemas import EventCreate
from eventlens.models import PhotoSource, PhotoStatus
from eventlens.photos import ingest
from eventlens.photos.service import reprocess
from eventlens.web.dependencies import PostedEventForm
from eventlens.web.event_view import event_page_response
from eventlens.web.rendering import form_csrf_ok, form_problem, redirect, render, t

router = APIRouter(include_in_schema=False)
FormStr = Annotated[str, Form()]


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
    events, _next = service.list_events(
        db, principal.user, base_url=ctx.site.base_url, limit=200, cursor=None
    )
    counts = {e.id: {"photos": e.counts.photos.total, "faces": e.counts.faces} for e in events}
    return render(
        request,
        "events.html",
        principal=principal,
        status_code=status_code,
        events=events,
        counts=counts,
        deletions={e.id: service.deletion_soon(e.expires_at) for e in events},
        covers=service.covers(db, events),
        errors=errors or [],
        form=form or {},
    )


@router.get("/events")
def events_page(request: Request, ctx: Ctx, db: DbSession, principal: PagePrincipal) -> Response:
    return _events_page(request, ctx, db, principal)


@router.post("/events")
def create_event_form(
    request: Request,
    ctx: Ctx,
    db: DbSession,
    principal: PagePrincipal,
    name: FormStr = "",
    description: FormStr = "",
    starts_at: FormStr = "",
    ends_at: FormStr = "",
    retention_days: FormStr = "",
    access_code: FormStr = "",
    csrf_token: FormStr = "",
) -> Response:
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
        event = service.create_event(db, principal.user, EventCreate.model_validate(values))
    except (ValidationError, ApiError) as exc:
        status, errors = form_problem(db, exc)
        return _events_page(request, ctx, db, principal, errors=errors, form=form, status_code=status)
    return redirect(f"/events/{event.id}")


def _event_page(
    request: Request,
    ctx: Ctx,
    principal: Principal,
    event_id: uuid.UUID,
    flashes: list[str] | None = None,
    errors: list[str] | None = None,
) -> Response:
    """The event page in a transaction of its own, for the upload form (which keeps no request session)."""
    with session_scope(ctx.sessions) as db:
        event = service.get_event_for(db, principal.user, event_id, Action.view)
        return event_page_response(request, ctx, db, principal, event, flashes=flashes, errors=errors)


@router.get("/events/{event_id}")
def event_page(
    request: Request,
    ctx: Ctx,
    db: DbSession,
    principal: PagePrincipal,
    event: PageViewEvent,
    status: str = "",
    sort: str = "",
) -> Response:
    # The grid's status filter and order are a plain GET form; anything unknown shows every photo,
    # newest upload first.
    only = PhotoStatus(status) if status in PhotoStatus.__members__ else None
    return event_page_response(
        request, ctx, db, principal, event, only=only, sort="taken" if sort == "taken" else "uploaded"
    )


def _action_route(action: str) -> None:
    def act(db: DbSession, form: PostedEventForm) -> Response:
        if form.csrf_ok:
            service.change_status(db, form.event, action)
        return redirect(form.page)

    act.__name__ = f"{action}_event_form"
    router.add_api_route(f"/events/{{event_id}}/{action}", act, methods=["POST"])


for _action in service.TRANSITIONS:
    _action_route(_action)


@router.post("/events/{event_id}/upload")
async def upload_form(
    event_id: uuid.UUID,
    request: Request,
    ctx: Ctx,
    principal: PagePrincipal,
    event: PageUploadEventDetached,
) -> Response:
    """The event page's plain multi-file form: same checks as the API, then back to the page."""
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
def reprocess_form(db: DbSession, form: PostedEventForm) -> Response:
    if form.csrf_ok:
        reprocess(db, form.event, only_failed=True)
    return redirect(form.page)


@router.post("/events/{event_id}/delete")
def delete_event_form(ctx: Ctx, db: DbSession, form: PostedEventForm, confirm: FormStr = "") -> Response:
    if not form.csrf_ok or confirm != "yes":
        return redirect(form.page)
    service.delete_event(db, ctx.storage, form.event)
    return redirect("/events")
