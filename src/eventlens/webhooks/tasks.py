"""Webhook jobs: one try per job; a failed try queues the next after its pause (the retry schedule)."""

from __future__ import annotations

import logging
import uuid

from eventlens.context import AppContext
from eventlens.jobs.queue import job
from eventlens.webhooks import service
from eventlens.webhooks.publisher import DELIVER_JOB

log = logging.getLogger("eventlens.webhooks")


# retries=0: the schedule is ours (settings), and each try is recorded before the next is queued.
@job(DELIVER_JOB, retries=0)
def deliver(ctx: AppContext, delivery_id: str) -> None:
    site = ctx.site
    policy = service.DeliveryPolicy(
        allow_private=site.webhook_allow_private,
        retry_delays=site.webhook_retry_delays,
        timeout=site.webhook_timeout_seconds,
    )
    pause = service.deliver(ctx.sessions, uuid.UUID(delivery_id), policy)
    if pause is not None:
        ctx.queue.enqueue(DELIVER_JOB, delivery_id, delay=max(pause, 0.001))


@job("webhooks.sweep", retries=0, every_minute=True)
def sweep(ctx: AppContext) -> None:
    """Send again the deliveries whose job was lost; a try late by minutes may repeat (receivers drop
    repeats by ``webhook-id``), a lost one would never arrive."""
    ids = service.overdue_deliveries(ctx.sessions)
    for delivery_id in ids:
        ctx.queue.enqueue(DELIVER_JOB, str(delivery_id))
    if ids:
        log.info("webhooks.sweep requeued=%d", len(ids))
