"""Webhook endpoints (an event's, or install-wide for admins), their delivery log, and sending.

The same functions serve the API routes and the dashboard's forms. ``event`` None means the
install-wide endpoints, which only admins reach (the routes check that).
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from eventlens.db import session_scope, utcnow
from eventlens.errors import Conflict, Invalid, NotFound
from eventlens.models import DeliveryStatus, Event, User, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from eventlens.pagination import decode_cursor, encode_cursor
from eventlens.webhooks import sender
from eventlens.webhooks.addresses import UnsafeUrl, check_new_url
from eventlens.webhooks.publisher import event_ref, queue_delivery
from eventlens.webhooks.repository import WebhookRepository
from eventlens.webhooks.schemas import (
    TEST_TYPE,
    AttemptRead,
    DeliveryRead,
    WebhookCreate,
    WebhookCreated,
    WebhookRead,
)

log = logging.getLogger("eventlens.webhooks")

MAX_ENDPOINTS = 10  # per event, and install-wide: each notice costs one request per endpoint


@dataclass(frozen=True)
class DeliveryPolicy:
    """How tries go, from the install's settings (plain values)."""

    allow_private: bool
    retry_delays: tuple[float, ...]  # pause before each retry: one try more than pauses
    timeout: float


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _event_id(event: Event | None) -> uuid.UUID | None:
    return event.id if event is not None else None


def to_read(row: WebhookEndpoint) -> WebhookRead:
    return WebhookRead(
        id=row.id, event_id=row.event_id, url=row.url, events=list(row.event_types), created_at=row.created_at
    )


def list_endpoints(db: Session, event: Event | None) -> list[WebhookRead]:
    return [to_read(r) for r in WebhookRepository(db).endpoints(_event_id(event))]


def create_endpoint(
    db: Session, event: Event | None, creator: User, data: WebhookCreate, *, allow_private: bool
) -> WebhookCreated:
    """A new endpoint; its secret is in this answer only."""
    try:
        url = check_new_url(data.url, allow_private=allow_private)
    except UnsafeUrl as exc:
        raise Invalid(f"url: {exc}", field="url", code="webhook_url_refused") from exc
    repo = WebhookRepository(db)
    if repo.count(_event_id(event)) >= MAX_ENDPOINTS:
        raise Conflict(f"At most {MAX_ENDPOINTS} webhook endpoints: remove one first.", "too_many_webhooks")
    row = WebhookEndpoint(
        event_id=_event_id(event),
        created_by_id=creator.id,
        url=url,
        event_types=list(data.events),
        secret=new_secret(),
        created_at=utcnow(),
    )
    repo.add(row)
    log.info("webhook.created id=%s event=%s types=%s", row.id, row.event_id, ",".join(row.event_types))
    return WebhookCreated(**to_read(row).model_dump(), secret=row.secret)


