"""Bodies of the webhook routes, and the notices they send."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from eventlens.models import DeliveryStatus
from eventlens.webhooks.addresses import MAX_URL_LENGTH

EventType = Literal["photo.indexed", "photo.failed", "event.published", "event.archived", "guest.search"]
EVENT_TYPES: tuple[str, ...] = EventType.__args__  # type: ignore[attr-defined]
TEST_TYPE = "webhook.test"  # sent by "Send test event", whatever the endpoint subscribed to


class WebhookCreate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    url: str = Field(min_length=1, max_length=MAX_URL_LENGTH, description="http(s) URL that receives POSTs")
    events: list[EventType] = Field(min_length=1, description="The notices to send to it")

    @field_validator("events")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


class WebhookRead(BaseModel):
    id: uuid.UUID
    event_id: uuid.UUID | None = Field(description="null: install-wide (every event)")
    url: str
    events: list[str]
    created_at: datetime


class WebhookCreated(WebhookRead):
    secret: str = Field(description="Standard Webhooks signing secret (`whsec_...`); shown once")


class WebhookList(BaseModel):
    items: list[WebhookRead]
    next_cursor: str | None = None


class AttemptRead(BaseModel):
    attempt: int = Field(description="1 for the first try")
    at: datetime
    status_code: int | None = Field(description="The endpoint's HTTP status; null when it did not answer")
    error: str | None
    duration_ms: int


class DeliveryRead(BaseModel):
    id: uuid.UUID
    message_id: str = Field(description="The `webhook-id` header: the same on every try")
    type: str
    status: DeliveryStatus
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    payload: dict[str, Any]
    tries: list[AttemptRead]


class DeliveryList(BaseModel):
    items: list[DeliveryRead]
    next_cursor: str | None = None
