"""The event named in the path, when the caller may see it: its owner or an admin; 404 for anyone else.

Which one a route takes depends on who calls and on how long the request lasts:
- ``OwnedEvent``: API routes (session cookie or token); the event is in the request's session, so
  the route may change it.
- ``PageEvent``: pages (browser session; signed out: redirected to sign in); also the request's session.
- ``PageEventDetached``: read in a short transaction of its own, for a long request (the upload form
  receiving files) that must not keep the request's session open: on SQLite that would hold the
  write lock while the files arrive. The event is detached: read it, do not change it.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from eventlens.auth.dependencies import CurrentUser, PagePrincipal
from eventlens.context import Ctx, DbSession
from eventlens.db import session_scope
from eventlens.events import service
from eventlens.models import Event


def owned_event(event_id: uuid.UUID, user: CurrentUser, db: DbSession) -> Event:
    return service.get_event_for(db, user, event_id)


def page_event(event_id: uuid.UUID, principal: PagePrincipal, db: DbSession) -> Event:
    return service.get_event_for(db, principal.user, event_id)


def page_event_detached(event_id: uuid.UUID, principal: PagePrincipal, ctx: Ctx) -> Event:
    with session_scope(ctx.sessions) as db:
        return service.get_event_for(db, principal.user, event_id)


OwnedEvent = Annotated[Event, Depends(owned_event)]
PageEvent = Annotated[Event, Depends(page_event)]
PageEventDetached = Annotated[Event, Depends(page_event_detached)]
