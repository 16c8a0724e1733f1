"""GET /api/public/events/{slug}/live: the venue screen's stream of newly indexed photos (Server-Sent Events).

Opened like the guest page: a published event, and its access code (header) or a guest pass (``?t=``,
since a browser's EventSource cannot send headers). Access is checked before the stream starts, so a
wrong pass is a plain 403, not a stream.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from sse_starlette.sse import EventSourceResponse, ServerSentEvent

from eventlens.context import Ctx
from eventlens.guests.dependencies import Guests
from eventlens.guests.live_feed import LiveFeed, LiveLook
from eventlens.openapi import content, errors

router = APIRouter(prefix="/api/public/events", tags=["guests"])

POLL_SECONDS = 1.0
AccessCode = Annotated[str | None, Header(alias="X-Access-Code")]
GuestPass = Annotated[str | None, Query(alias="t", description="Guest pass (POST /access answers one)")]
FacesOnly = Annotated[bool, Query(alias="faces", description="Only photos with at least one face")]


def _events(look: LiveLook) -> list[ServerSentEvent]:
    out = [
        ServerSentEvent(json.dumps(dataclasses.asdict(p) | {"id": str(p.id)}), event="photo")
        for p in look.shown
    ]
    out += [ServerSentEvent(json.dumps({"id": str(i)}), event="drop") for i in look.dropped]
    return out


@router.get(
    "/{slug}/live",
    response_class=EventSourceResponse,
    responses=content(
        "text/event-stream", description="Server-Sent Events: `photo`, `drop` and `gone`.", binary=False
    )
    | errors(403, 404, 422),
)
async def live(
    slug: str,
    request: Request,
    guests: Guests,
    ctx: Ctx,
    code: AccessCode = None,
    t: GuestPass = None,
    faces_only: FacesOnly = False,
) -> EventSourceResponse:
    """The live screen's feed: first the latest photos, then a `photo` event (id, preview URL with a
    guest pass, size, face count) for each photo as it is indexed, a `drop` event for a photo guests
    may no longer see (hidden by the photographer), and `gone` when the event is unpublished."""
    event = await run_in_threadpool(guests.open, slug, code=code, guest_pass=t)
    feed = LiveFeed(
        ctx.read_sessions, event_id=event.id, slug=slug, secret=guests.secret, faces_only=faces_only
    )
    viewers = ctx.live_viewers

    async def stream() -> AsyncIterator[ServerSentEvent]:
        viewers.opened(event.id)
        try:
            while not await request.is_disconnected():
                try:
                    look = await run_in_threadpool(feed.look)
                except Exception:  # the database blinked: the screen reconnects by itself
                    return
                if look.gone:
                    yield ServerSentEvent("{}", event="gone")
                    return
                for item in _events(look):
                    yield item
                await asyncio.sleep(POLL_SECONDS)
        finally:
            viewers.closed(event.id)

    return EventSourceResponse(stream(), ping=15, headers={"Cache-Control": "no-store"})
