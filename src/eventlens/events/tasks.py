"""Event jobs: the hourly retention purge."""

from __future__ import annotations

from eventlens import metrics
from eventlens.context import AppContext
from eventlens.db import utcnow
from eventlens.events import service
from eventlens.jobs.queue import job


@job("events.retention", retries=0, every_hour=True)
def purge_expired_events(ctx: AppContext) -> None:
    """Delete the events whose ``expires_at`` has passed, with their photos, faces, objects and logins."""
    for event_id, photos in service.purge_expired(ctx.sessions, ctx.storage, utcnow()):
        # Only this process's index can be dropped here; an API process elsewhere finds the event gone
        # (404) and its index is evicted as the least recently used.
        ctx.faces.forget(event_id)
        metrics.EVENTS_EXPIRED.inc()
        metrics.EXPIRED_PHOTOS.inc(photos)
