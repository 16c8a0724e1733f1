"""An event's members: list, invite an existing account by e-mail, remove (with their FTP logins).

Who may call these is the routes' business (``events/permissions``: view to list, manage to change).
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from eventlens.auth.repository import UserRepository
from eventlens.errors import Conflict, Invalid, NotFound
from eventlens.ftp.service import revoke_all_by
from eventlens.members.repository import MemberRepository
from eventlens.members.schemas import MemberCreate, MemberRead
from eventlens.models import Event, EventMember, User
from eventlens.ratelimit import RateLimiter

log = logging.getLogger("eventlens.members")

INVITE_KEY = "member-invite"


def to_read(member: EventMember, user: User) -> MemberRead:
    return MemberRead(
        user_id=user.id,
        email=user.email,
        name=user.name,
        role=member.role,
        added_by_id=member.added_by_id,
        created_at=member.created_at,
    )


def list_members(db: Session, event: Event) -> list[MemberRead]:
    return [to_read(m, u) for m, u in MemberRepository(db).of_event(event.id)]


def add_member(
    db: Session, limiter: RateLimiter, limit: str, event: Event, by: User, data: MemberCreate
) -> MemberRead:
    """Make the account with that e-mail a member of the event with that role.

    An unknown address counts against ``limit`` per inviting account, and past it every invitation is
    refused (429) for a while: the answer tells whether an address has an account, so guessing
    addresses in bulk is held back, while adding a team of known accounts is not.
    """
    if not limiter.test(limit, INVITE_KEY, str(by.id)):
        limiter.hit(limit, INVITE_KEY, str(by.id))  # over the limit: raises 429 with Retry-After
    user = UserRepository(db).by_email(str(data.email).strip())
    if user is None or user.disabled_at is not None:
        limiter.count(limit, INVITE_KEY, str(by.id))
        raise Invalid(
            "No account uses that e-mail address: ask them to sign up first, then add them.",
            field="email",
            code="unknown_account",
        )
    if user.id == event.owner_id:
        raise Conflict("That account owns the event already.", "already_owner")
    repo = MemberRepository(db)
    if repo.get(event.id, user.id) is not None:
        raise Conflict("That account is a member of the event already.", "already_member")
    member = EventMember(event_id=event.id, user_id=user.id, role=data.role, added_by_id=by.id)
    try:
        with db.begin_nested():
            repo.add(member)
    except IntegrityError as exc:  # the same invitation sent twice at once: the other one won
        raise Conflict("That account is a member of the event already.", "already_member") from exc
    log.info("member.added event=%s user=%s role=%s by=%s", event.id, user.id, data.role.value, by.id)
    return to_read(member, user)


def remove_member(db: Session, event: Event, user_id: uuid.UUID) -> None:
    """Remove the member and revoke every FTP login they made for the event (their cameras stop)."""
    repo = MemberRepository(db)
    member = repo.get(event.id, user_id)
    if member is None:
        raise NotFound("member")
    repo.delete(member)
    revoked = revoke_all_by(db, event.id, user_id)
    log.info("member.removed event=%s user=%s ftp_logins_revoked=%d", event.id, user_id, revoked)
