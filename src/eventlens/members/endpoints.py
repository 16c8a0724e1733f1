"""/api/events/{id}/members: who besides its owner works on an event, and with what role."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from eventlens.auth.dependencies import CurrentUser
from eventlens.context import Ctx, DbSession
from eventlens.events.dependencies import OwnedEvent, ViewEvent
from eventlens.members import service
from eventlens.members.schemas import MemberCreate, MemberList, MemberRead
from eventlens.openapi import errors

router = APIRouter(prefix="/api/events/{event_id}/members", tags=["members"])


@router.get("", response_model=MemberList, responses=errors(401, 404, 422))
def list_members(event: ViewEvent, db: DbSession) -> MemberList:
    """The event's members (not its owner, who is the event's `owner_id`), in the order they were added."""
    return MemberList(items=service.list_members(db, event))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=MemberRead,
    responses=errors(400, 401, 403, 404, 409, 422, 429),
)
def add_member(
    event: OwnedEvent, user: CurrentUser, body: MemberCreate, db: DbSession, ctx: Ctx
) -> MemberRead:
    """Add an existing account by its e-mail as `photographer` or `viewer`. 422 `unknown_account` when
    no account has that address; 409 `already_member` / `already_owner`. Rate limited per account."""
    return service.add_member(db, ctx.limiter, ctx.site.login_rate_limit, event, user, body)


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(401, 403, 404, 422))
# event_id stays a parameter here only so the API document lists the path's parameters in path order.
def remove_member(event_id: uuid.UUID, user_id: uuid.UUID, event: OwnedEvent, db: DbSession) -> None:
    """Remove a member; every FTP login they made for the event is revoked with them."""
    service.remove_member(db, event, user_id)
