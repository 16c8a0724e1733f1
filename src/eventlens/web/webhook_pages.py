"""The event page's webhook forms: add an endpoint (its secret shown once), delete one, send a test."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from eventlens.context import Ctx, DbSession
from eventlens.errors import ApiError
from eventlens.web.dependencies import PostedEventForm
from eventlens.web.event_view import event_page_response
from eventlens.web.rendering import redirect, t
from eventlens.web.webhook_panel import NEW_WEBHOOK
from eventlens.webhooks import service
from eventlens.webhooks.schemas import WebhookCreate

router = APIRouter(include_in_schema=False)
FormStr = Annotated[str, Form()]


@router.post("/events/{event_id}/webhooks")
def create_webhook_form(
    request: Request,
    ctx: Ctx,
    db: DbSession,
    form: PostedEventForm,
    url: FormStr = "",
    events: Annotated[list[str] | None, Form()] = None,
) -> Response:
    principal, event = form.principal, form.event

    def again(errors: list[str], status_code: int) -> Response:
        return event_page_response(request, ctx, db, principal, event, errors=errors, status_code=status_code)

    if not form.csrf_ok:
        return again([t("auth.error.csrf")], 403)
    try:
        data = WebhookCreate.model_validate({"url": url, "events": events or []})
    except ValidationError:
        return again([t("webhooks.error.form")], 422)
    try:
        created = service.create_endpoint(
            db, event, principal.user, data, allow_private=ctx.site.webhook_allow_private
        )
    except ApiError as exc:
        return again([exc.message], exc.status)
    # Same session: the list below holds the new endpoint; it is committed before the page is sent.
    setattr(request.state, NEW_WEBHOOK, created)
    return event_page_response(
        request, ctx, db, principal, event, flashes=[t("webhooks.created")], status_code=201
    )


@router.post("/events/{event_id}/webhooks/{webhook_id}/test")
def test_webhook_form(webhook_id: uuid.UUID, db: DbSession, form: PostedEventForm) -> Response:
    if form.csrf_ok:
        service.send_test(db, form.event, webhook_id)
    return redirect(f"{form.page}#webhooks")


@router.post("/events/{event_id}/webhooks/{webhook_id}/delete")
def delete_webhook_form(webhook_id: uuid.UUID, db: DbSession, form: PostedEventForm) -> Response:
    if form.csrf_ok:
        service.delete_endpoint(db, form.event, webhook_id)
    return redirect(f"{form.page}#webhooks")
