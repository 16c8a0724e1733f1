"""What a form posted from an event's page carries: who sent it, the event, whether its token is right.

``PostedEventForm`` is for forms that manage the event (owner or admin); ``PostedUploadForm`` for those a
photographer member may send too (their FTP logins). Who may do what: ``events/permissions``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Form, Request

from eventlens.auth.dependencies import PagePrincipal, Principal
from eventlens.events.dependencies import PageEvent, PageUploadEvent
from eventlens.models import Event
from eventlens.web.rendering import form_csrf_ok


@dataclass
class EventForm:
    principal: Principal
    event: Event
    csrf_ok: bool  # a failed check is not an error page: each form answers it its own way

    @property
    def page(self) -> str:
        return f"/events/{self.event.id}"


def event_form(
    request: Request, principal: PagePrincipal, event: PageEvent, csrf_token: Annotated[str, Form()] = ""
) -> EventForm:
    return EventForm(principal, event, form_csrf_ok(csrf_token, principal, request))


def upload_form(
    request: Request,
    principal: PagePrincipal,
    event: PageUploadEvent,
    csrf_token: Annotated[str, Form()] = "",
) -> EventForm:
    return EventForm(principal, event, form_csrf_ok(csrf_token, principal, request))


PostedEventForm = Annotated[EventForm, Depends(event_form)]
PostedUploadForm = Annotated[EventForm, Depends(upload_form)]
