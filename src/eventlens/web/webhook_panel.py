"""What the event page's Webhooks section shows: the endpoints, each one's recent deliveries, a new secret."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import Request

from eventlens.models import Event
from eventlens.webhooks import service
from eventlens.webhooks.schemas import EVENT_TYPES

if TYPE_CHECKING:  # pages pass the request's session on; they run no SQL
    from sqlalchemy.orm import Session

NEW_WEBHOOK = "new_webhook"  # request.state key: the endpoint just made, with its secret (shown once)
RECENT = 10  # deliveries shown per endpoint; the API pages through the rest


def panel_context(request: Request, db: Session, event: Event) -> dict[str, Any]:
    endpoints = service.list_endpoints(db, event)
    return {
        "types": EVENT_TYPES,
        "endpoints": [
            {
                "hook": hook,
                "deliveries": service.list_deliveries(db, event, hook.id, limit=RECENT, cursor=None)[0],
            }
            for hook in endpoints
        ],
        "full": len(endpoints) >= service.MAX_ENDPOINTS,
        "new": getattr(request.state, NEW_WEBHOOK, None),
    }
