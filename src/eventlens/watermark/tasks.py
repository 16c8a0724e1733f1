"""Watermark jobs: remove the renditions an event's settings change made stale."""

from __future__ import annotations

import uuid

from eventlens.context import AppContext
from eventlens.db import session_scope
from eventlens.jobs.queue import job
from eventlens.watermark import service
from eventlens.watermark.jobs import FORGET_STALE_JOB


@job(FORGET_STALE_JOB, retries=3, retry_delay=30, retry_backoff=2.0)
def forget_stale(ctx: AppContext, event_id: str) -> None:
    with session_scope(ctx.read_sessions) as db:
        keep = service.current_fingerprint(db, uuid.UUID(event_id))
    removed = service.forget_stale(ctx.storage, uuid.UUID(event_id), keep)
    service.log.info("watermark.forgot_stale event=%s objects=%d", event_id, removed)
