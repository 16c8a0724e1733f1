"""The event page's FTP forms: create a camera login (its password shown once), revoke one."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from eventlens.context import Ctx, DbSession
from eventlens.errors import ApiError
from eventlens.ftp import service
from eventlens.ftp.schemas import CredentialCreate
from eventlens.web.dependencies import PostedUploadForm
from eventlens.web.event_view import event_page_response
from eventlens.web.ftp_panel import NEW_CREDENTIAL
from eventlens.web.rendering import form_problem, redirect, t

router = APIRouter(include_in_schema=False)
FormStr = Annotated[str, Form()]


@router.post("/events/{event_id}/ftp-credentials")
def create_credential_form(
    request: Request,
    ctx: Ctx,
    db: DbSession,
    form: PostedUploadForm,
    label: FormStr = "",
    expires_in_hours: FormStr = "",
) -> Response:
    principal, event = form.principal, form.event

    def again(errors: list[str]) -> Response:
        return event_page_response(request, ctx, db, principal, event, errors=errors)

    if not form.csrf_ok:
        return again([t("auth.error.csrf")])
    try:
        hours = float(expires_in_hours) if expires_in_hours.strip() else None
        data = CredentialCreate(label=label, expires_in_hours=hours)
    except (ValueError, ValidationError):
        return again([t("ftp.error.form")])
    try:
        created = service.to_created(service.create_credential(db, event, principal.user, data), ctx.site)
    except ApiError as exc:
        return again(form_problem(db, exc)[1])
    # Same session: the panel below lists the new login; it is committed before the page is sent.
    setattr(request.state, NEW_CREDENTIAL, created)
    return event_page_response(
        request, ctx, db, principal, event, flashes=[t("ftp.created", username=created.username)]
    )


@router.post("/events/{event_id}/ftp-credentials/{credential_id}/revoke")
def revoke_credential_form(credential_id: uuid.UUID, db: DbSession, form: PostedUploadForm) -> Response:
    if form.csrf_ok:
        service.revoke_credential(db, form.event, credential_id, form.principal.user)
    return redirect(f"{form.page}#ftp")
