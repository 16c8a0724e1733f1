"""Photo jobs (dotted names, sent only after the upload's transaction commits)."""

from __future__ import annotations

import uuid

from eventlens.context import AppContext
from eventlens.jobs.queue import job
from eventlens.photos import processing


@job("photos.process", retries=5, retry_delay=2, retry_backoff=2.0)
def process_photo(ctx: AppContext, photo_id: str) -> None:
    processing.process(ctx, uuid.UUID(photo_id))


@job("photos.sweep", retries=0, every_minute=True)
def sweep_photos(ctx: AppContext) -> None:
    processing.sweep(ctx)
