"""Notify bodies."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from eventlens.guests.schemas import SearchMatch


class SubscriptionRead(BaseModel):
    id: uuid.UUID
    email: str
    consent_text: str = Field(description="The sentence the guest agreed to, kept with the time")
    consented_at: datetime
    selfies_used: int = Field(description="Selfies that showed a face (their embeddings are kept)")
    skipped_selfies: list[int] = Field(description="Positions of the selfies without a usable face")
    min_minutes_between_emails: float


class SubscriptionMatches(BaseModel):
    """What a subscription's signed link opens: the event and every photo of the guest in it."""

    event_slug: str
    event_name: str
    matches: list[SearchMatch]
    guest_pass: str
