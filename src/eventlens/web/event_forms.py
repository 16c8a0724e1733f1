"""The event page's smaller forms: edit the details, set or clear the access code, the uploads chart."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from eventlens.context import Ctx, DbSession
from eventlens.errors import ApiError
from eventlens.events import service
from eventlens.events.schemas import EventUpdate
from eventlens.web.rendering import form_csrf_ok, page_principal, redirect, render, t, validation_messages
from eventlens.web.uploads_chart import render_svg, upload_times

router = APIRouter(include_in_schema=False)
FormStr = Annotated[str, Form()]


def _apply(
    request: Request, ctx: Ctx, db: DbSession, event_id: uuid.UUID, csrf: str, body: Mapping[str, object]
) -> Response:
    principal = page_principal(request, ctx)
    if principal is None:
        return redirect("/")
    if not form_csrf_ok(csrf, principal, request):
        return redirect(f"/events/{event_id}")
    try:
        event = service.get_event_for(db, principal.user, event_id)
        service.update_event(db, event, EventUpdate.model_validate(body))
    except ValidationError as exc:
        message = "; ".join(validation_messages(exc))
        return render(request, "error.html", principal=principal, status_code=422, message=message)
    except ApiError as exc:
        return render(request, "error.html", principal=principal, status_code=exc.status, message=exc.message)
    return redirect(f"/events/{event_id}")


@router.post("/events/{event_id}/edit")
def edit_event_form(
    event_id: uuid.UUID,
    request: Request,
    ctx: Ctx,
    db: DbSession,
    name: FormStr = "",
    description: FormStr = "",
    starts_at: FormStr = "",
    ends_at: FormStr = "",
    face_detail: FormStr = "",
    csrf_token: FormStr = "",
) -> Response:
    body = {
        "name": name,
        "description": description,
        "starts_at": starts_at or None,  # an emptied date field clears the date
        "ends_at": ends_at or None,
    }
    if face_detail:  # changing it re-processes the event's photos (events service)
        body["face_detail"] = face_detail
    return _apply(request, ctx, db, event_id, csrf_token, body)


@router.post("/events/{event_id}/access-code")
def access_code_form(
    event_id: uuid.UUID,
    request: Request,
    ctx: Ctx,
    db: DbSession,
    access_code: FormStr = "",
    clear: FormStr = "",
    csrf_token: FormStr = "",
) -> Response:
    code = None if clear else access_code.strip()
    return _apply(request, ctx, db, event_id, csrf_token, {"access_code": code})


@router.get("/events/{event_id}/uploads.svg")
def uploads_chart(event_id: uuid.UUID, request: Request, ctx: Ctx, db: DbSession) -> Response:
    principal = page_principal(request, ctx)
    if principal is None:
        return Response(status_code=401)
    try:
        event = service.get_event_for(db, principal.user, event_id)
    except ApiError as exc:
        return Response(status_code=exc.status)
    svg = render_svg(upload_times(db, event.id), t("dash.chart_title"), t("dash.chart_empty"))
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})
