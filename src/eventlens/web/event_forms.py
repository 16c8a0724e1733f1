"""The event page's smaller forms: edit the details, set or clear the access code, the look, the uploads chart."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response
from pydantic import ValidationError

from eventlens.context import Ctx, DbSession
from eventlens.errors import Invalid
from eventlens.events import service
from eventlens.events.dependencies import ViewEvent
from eventlens.events.schemas import EventUpdate
from eventlens.watermark import service as watermark_service
from eventlens.watermark.settings import Watermark, WatermarkUpdate
from eventlens.web.dependencies import EventForm, PostedEventForm
from eventlens.web.rendering import redirect, t, validation_messages
from eventlens.web.uploads_chart import render_svg

router = APIRouter(include_in_schema=False)
FormStr = Annotated[str, Form()]


def _apply(db: DbSession, form: EventForm, body: Mapping[str, object]) -> Response:
    if not form.csrf_ok:
        return redirect(form.page)
    try:
        data = EventUpdate.model_validate(body)
    except ValidationError as exc:
        raise Invalid("; ".join(validation_messages(exc))) from exc
    service.update_event(db, form.event, data)
    return redirect(form.page)


@router.post("/events/{event_id}/edit")
def edit_event_form(
    db: DbSession,
    form: PostedEventForm,
    name: FormStr = "",
    description: FormStr = "",
    starts_at: FormStr = "",
    ends_at: FormStr = "",
    face_detail: FormStr = "",
) -> Response:
    body = {
        "name": name,
        "description": description,
        "starts_at": starts_at or None,  # an emptied date field clears the date
        "ends_at": ends_at or None,
    }
    if face_detail:  # changing it re-processes the event's photos (events service)
        body["face_detail"] = face_detail
    return _apply(db, form, body)


@router.post("/events/{event_id}/access-code")
def access_code_form(
    db: DbSession, form: PostedEventForm, access_code: FormStr = "", clear: FormStr = ""
) -> Response:
    code = None if clear else access_code.strip()
    return _apply(db, form, {"access_code": code})


@router.post("/events/{event_id}/branding")
def branding_form(
    db: DbSession,
    form: PostedEventForm,
    accent: FormStr = "",
    clear_accent: FormStr = "",
    clear_logo: FormStr = "",
) -> Response:
    branding: dict[str, object] = {"accent": None if clear_accent else (accent.strip() or None)}
    if clear_logo:
        branding["logo_photo_id"] = None
    return _apply(db, form, {"branding": branding})


@router.post("/events/{event_id}/watermark")
def watermark_form(
    db: DbSession,
    form: PostedEventForm,
    enabled: FormStr = "",
    kind: FormStr = "text",
    text: FormStr = "",
    position: FormStr = "bottom-right",
    size: FormStr = "25",
    opacity: FormStr = "60",
    downloads: FormStr = "original",
) -> Response:
    mark = {
        "enabled": bool(enabled),
        "kind": kind,
        "text": text,
        "position": position,
        "size": _percent(size),
        "opacity": _percent(opacity),
    }
    return _apply(db, form, {"watermark": mark, "downloads": downloads})


@router.get("/events/{event_id}/watermark-sample.webp")
def watermark_sample(
    db: DbSession,
    ctx: Ctx,
    event: ViewEvent,
    kind: str = "text",
    text: str = "",
    position: str = "bottom-right",
    size: str = "25",
    opacity: str = "60",
) -> Response:
    """The settings form's live preview: the mark as it would be drawn, on a neutral sample."""
    try:
        mark = Watermark.model_validate(
            WatermarkUpdate.model_validate(
                {"enabled": True, "kind": kind, "text": text, "position": position}
                | {"size": _percent(size), "opacity": _percent(opacity)}
            ).model_dump()
        )
    except ValidationError as exc:
        raise Invalid("; ".join(validation_messages(exc))) from exc
    image = watermark_service.sample(db, ctx.storage, event, mark)
    return Response(image, media_type="image/webp", headers={"Cache-Control": "no-store"})


def _percent(value: str) -> float | str:
    """A form's 5-100 (%) as the API's fraction; anything else goes on as sent, to be refused there."""
    try:
        return round(float(value) / 100, 3)
    except ValueError:
        return value


@router.get("/events/{event_id}/uploads.svg")
def uploads_chart(db: DbSession, event: ViewEvent) -> Response:
    # An image, not a page: signed out it answers 401 (ViewEvent), not a redirect to sign in.
    svg = render_svg(service.upload_times(db, event), t("dash.chart_title"), t("dash.chart_empty"))
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})
