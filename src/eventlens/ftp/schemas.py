"""Bodies of the FTP credential routes and of the gateway's internal routes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

MAX_EXPIRY_HOURS = 24 * 366


class CredentialCreate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    label: str = Field("", max_length=100, description="A name for the camera or the second shooter")
    expires_at: datetime | None = Field(None, description="ISO 8601; without a zone it is taken as UTC")
    expires_in_hours: float | None = Field(
        None, gt=0, le=MAX_EXPIRY_HOURS, description="Instead of expires_at: valid this many hours"
    )

    @field_validator("expires_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    @model_validator(mode="after")
    def _one_expiry(self) -> CredentialCreate:
        if self.expires_at is not None and self.expires_in_hours is not None:
            raise ValueError("give expires_at or expires_in_hours, not both")
        return self


class CredentialRead(BaseModel):
    id: uuid.UUID
    event_id: uuid.UUID
    label: str
    username: str
    host: str = Field(description="Server name to enter in the camera")
    port: int = Field(description="Control port (explicit FTPS: AUTH TLS)")
    implicit_port: int | None = Field(None, description="Implicit FTPS port, when the server offers one")
    created_at: datetime
    expires_at: datetime | None
    last_login_at: datetime | None
    status: Literal["active", "expired"]
    created_by_id: uuid.UUID | None = Field(None, description="Who made the login (null: account deleted)")


class CredentialCreated(CredentialRead):
    password: str = Field(description="Shown once: only its hash is kept")


class CredentialList(BaseModel):
    items: list[CredentialRead]
    next_cursor: str | None = None


class GatewayLogin(BaseModel):
    """What the gateway asks: may this camera log in?"""

    username: str = Field(min_length=1, max_length=200)
    password: str = Field(max_length=1024)
    client_ip: str = Field(min_length=1, max_length=100)


class GatewayLoginResult(BaseModel):
    credential_id: uuid.UUID
    event_id: uuid.UUID
    event_slug: str
    event_name: str
