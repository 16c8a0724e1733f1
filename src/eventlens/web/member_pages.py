"""The event page's member forms (Share tab): add an account by e-mail with a role, remove a member."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from eventlens.context import Ctx, DbSession
from eventlens.errors import ApiError
from eventlens.members import service
from eventlens.members.schemas import MemberCreate
from eventlens.web.dependencies import PostedEventForm
from eventlens.web.event_view import event_page_response
from eventlens.web.rendering import form_problem, redirect, t

router = APIRouter(include_in_schema=False)
FormStr = Annotated[str, Form()]


@router.post("/events/{event_id}/members")
def add_member_form(
    request: Request, ctx: Ctx, db: DbSession, form: PostedEventForm, email: FormStr = "", role: FormStr = ""
) -> Response:
    principal, event = form.principal, form.event
    typed = {"email": email, "role": role}

    def again(errors: list[str], status_code: int) -> Response:
        return event_page_response(
            request,
            ctx,
            db,
            principal,
            event,
            errors=errors,
            status_code=status_code,
            member_form=typed,
            tab="share",
        )

    if not form.csrf_ok:
        return again([t("auth.error.csrf")], 403)
    try:
        data = MemberCreate.model_validate(typed)
    except ValidationError:
        return again([t("members.error.form")], 422)
    try:
        added = service.add_member(db, ctx.limiter, ctx.site.login_rate_limit, event, principal.user, data)
    except ApiError as exc:
        status_code, errors = form_problem(db, exc)
        return again(errors, status_code)
    return event_page_response(
        request,
        ctx,
        db,
        principal,
        event,
        flashes=[t("members.added", name=added.name, role=t(f"members.role.{added.role.value}"))],
        tab="share",
    )


@router.post("/events/{event_id}/members/{user_id}/remove")
def remove_member_form(user_id: uuid.UUID, db: DbSession, form: PostedEventForm) -> Response:
    if form.csrf_ok:
        service.remove_member(db, form.event, user_id)
    return redirect(f"{form.page}#share")
