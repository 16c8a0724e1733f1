"""The event named in the path, when the caller may take the route's action on it (``events/permissions``).

One dependency per action and door, so a route says what it does by the type it takes:

| action | API routes (401/403/404 in JSON) | pages (signed out: redirect to sign in) |
|---|---|---|
| view   | ``ViewEvent``                    | ``PageViewEvent`` |
| upload | ``UploadEvent``                  | ``PageUploadEvent``, ``PageUploadEventDetached`` |
| manage | ``ManagedEvent`` = ``OwnedEvent`` | ``PageEvent`` (forms: ``web.dependencies.PostedEventForm``) |

A name without an action (``OwnedEvent``, ``PageEvent``) means ``manage``: owner or admin only, so a
route written before roles existed lets no member in. Strangers get 404, members whose role does not
allow the action 403.

API and page events live in the request's session, so the route may change them. ``...Detached`` is
read in a short transaction of its own, for a long request (the upload form receiving files) that must
not keep the request's session open (on SQLite that would hold the write lock while the files arrive):
read it, do not change it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends

from eventlens.auth.dependencies import CurrentUser, PagePrincipal
from eventlens.context import Ctx, DbSession
from eventlens.db import session_scope
from eventlens.events import service
from eventlens.events.permissions import Action
from eventlens.models import Event


def api_event(action: Action) -> Callable[..., Event]:
    def event_for(event_id: uuid.UUID, user: CurrentUser, db: DbSession) -> Event:
        return service.get_event_for(db, user, event_id, action)

    event_for.__name__ = f"{action.value}_event"
    return event_for


def page_event(action: Action) -> Callable[..., Event]:
    def event_for(event_id: uuid.UUID, principal: PagePrincipal, db: DbSession) -> Event:
        return service.get_event_for(db, principal.user, event_id, action)

    event_for.__name__ = f"page_{action.value}_event"
    return event_for


def page_event_detached(event_id: uuid.UUID, principal: PagePrincipal, ctx: Ctx) -> Event:
    with session_scope(ctx.sessions) as db:
        return service.get_event_for(db, principal.user, event_id, Action.upload)


ViewEvent = Annotated[Event, Depends(api_event(Action.view))]
UploadEvent = Annotated[Event, Depends(api_event(Action.upload))]
ManagedEvent = Annotated[Event, Depends(api_event(Action.manage))]
OwnedEvent = ManagedEvent  # the name routes used before roles: "may manage"

PageViewEvent = Annotated[Event, Depends(page_event(Action.view))]
PageUploadEvent = Annotated[Event, Depends(page_event(Action.upload))]
PageEvent = Annotated[Event, Depends(page_event(Action.manage))]
PageUploadEventDetached = Annotated[Event, Depends(page_event_detached)]
