"""Every query of the notify feature."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, false, or_, select
from sqlalchemy.orm import Session

from eventlens.models import (
    Event,
    EventStatus,
    Face,
    NotifyMail,
    NotifyMatch,
    NotifySubscription,
    Photo,
    PhotoStatus,
)


class NotifyRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def published_event(self, slug: str) -> Event | None:
        return self.db.scalars(
            select(Event).where(Event.slug == slug, Event.status == EventStatus.published)
        ).first()

    # --- subscriptions

    def replace_subscription(self, subscription: NotifySubscription) -> None:
        """Add it in place of the address's earlier subscription to the same event (if any)."""
        self.db.execute(
            delete(NotifySubscription).where(
                NotifySubscription.event_id == subscription.event_id,
                NotifySubscription.email == subscription.email,
            )
        )
        self.db.add(subscription)
        self.db.flush()

    def get(self, subscription_id: uuid.UUID, *, lock: bool = False) -> NotifySubscription | None:
        query = select(NotifySubscription).where(NotifySubscription.id == subscription_id)
        if lock:
            query = query.with_for_update()
        return self.db.scalars(query).first()

    def delete(self, subscription_id: uuid.UUID) -> int:
        result = self.db.execute(delete(NotifySubscription).where(NotifySubscription.id == subscription_id))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def delete_of_event(self, event_id: uuid.UUID) -> int:
        result = self.db.execute(delete(NotifySubscription).where(NotifySubscription.event_id == event_id))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def has_subscribers(self, event_id: uuid.UUID) -> bool:
        found = self.db.scalar(select(NotifySubscription.id).where(NotifySubscription.event_id == event_id))
        return found is not None

    def of_event(self, event_id: uuid.UUID, engine_id: str) -> list[NotifySubscription]:
        return list(
            self.db.scalars(
                select(NotifySubscription).where(
                    NotifySubscription.event_id == event_id, NotifySubscription.engine_id == engine_id
                )
            )
        )

    # --- matching

    def face_embeddings(self, photo_id: uuid.UUID, engine_id: str) -> list[bytes]:
        return list(
            self.db.scalars(
                select(Face.embedding).where(
                    Face.photo_id == photo_id,
                    Face.engine_id == engine_id,
                    Face.searchable.is_(True),
                    Face.hidden_by.is_(None),
                )
            )
        )

    def matched_subscriptions(self, photo_id: uuid.UUID) -> set[uuid.UUID]:
        return set(
            self.db.scalars(select(NotifyMatch.subscription_id).where(NotifyMatch.photo_id == photo_id))
        )

    def add_match(self, match: NotifyMatch) -> None:
        self.db.add(match)

    def unmailed(self, subscription_id: uuid.UUID) -> list[NotifyMatch]:
        return list(
            self.db.scalars(
                select(NotifyMatch)
                .where(NotifyMatch.subscription_id == subscription_id, NotifyMatch.mail_id.is_(None))
                .order_by(NotifyMatch.created_at)
            )
        )

    def due(self, sent_before: datetime) -> list[uuid.UUID]:
        """Subscriptions with unmailed matches whose last e-mail is older than ``sent_before``."""
        return list(
            self.db.scalars(
                select(NotifySubscription.id)
                .join(NotifyMatch, NotifyMatch.subscription_id == NotifySubscription.id)
                .where(
                    NotifyMatch.mail_id.is_(None),
                    or_(
                        NotifySubscription.last_sent_at.is_(None),
                        NotifySubscription.last_sent_at <= sent_before,
                    ),
                )
                .distinct()
            )
        )

    # --- mails

    def add_mail(self, mail: NotifyMail) -> None:
        self.db.add(mail)
        self.db.flush()

    def mail(self, mail_id: uuid.UUID) -> NotifyMail | None:
        return self.db.get(NotifyMail, mail_id)

    def mail_photos(self, mail_id: uuid.UUID) -> list[Photo]:
        """The mail's photos guests may still see (not deleted or hidden since), best match first."""
        return list(
            self.db.scalars(
                select(Photo)
                .join(NotifyMatch, NotifyMatch.photo_id == Photo.id)
                .where(
                    NotifyMatch.mail_id == mail_id,
                    Photo.status == PhotoStatus.indexed,
                    Photo.hidden == false(),
                )
                .order_by(NotifyMatch.similarity.desc())
            )
        )

    def photos(self, event_id: uuid.UUID, photo_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Photo]:
        if not photo_ids:
            return {}
        rows = self.db.scalars(
            select(Photo).where(
                Photo.event_id == event_id,
                Photo.id.in_(list(photo_ids)),
                Photo.status == PhotoStatus.indexed,
                Photo.hidden == false(),
            )
        )
        return {p.id: p for p in rows}
