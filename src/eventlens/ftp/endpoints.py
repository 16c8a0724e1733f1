"""/api/events/{id}/ftp-credentials: a photographer's camera logins for one event."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from eventlens.auth.dependencies import CurrentUser
from eventlens.context import Ctx, DbSession
from eventlens.events.service import get_event_for
from eventlens.ftp import service
from eventlens.ftp.schemas import CredentialCreate, CredentialCreated, CredentialList

router = APIRouter(prefix="/api/events/{event_id}/ftp-credentials", tags=["ftp"])


@router.get("", response_model=CredentialList)
def list_credentials(event_id: uuid.UUID, user: CurrentUser, db: DbSession, ctx: Ctx) -> CredentialList:
    """The event's FTP logins that are not revoked (expired ones say so); never their passwords."""
    event = get_event_for(db, user, event_id)
    rows = service.list_credentials(db, event)
    return CredentialList(items=[service.to_read(r, ctx.settings) for r in rows])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CredentialCreated)
def create_credential(
    event_id: uuid.UUID, user: CurrentUser, db: DbSession, ctx: Ctx, body: CredentialCreate | None = None
) -> CredentialCreated:
    """A new FTPS login for a camera. The password is in this answer only: write it down."""
    event = get_event_for(db, user, event_id)
    new = service.create_credential(db, event, user, body or CredentialCreate())
    return service.to_created(new, ctx.settings)


@router.delete("/{credential_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_credential(
    event_id: uuid.UUID, credential_id: uuid.UUID, user: CurrentUser, db: DbSession
) -> None:
    """Revoke a login: every later login with it is refused (a session already open may finish)."""
    service.revoke_credential(db, get_event_for(db, user, event_id), credential_id)
