"""GET /api/events/{id}/stream: an event's processing, live, as Server-Sent Events.

Once a second the stream asks ``events.progress`` what changed and sends the counts when they changed
and every photo whose row changed. Every database read runs in the thread pool, never on the event loop.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from sse_starlette.sse import EventSourceResponse, ServerSentEvent

from eventlens.auth.dependencies import CurrentUser
from eventlens.context import AppContext, Ctx
from eventlens.db import session_scope
from eventlens.events.dependencies import ViewEvent
from eventlens.events.progress import ProgressWatcher
from eventlens.models import Photo
from eventlens.openapi import content, errors

router = APIRouter(prefix="/api/events", tags=["events"])

POLL_SECONDS = 1.0


def _photo_event(photo: Photo) -> dict[str, object]:
    base = f"/api/photos/{photo.id}"
    return {
        "id": str(photo.id),
        "status": photo.status.value,
        "original_filename": photo.original_filename,
        "face_count": photo.face_count,
        "error": photo.error,
        "hidden": bool(photo.hidden),
        "created_at": photo.created_at.isoformat(),
        "taken_at": photo.taken_at.isoformat() if photo.taken_at else None,
        "thumbnail_url": f"{base}/thumbnail" if photo.has_preview else None,
        "preview_url": f"{base}/preview" if photo.has_preview else None,
    }


def _look(ctx: AppContext, watcher: ProgressWatcher) -> list[ServerSentEvent]:
    # A short transaction per look: an open page must not hold a session (or SQLite's lock) between looks.
    with session_scope(ctx.sessions) as db:
        counts, photos = watcher.look(db)
    out = [ServerSentEvent(json.dumps(_photo_event(p)), event="photo") for p in photos]
    return ([ServerSentEvent(counts, event="counts")] if counts is not None else []) + out


@router.get(
    "/{event_id}/stream",
    response_class=EventSourceResponse,
    responses=content(
        "text/event-stream", description="Server-Sent Events: `counts` and `photo`.", binary=False
    )
    | errors(401, 404, 422),
)
async def stream(request: Request, user: CurrentUser, event: ViewEvent, ctx: Ctx) -> EventSourceResponse:
    """`counts` events (photos by status, faces, searches, downloads) when they change, and a `photo`
    event for every photo that changed (status, face count, error, thumbnail)."""
    # ViewEvent answered 404 before the stream starts; its request session is closed before it runs.
    watcher = ProgressWatcher(user, event.id)

    async def events() -> AsyncIterator[ServerSentEvent]:
        while not await request.is_disconnected():
            try:
                batch = await run_in_threadpool(_look, ctx, watcher)
            except Exception:  # the event was deleted, or the database blinked: the page reconnects
                yield ServerSentEvent("{}", event="gone")
                return
            for item in batch:
                yield item
            await asyncio.sleep(POLL_SECONDS)

    return EventSourceResponse(events(), ping=15, headers={"Cache-Control": "no-store"})