def _endpoint(db: Session, event: Event | None, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    row = WebhookRepository(db).endpoint(endpoint_id, _event_id(event))
    if row is None:
        raise NotFound("webhook")
    return row


def delete_endpoint(db: Session, event: Event | None, endpoint_id: uuid.UUID) -> None:
    """Remove the endpoint with its delivery log; tries already queued find it gone and stop."""
    WebhookRepository(db).delete(_endpoint(db, event, endpoint_id))
    log.info("webhook.deleted id=%s", endpoint_id)


def send_test(db: Session, event: Event | None, endpoint_id: uuid.UUID) -> DeliveryRead:
    """Queue a ``webhook.test`` notice to the endpoint (also for a draft event, and whatever it subscribed to)."""
    endpoint = _endpoint(db, event, endpoint_id)
    data: dict[str, object] = {"message": "A test notice from EventLens.", "webhook_id": str(endpoint.id)}
    if event is not None:
        data["event"] = event_ref(event)
    delivery = queue_delivery(db, endpoint, TEST_TYPE, data)
    return _delivery_read(delivery, [])


def _delivery_read(row: WebhookDelivery, tries: list[WebhookAttempt]) -> DeliveryRead:
    return DeliveryRead(
        id=row.id,
        message_id=row.message_id,
        type=row.event_type,
        status=row.status,
        attempts=row.attempts,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        payload=row.payload,
        tries=[
            AttemptRead(
                attempt=t.attempt,
                at=t.at,
                status_code=t.status_code,
                error=t.error,
                duration_ms=t.duration_ms,
            )
            for t in tries
        ],
    )


def list_deliveries(
    db: Session, event: Event | None, endpoint_id: uuid.UUID, *, limit: int, cursor: str | None
) -> tuple[list[DeliveryRead], str | None]:
    """The endpoint's deliveries, newest first, each with its tries."""
    endpoint = _endpoint(db, event, endpoint_id)
    repo = WebhookRepository(db)
    rows = repo.deliveries(endpoint.id, limit=limit + 1, before=decode_cursor(cursor))
    more = len(rows) > limit
    rows = rows[:limit]
    tries = repo.attempts([r.id for r in rows])
    items = [_delivery_read(r, tries[r.id]) for r in rows]
    return items, (encode_cursor(rows[-1].created_at, rows[-1].id) if more and rows else None)


def body_of(delivery: WebhookDelivery) -> str:
    # The same bytes on every try: the signature covers them.
    return json.dumps(delivery.payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def deliver(sessions: sessionmaker[Session], delivery_id: uuid.UUID, policy: DeliveryPolicy) -> float | None:
    """Make one try of a pending delivery and record it; answers the pause before the next try, if any.

    No transaction is open while the endpoint is called (it may take ``policy.timeout``).
    """
    with session_scope(sessions) as db:
        repo = WebhookRepository(db)
        delivery = repo.delivery(delivery_id)
        endpoint = repo.endpoint_by_id(delivery.endpoint_id) if delivery is not None else None
        if delivery is None or endpoint is None or delivery.status != DeliveryStatus.pending:
            return None  # deleted with its endpoint, or already done (a duplicate job)
        url, secret, message_id, body = endpoint.url, endpoint.secret, delivery.message_id, body_of(delivery)
    result = sender.send(
        url, secret, message_id, body, allow_private=policy.allow_private, timeout=policy.timeout
    )
    with session_scope(sessions) as db:
        repo = WebhookRepository(db)
        delivery = repo.delivery(delivery_id)
        if delivery is None:
            return None
        delivery.attempts += 1
        repo.add(
            WebhookAttempt(
                delivery_id=delivery.id,
                attempt=delivery.attempts,
                at=utcnow(),
                status_code=result.status_code,
                error=result.error,
                duration_ms=result.duration_ms,
            )
        )
        pause: float | None = None
        if result.ok:
            delivery.status = DeliveryStatus.succeeded
            delivery.next_attempt_at = None
        elif delivery.attempts > len(policy.retry_delays):
            delivery.status = DeliveryStatus.failed
            delivery.next_attempt_at = None
        else:
            pause = policy.retry_delays[delivery.attempts - 1]
            delivery.next_attempt_at = utcnow() + timedelta(seconds=pause)
        attempts, status = delivery.attempts, delivery.status
    log.info(
        "webhook.try delivery=%s attempt=%d status=%s code=%s ms=%d error=%s",
        delivery_id,
        attempts,
        status.value,
        result.status_code,
        result.duration_ms,
        result.error,
    )
    return pause


OVERDUE_AFTER = timedelta(minutes=5)
SWEEP_BATCH = 500


def overdue_deliveries(sessions: sessionmaker[Session]) -> list[uuid.UUID]:
    """Deliveries whose try is over 5 minutes late: its job was lost (queue down when it was sent,
    worker killed mid-try). Their due time moves to now, so the next sweep leaves them to the new job."""
    now = utcnow()
    with session_scope(sessions) as db:
        repo = WebhookRepository(db)
        ids = repo.overdue(now - OVERDUE_AFTER, SWEEP_BATCH)
        for delivery_id in ids:
            row = repo.delivery(delivery_id)
            if row is not None:
                row.next_attempt_at = now
    return ids
