"""GET /api/events/{id}/stream: an event's processing, live, as Server-Sent Events.

Workers may run in other processes or on other machines, so the stream reads the database: once a
second it sends the counts when they changed, and every photo whose row changed since the last look.
That costs a few indexed queries per open page per second and needs no message bus.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select
from sse_starlette.sse import EventSourceResponse, ServerSentEvent

from eventlens.auth.dependencies import CurrentUser
from eventlens.context import AppContext, Ctx
from eventlens.db import session_scope, utcnow
from eventlens.events import service
from eventlens.events.repository import EventRepository
from eventlens.models import Photo, User

router = APIRouter(prefix="/api/events", tags=["events"])

POLL_SECONDS = 1.0
# Rows are re-read over this window so a change committed a moment late (clock skew between
# machines, a long transaction) is not skipped; what was already sent is filtered out.
OVERLAP = timedelta(seconds=5)
PHOTOS_PER_TICK = 500


def _photo_event(photo: Photo) -> dict[str, object]:
    base = f"/api/photos/{photo.id}"
    return {
        "id": str(photo.id),
        "status": photo.status.value,
        "original_filename": photo.original_filename,
        "face_count": photo.face_count,
        "error": photo.error,
        "thumbnail_url": f"{base}/thumbnail" if photo.has_preview else None,
        "preview_url": f"{base}/preview" if photo.has_preview else None,
    }


class _Watcher:
    """What one open page has been sent so far."""

    def __init__(self, ctx: AppContext, user: User, event_id: uuid.UUID) -> None:
        self.ctx, self.user, self.event_id = ctx, user, event_id
        self.counts: str | None = None
        self.since: datetime = utcnow() - OVERLAP
        self.sent: dict[uuid.UUID, tuple[str, datetime]] = {}

    def tick(self) -> list[ServerSentEvent]:
        out: list[ServerSentEvent] = []
        with session_scope(self.ctx.sessions) as db:
            service.get_event_for(db, self.user, self.event_id)  # deleted meanwhile: ends the stream
            counts = EventRepository(db).counts([self.event_id])[self.event_id].model_dump_json()
            rows = db.scalars(
                select(Photo)
                .where(Photo.event_id == self.event_id, Photo.updated_at > self.since - OVERLAP)
                .order_by(Photo.updated_at)
                .limit(PHOTOS_PER_TICK)
            ).all()
            for photo in rows:
                stamp = (photo.status.value, photo.updated_at)
                if self.sent.get(photo.id) != stamp:
                    self.sent[photo.id] = stamp
                    out.append(ServerSentEvent(json.dumps(_photo_event(photo)), event="photo"))
            if rows:
                self.since = max(self.since, rows[-1].updated_at)
        # Forget what fell out of the window: memory stays bounded on a long-open page.
        horizon = self.since - OVERLAP
        self.sent = {k: v for k, v in self.sent.items() if v[1] >= horizon}
        if counts != self.counts:
            self.counts = counts
            out.insert(0, ServerSentEvent(counts, event="counts"))
        return out


@router.get("/{event_id}/stream", response_class=EventSourceResponse)
async def stream(event_id: uuid.UUID, request: Request, user: CurrentUser, ctx: Ctx) -> EventSourceResponse:
    """`counts` events (photos by status, faces, searches, downloads) when they change, and a `photo`
    event for every photo that changed (status, face count, error, thumbnail)."""
    with session_scope(ctx.sessions) as db:
        service.get_event_for(db, user, event_id)  # 404 before the stream starts
    watcher = _Watcher(ctx, user, event_id)

    async def events() -> AsyncIterator[ServerSentEvent]:
        while not await request.is_disconnected():
            try:
                batch = await run_in_threadpool(watcher.tick)
            except Exception:  # the event was deleted, or the database blinked: the page reconnects
                yield ServerSentEvent("{}", event="gone")
                return
            for item in batch:
                yield item
            await asyncio.sleep(POLL_SECONDS)

    return EventSourceResponse(events(), ping=15, headers={"Cache-Control": "no-store"})
