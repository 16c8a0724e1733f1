"""Queries for webhook endpoints, deliveries and their tries."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from eventlens.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint


class WebhookRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def add(self, row: WebhookEndpoint | WebhookDelivery | WebhookAttempt) -> None:
        self.db.add(row)
        self.db.flush()

    def endpoint(self, endpoint_id: uuid.UUID, event_id: uuid.UUID | None) -> WebhookEndpoint | None:
        """The endpoint when it belongs to that event (``None``: an install-wide one)."""
        row = self.db.get(WebhookEndpoint, endpoint_id)
        return row if row is not None and row.event_id == event_id else None

    def endpoints(self, event_id: uuid.UUID | None) -> list[WebhookEndpoint]:
        owner = (
            WebhookEndpoint.event_id.is_(None) if event_id is None else WebhookEndpoint.event_id == event_id
        )
        q = select(WebhookEndpoint).where(owner).order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
        return list(self.db.scalars(q))

    def count(self, event_id: uuid.UUID | None) -> int:
        owner = (
            WebhookEndpoint.event_id.is_(None) if event_id is None else WebhookEndpoint.event_id == event_id
        )
        return int(self.db.scalar(select(func.count()).select_from(WebhookEndpoint).where(owner)) or 0)

    def listeners(self, event_id: uuid.UUID) -> list[WebhookEndpoint]:
        """The event's own endpoints and the install-wide ones."""
        q = select(WebhookEndpoint).where(
            or_(WebhookEndpoint.event_id == event_id, WebhookEndpoint.event_id.is_(None))
        )
        return list(self.db.scalars(q))

    def delete(self, row: WebhookEndpoint) -> None:
        self.db.delete(row)
        self.db.flush()

    def delivery(self, delivery_id: uuid.UUID) -> WebhookDelivery | None:
        return self.db.get(WebhookDelivery, delivery_id)

    def overdue(self, due_before: datetime, limit: int) -> list[uuid.UUID]:
        """Pending deliveries whose next try should have started before ``due_before``."""
        q = (
            select(WebhookDelivery.id)
            .where(
                WebhookDelivery.status == DeliveryStatus.pending,
                WebhookDelivery.next_attempt_at < due_before,
            )
            .order_by(WebhookDelivery.next_attempt_at)
            .limit(limit)
        )
        return list(self.db.scalars(q))

    def endpoint_by_id(self, endpoint_id: uuid.UUID) -> WebhookEndpoint | None:
        return self.db.get(WebhookEndpoint, endpoint_id)

    def deliveries(
        self, endpoint_id: uuid.UUID, *, limit: int, before: tuple[datetime, uuid.UUID] | None
    ) -> list[WebhookDelivery]:
        """Newest first."""
        q = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
        if before is not None:
            created, did = before
            q = q.where(
                or_(
                    WebhookDelivery.created_at < created,
                    and_(WebhookDelivery.created_at == created, WebhookDelivery.id < did),
                )
            )
        q = q.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc()).limit(limit)
        return list(self.db.scalars(q))

    def attempts(self, delivery_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[WebhookAttempt]]:
        found: dict[uuid.UUID, list[WebhookAttempt]] = {d: [] for d in delivery_ids}
        if not delivery_ids:
            return found
        q = (
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id.in_(delivery_ids))
            .order_by(WebhookAttempt.attempt)
        )
        for row in self.db.scalars(q):
            found[row.delivery_id].append(row)
        return found
