"""Queries for event members."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventlens.models import EventMember, MemberRole, User


class MemberRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def role(self, event_id: uuid.UUID, user_id: uuid.UUID) -> MemberRole | None:
        return self.db.scalar(
            select(EventMember.role).where(EventMember.event_id == event_id, EventMember.user_id == user_id)
        )

    def get(self, event_id: uuid.UUID, user_id: uuid.UUID) -> EventMember | None:
        return self.db.scalar(
            select(EventMember).where(EventMember.event_id == event_id, EventMember.user_id == user_id)
        )

    def roles_of_user(self, user_id: uuid.UUID) -> dict[uuid.UUID, MemberRole]:
        rows = self.db.execute(
            select(EventMember.event_id, EventMember.role).where(EventMember.user_id == user_id)
        )
        return {eid: role for eid, role in rows}

    def roles_in(self, user_id: uuid.UUID, event_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, MemberRole]:
        if not event_ids:
            return {}
        rows = self.db.execute(
            select(EventMember.event_id, EventMember.role).where(
                EventMember.user_id == user_id, EventMember.event_id.in_(list(event_ids))
            )
        )
        return {eid: role for eid, role in rows}

    def of_event(self, event_id: uuid.UUID) -> list[tuple[EventMember, User]]:
        """The event's members with their accounts, in the order they were added."""
        rows = self.db.execute(
            select(EventMember, User)
            .join(User, User.id == EventMember.user_id)
            .where(EventMember.event_id == event_id)
            .order_by(EventMember.created_at, EventMember.id)
        )
        return [(m, u) for m, u in rows]

    def add(self, member: EventMember) -> EventMember:
        self.db.add(member)
        self.db.flush()
        return member

    def delete(self, member: EventMember) -> None:
        self.db.delete(member)
        self.db.flush()
