"""People jobs: group an event's faces in full (its first grouping, or the photographer's regroup)."""

from __future__ import annotations

import uuid

from eventlens.context import AppContext
from eventlens.jobs.queue import job
from eventlens.people import service


@job(service.REGROUP_JOB, retries=3, retry_delay=5, retry_backoff=2.0)
def regroup(ctx: AppContext, event_id: str) -> None:
    threshold = service.threshold_of(ctx.faces)
    if threshold is not None:
        service.regroup(ctx.sessions, uuid.UUID(event_id), ctx.faces.engine_id, threshold)
