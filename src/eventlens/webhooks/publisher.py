"""The one way a notice leaves EventLens: ``publish(db, event, type, data)`` where the service knows it.

It writes one delivery per subscribed endpoint (the event's own and the install-wide ones) in the
caller's transaction, and queues their sending for after the commit: a rolled-back change sends
nothing, and a committed one is in the delivery log even when the queue is down.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy.orm import Session

from eventlens.db import utcnow
from eventlens.jobs.after_commit import enqueue_after_commit
from eventlens.models import Event, EventStatus, WebhookDelivery, WebhookEndpoint
from eventlens.webhooks.repository import WebhookRepository

log = logging.getLogger("eventlens.webhooks")

DELIVER_JOB = "webhooks.deliver"
# Notices about a draft's contents would tell integrators about photos nobody may see yet.
PUBLISHED_ONLY = frozenset({"photo.indexed", "photo.failed", "guest.search"})


def event_ref(event: Event) -> dict[str, Any]:
    return {"id": str(event.id), "slug": event.slug, "name": event.name, "status": event.status.value}


def queue_delivery(
    db: Session, endpoint: WebhookEndpoint, event_type: str, data: dict[str, Any]
) -> WebhookDelivery:
    """A delivery of one notice to one endpoint, sent after the commit."""
    now = utcnow()
    delivery = WebhookDelivery(
        endpoint_id=endpoint.id,
        message_id=f"msg_{uuid.uuid4().hex}",
        event_type=event_type,
        payload={"type": event_type, "timestamp": now.isoformat().replace("+00:00", "Z"), "data": data},
        attempts=0,
        created_at=now,
        next_attempt_at=now,
    )
    WebhookRepository(db).add(delivery)
    enqueue_after_commit(db, DELIVER_JOB, str(delivery.id))
    return delivery


def publish(db: Session, event: Event, event_type: str, data: dict[str, Any]) -> int:
    """Queue ``event_type`` with ``data`` (plus the event's reference) to every subscribed endpoint.

    Answers how many deliveries were queued. Photo and guest notices go out for published events only.
    """
    if event_type in PUBLISHED_ONLY and event.status != EventStatus.published:
        return 0
    queued = 0
    for endpoint in WebhookRepository(db).listeners(event.id):
        if event_type in endpoint.event_types:
            queue_delivery(db, endpoint, event_type, {"event": event_ref(event), **data})
            queued += 1
    if queued:
        log.info("webhook.published type=%s event=%s deliveries=%d", event_type, event.id, queued)
    return queued
