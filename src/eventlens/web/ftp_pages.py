"""The event page's FTP forms: create a camera login (its password shown once), revoke one."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from eventlens.context import Ctx
from eventlens.db import session_scope
from eventlens.errors import ApiError
from eventlens.events.service import get_event_for
from eventlens.ftp import service
from eventlens.ftp.schemas import CredentialCreate
from eventlens.web.event_pages import _event_page
from eventlens.web.ftp_panel import NEW_CREDENTIAL
from eventlens.web.rendering import form_csrf_ok, page_principal, redirect, render, t

router = APIRouter(include_in_schema=False)
FormStr = Annotated[str, Form()]


@router.post("/events/{event_id}/ftp-credentials")
def create_credential_form(
    event_id: uuid.UUID,
    request: Request,
    ctx: Ctx,
    label: FormStr = "",
    expires_in_hours: FormStr = "",
    csrf_token: FormStr = "",
) -> Response:
    principal = page_principal(request, ctx)
    if principal is None:
        return redirect("/")
    if not form_csrf_ok(csrf_token, principal, request):
        return _event_page(request, ctx, principal, event_id, errors=[t("auth.error.csrf")])
    try:
        hours = float(expires_in_hours) if expires_in_hours.strip() else None
        data = CredentialCreate(label=label, expires_in_hours=hours)
    except (ValueError, ValidationError):
        return _event_page(request, ctx, principal, event_id, errors=[t("ftp.error.form")])
    # Committed before the page is drawn, so the panel (its own query) lists the new login.
    try:
        with session_scope(ctx.sessions) as db:
            event = get_event_for(db, principal.user, event_id)
            created = service.to_created(
                service.create_credential(db, event, principal.user, data), ctx.settings
            )
    except ApiError as exc:
        if exc.status == 404:
            return render(
                request, "error.html", principal=principal, status_code=404, message=t("error.not_found")
            )
        return _event_page(request, ctx, principal, event_id, errors=[exc.message])
    setattr(request.state, NEW_CREDENTIAL, created)
    return _event_page(
        request, ctx, principal, event_id, flashes=[t("ftp.created", username=created.username)]
    )


@router.post("/events/{event_id}/ftp-credentials/{credential_id}/revoke")
def revoke_credential_form(
    event_id: uuid.UUID, credential_id: uuid.UUID, request: Request, ctx: Ctx, csrf_token: FormStr = ""
) -> Response:
    principal = page_principal(request, ctx)
    if principal is None:
        return redirect("/")
    if form_csrf_ok(csrf_token, principal, request):
        try:
            with session_scope(ctx.sessions) as db:
                service.revoke_credential(db, get_event_for(db, principal.user, event_id), credential_id)
        except ApiError as exc:
            return render(
                request, "error.html", principal=principal, status_code=exc.status, message=exc.message
            )
    return redirect(f"/events/{event_id}#ftp")
