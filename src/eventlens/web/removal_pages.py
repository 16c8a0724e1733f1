"""The event page's "Removal requests" buttons: the photographer's decision about a request's photos."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response

from eventlens.context import DbSession
from eventlens.hiding import service
from eventlens.web.dependencies import PostedEventForm
from eventlens.web.rendering import redirect

router = APIRouter(include_in_schema=False)


@router.post("/events/{event_id}/removals/{request_id}/photos")
def decide_photos_form(
    request_id: uuid.UUID, db: DbSession, form: PostedEventForm, action: Annotated[str, Form()] = ""
) -> Response:
    if form.csrf_ok and action in ("hide", "keep"):
        service.decide_photos(db, form.event, request_id, "hide" if action == "hide" else "keep")
    return redirect(f"{form.page}#photos")
