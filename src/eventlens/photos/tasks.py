"""Photo jobs (dotted names, sent only after the upload's transaction commits)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from eventlens import metrics
from eventlens.context import AppContext
from eventlens.db import session_scope, utcnow
from eventlens.jobs.queue import job
from eventlens.photos import leftovers, processing
from eventlens.photos.repository import PhotoRepository


@job("photos.process", retries=5, retry_delay=2, retry_backoff=2.0)
def process_photo(ctx: AppContext, photo_id: str) -> None:
    processing.process(ctx, uuid.UUID(photo_id))


@job("photos.sweep", retries=0, every_minute=True, often=True)
def sweep_photos(ctx: AppContext) -> None:
    processing.sweep(ctx)


@job("photos.leftovers", retries=0, every_hour=True)
def sweep_leftovers(ctx: AppContext) -> None:
    def existing(ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
        with session_scope(ctx.read_sessions) as db:
            return PhotoRepository(db).existing_ids(list(ids))

    removed = leftovers.sweep(ctx.storage, existing, data_dir=ctx.site.data_dir, now=utcnow())
    metrics.LEFTOVERS.inc(removed.total)
