"""Queries for events and their counts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, false, func, or_, select, true
from sqlalchemy.orm import Session

from eventlens.events.schemas import EventCounts, PhotoCounts
from eventlens.models import (
    Event,
    EventMember,
    Face,
    GuestDownload,
    GuestSearch,
    MailStatus,
    NotifyMail,
    NotifySubscription,
    Photo,
    PhotoStatus,
)


class EventRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def get(self, event_id: uuid.UUID) -> Event | None:
        return self.db.get(Event, event_id)

    def by_slug(self, slug: str) -> Event | None:
        return self.db.scalar(select(Event).where(Event.slug == slug))

    def slug_taken(self, slug: str, *, except_id: uuid.UUID | None = None) -> bool:
        q = select(Event.id).where(Event.slug == slug)
        if except_id is not None:
            q = q.where(Event.id != except_id)
        return self.db.scalar(q) is not None

    def add(self, event: Event) -> Event:
        self.db.add(event)
        self.db.flush()
        return event

    def page(
        self, user_id: uuid.UUID | None, *, limit: int, after: tuple[datetime, uuid.UUID] | None
    ) -> list[Event]:
        """Newest first: the events ``user_id`` owns or is a member of; ``user_id`` None lists everyone's
        (admins)."""
        q = select(Event)
        if user_id is not None:
            member_of = select(EventMember.event_id).where(EventMember.user_id == user_id)
            q = q.where(or_(Event.owner_id == user_id, Event.id.in_(member_of)))
        if after is not None:
            created, eid = after
            q = q.where(or_(Event.created_at < created, and_(Event.created_at == created, Event.id < eid)))
        return list(self.db.scalars(q.order_by(Event.created_at.desc(), Event.id.desc()).limit(limit)))

    def counts(self, event_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, EventCounts]:
        """Counts for several events in four grouped queries (no query per event)."""
        result = {eid: EventCounts(photos=PhotoCounts()) for eid in event_ids}
        if not event_ids:
            return result
        ids = list(event_ids)
        for eid, status, n in self.db.execute(
            select(Photo.event_id, Photo.status, func.count())
            .where(Photo.event_id.in_(ids))
            .group_by(Photo.event_id, Photo.status)
        ):
            setattr(result[eid].photos, status.value, n)
            result[eid].photos.total += n
        # Faces: the searchable ones, like each photo's face_count (the rest are too small or blurred).
        for model, attr, only in (
            (Face, "faces", Face.searchable == true()),
            (GuestSearch, "searches", true()),
            (NotifySubscription, "subscribers", true()),
            (NotifyMail, "notifications_sent", NotifyMail.status == MailStatus.sent),
        ):
            for eid, n in self.db.execute(
                select(model.event_id, func.count())
                .where(model.event_id.in_(ids), only)
                .group_by(model.event_id)
            ):
                setattr(result[eid], attr, n)
        for eid, n in self.db.execute(
            select(GuestDownload.event_id, func.coalesce(func.sum(GuestDownload.photo_count), 0))
            .where(GuestDownload.event_id.in_(ids))
            .group_by(GuestDownload.event_id)
        ):
            result[eid].downloads = int(n)
        return result

    def first_with_faces(self, event_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
        """Each event's automatic cover: its earliest-taken shown photo with a face (one query)."""
        if not event_ids:
            return {}
        rank = (
            func.row_number()
            .over(
                partition_by=Photo.event_id,
                order_by=(Photo.taken_at.is_(None), Photo.taken_at, Photo.created_at, Photo.id),
            )
            .label("rank")
        )
        ranked = (
            select(Photo.event_id, Photo.id, rank)
            .where(
                Photo.event_id.in_(list(event_ids)),
                Photo.status == PhotoStatus.indexed,
                Photo.hidden == false(),
                Photo.face_count > 0,
            )
            .subquery()
        )
        rows = self.db.execute(select(ranked.c.event_id, ranked.c.id).where(ranked.c.rank == 1))
        return {eid: pid for eid, pid in rows}

    def upload_times(self, event_id: uuid.UUID) -> list[datetime]:
        """When each of the event's photos arrived (the uploads chart)."""
        return list(self.db.scalars(select(Photo.created_at).where(Photo.event_id == event_id)))

    def photos_changed_since(self, event_id: uuid.UUID, since: datetime, *, limit: int) -> list[Photo]:
        """The event's photos whose row changed after ``since``, oldest change first."""
        return list(
            self.db.scalars(
                select(Photo)
                .where(Photo.event_id == event_id, Photo.updated_at > since)
                .order_by(Photo.updated_at)
                .limit(limit)
            )
        )

    def expired_ids(self, now: datetime) -> list[uuid.UUID]:
        """The events whose retention ran out before ``now``, oldest expiry first."""
        q = select(Event.id).where(Event.expires_at.is_not(None), Event.expires_at <= now)
        return list(self.db.scalars(q.order_by(Event.expires_at)))

    def delete(self, event: Event) -> None:
        self.db.delete(event)
        self.db.flush()
