"""/api/events/{id}/ftp-credentials: a photographer's camera logins for one event."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from eventlens.auth.dependencies import CurrentUser
from eventlens.context import Ctx, DbSession
from eventlens.events.dependencies import UploadEvent
from eventlens.ftp import service
from eventlens.ftp.schemas import CredentialCreate, CredentialCreated, CredentialList
from eventlens.openapi import errors

router = APIRouter(prefix="/api/events/{event_id}/ftp-credentials", tags=["ftp"])


@router.get("", response_model=CredentialList, responses=errors(401, 403, 404, 422))
def list_credentials(event: UploadEvent, user: CurrentUser, db: DbSession, ctx: Ctx) -> CredentialList:
    """The event's FTP logins that are not revoked (expired ones say so); never their passwords.
    The owner (or an admin) sees every login, a photographer member only their own."""
    rows = service.list_credentials(db, event, user)
    return CredentialList(items=[service.to_read(r, ctx.site) for r in rows])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=CredentialCreated,
    responses=errors(400, 401, 403, 404, 409, 422),
)
def create_credential(
    event: UploadEvent, user: CurrentUser, db: DbSession, ctx: Ctx, body: CredentialCreate | None = None
) -> CredentialCreated:
    """A new FTPS login for a camera. The password is in this answer only: write it down."""
    new = service.create_credential(db, event, user, body or CredentialCreate())
    return service.to_created(new, ctx.site)


@router.delete(
    "/{credential_id}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(401, 403, 404, 422)
)
# event_id stays a parameter here only so the API document lists the path's parameters in path order.
def revoke_credential(
    event_id: uuid.UUID, credential_id: uuid.UUID, event: UploadEvent, user: CurrentUser, db: DbSession
) -> None:
    """Revoke a login: every later login with it is refused (a session already open may finish).
    A photographer member revokes only their own logins."""
    service.revoke_credential(db, event, credential_id, user)
