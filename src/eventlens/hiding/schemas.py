from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from eventlens.models import PhotoDecision


class RemovalRead(BaseModel):
    """What a guest's removal did (201)."""

    id: uuid.UUID
    faces_hidden: int = Field(description="The guest's faces hidden from the event's search now")
    photos_affected: int = Field(
        description="Photos those faces are in (the photographer decides about them)"
    )
    confirmed_at: datetime = Field(description="When the guest confirmed (kept with the request)")
    selfies_used: int
    skipped_selfies: list[int] = Field(description="Positions of the selfies without a usable face")


class RemovalPhoto(BaseModel):
    id: uuid.UUID
    thumbnail_url: str


class RemovalRequestRead(BaseModel):
    """A guest's removal request as the photographer sees it (no face, no embedding)."""

    id: uuid.UUID
    created_at: datetime
    confirmed_at: datetime | None
    faces_hidden: int = Field(description="The guest's faces hidden from search (new photos included)")
    photo_count: int = Field(description="Photos with a hidden face of the guest")
    photos: list[RemovalPhoto] = Field(description="Those photos, oldest upload first")
    photo_decision: PhotoDecision = Field(
        description="`pending` until the photographer decides; `hidden`: out of the guest gallery; "
        "`kept`: visible"
    )


class RemovalRequestList(BaseModel):
    items: list[RemovalRequestRead]
    next_cursor: str | None = None


class PhotoDecisionBody(BaseModel):
    action: Literal["hide", "keep"] = Field(
        description="`hide`: take the photos (and later photos of the guest) out of the guest gallery; "
        "`keep`: leave them visible"
    )
