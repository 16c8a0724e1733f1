"""Bib jobs: read one photo; list an event's photos to read (when bib reading is turned on)."""

from __future__ import annotations

import uuid

from eventlens.bibs import service
from eventlens.bibs.reader import shared_reader
from eventlens.context import AppContext
from eventlens.jobs.queue import job


@job(service.READ_JOB, retries=3, retry_delay=5, retry_backoff=2.0)
def read_photo(ctx: AppContext, photo_id: str) -> None:
    service.read_photo(ctx, shared_reader(), uuid.UUID(photo_id))


@job(service.READ_EVENT_JOB, retries=3, retry_delay=5, retry_backoff=2.0)
def read_event(ctx: AppContext, event_id: str) -> None:
    service.queue_event_photos(ctx, uuid.UUID(event_id))
