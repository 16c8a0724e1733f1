"""Request and response bodies for an event's members."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, EmailStr, Field

from eventlens.models import MemberRole


class MemberCreate(BaseModel):
    email: EmailStr = Field(description="E-mail address of an existing account")
    role: MemberRole = Field(description="`photographer` (uploads, own FTP logins) or `viewer` (read-only)")


class MemberRead(BaseModel):
    user_id: uuid.UUID
    email: str
    name: str
    role: MemberRole
    added_by_id: uuid.UUID | None = Field(description="Who added them (null: that account is gone)")
    created_at: datetime


class MemberList(BaseModel):
    items: list[MemberRead]
    next_cursor: str | None = None
