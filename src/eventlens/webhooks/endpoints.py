"""/api/events/{id}/webhooks (an event's endpoints) and /api/webhooks (install-wide ones, admins)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from eventlens.auth.dependencies import CurrentUser
from eventlens.context import Ctx, DbSession
from eventlens.errors import Forbidden
from eventlens.events.dependencies import OwnedEvent
from eventlens.models import User
from eventlens.openapi import errors
from eventlens.webhooks import service
from eventlens.webhooks.schemas import DeliveryList, DeliveryRead, WebhookCreate, WebhookCreated, WebhookList

event_router = APIRouter(prefix="/api/events/{event_id}/webhooks", tags=["webhooks"])
admin_router = APIRouter(prefix="/api/webhooks", tags=["webhooks"])
Limit = Annotated[int, Query(ge=1, le=200)]


def _admin(user: CurrentUser) -> User:
    if not user.is_admin:
        raise Forbidden("Only an administrator manages install-wide webhooks.")
    return user


Admin = Annotated[User, Depends(_admin)]


# --- an event's endpoints ---------------------------------------------------------------------------


@event_router.get("", response_model=WebhookList, responses=errors(401, 403, 404, 422))
def list_event_webhooks(event: OwnedEvent, db: DbSession) -> WebhookList:
    """The event's webhook endpoints (never their secrets)."""
    return WebhookList(items=service.list_endpoints(db, event))


@event_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=WebhookCreated,
    responses=errors(400, 401, 403, 404, 409, 422),
)
def create_event_webhook(
    event: OwnedEvent, body: WebhookCreate, user: CurrentUser, db: DbSession, ctx: Ctx
) -> WebhookCreated:
    """A new endpoint for this event. The signing secret is in this answer only: keep it."""
    return service.create_endpoint(db, event, user, body, allow_private=ctx.site.webhook_allow_private)


# event_id stays a parameter below only so the API document lists the path's parameters in path order.
@event_router.delete(
    "/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(401, 403, 404, 422)
)
def delete_event_webhook(
    event_id: uuid.UUID, webhook_id: uuid.UUID, event: OwnedEvent, db: DbSession
) -> None:
    """Remove the endpoint and its delivery log."""
    service.delete_endpoint(db, event, webhook_id)


@event_router.get(
    "/{webhook_id}/deliveries", response_model=DeliveryList, responses=errors(401, 403, 404, 422)
)
def event_webhook_deliveries(
    event_id: uuid.UUID,
    webhook_id: uuid.UUID,
    event: OwnedEvent,
    db: DbSession,
    limit: Limit = 50,
    cursor: str | None = None,
) -> DeliveryList:
    """The delivery log, newest first: each notice with its tries (status code, error, duration)."""
    items, next_cursor = service.list_deliveries(db, event, webhook_id, limit=limit, cursor=cursor)
    return DeliveryList(items=items, next_cursor=next_cursor)


@event_router.post(
    "/{webhook_id}/test",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=DeliveryRead,
    responses=errors(401, 403, 404, 422),
)
def test_event_webhook(
    event_id: uuid.UUID, webhook_id: uuid.UUID, event: OwnedEvent, db: DbSession
) -> DeliveryRead:
    """Queue a `webhook.test` notice to the endpoint (also while the event is a draft)."""
    return service.send_test(db, event, webhook_id)


# --- install-wide endpoints (admins) ----------------------------------------------------------------


@admin_router.get("", response_model=WebhookList, responses=errors(401, 403, 422))
def list_install_webhooks(admin: Admin, db: DbSession) -> WebhookList:
    """The install-wide endpoints: they get the notices of every event."""
    return WebhookList(items=service.list_endpoints(db, None))


@admin_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=WebhookCreated,
    responses=errors(400, 401, 403, 409, 422),
)
def create_install_webhook(admin: Admin, body: WebhookCreate, db: DbSession, ctx: Ctx) -> WebhookCreated:
    """A new install-wide endpoint. The signing secret is in this answer only: keep it."""
    return service.create_endpoint(db, None, admin, body, allow_private=ctx.site.webhook_allow_private)


@admin_router.delete(
    "/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(401, 403, 404, 422)
)
def delete_install_webhook(webhook_id: uuid.UUID, admin: Admin, db: DbSession) -> None:
    """Remove the endpoint and its delivery log."""
    service.delete_endpoint(db, None, webhook_id)


@admin_router.get(
    "/{webhook_id}/deliveries", response_model=DeliveryList, responses=errors(401, 403, 404, 422)
)
def install_webhook_deliveries(
    webhook_id: uuid.UUID, admin: Admin, db: DbSession, limit: Limit = 50, cursor: str | None = None
) -> DeliveryList:
    """The delivery log, newest first: each notice with its tries."""
    items, next_cursor = service.list_deliveries(db, None, webhook_id, limit=limit, cursor=cursor)
    return DeliveryList(items=items, next_cursor=next_cursor)


@admin_router.post(
    "/{webhook_id}/test",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=DeliveryRead,
    responses=errors(401, 403, 404, 422),
)
def test_install_webhook(webhook_id: uuid.UUID, admin: Admin, db: DbSession) -> DeliveryRead:
    """Queue a `webhook.test` notice to the endpoint."""
    return service.send_test(db, None, webhook_id)
