"""What guests see of an event and of their search."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class PublicEvent(BaseModel):
    slug: str
    name: str
    description: str
    starts_at: datetime | None
    ends_at: datetime | None
    photographer: str = Field(description="The photographer's public name (else their account name)")
    photographer_url: str | None = Field(None, description="The photographer's website (http or https)")
    cover_url: str | None
    logo_url: str | None = Field(None, description="The event's logo (its preview), when it has one")
    accent: str | None = Field(None, description="The event's accent colour `#rrggbb`, when it has one")
    access_code_required: bool
    photo_count: int
    bib_search: bool = Field(False, description="Whether guests can search this event by bib number")
    downloads: Literal["original", "watermarked", "off"] = Field(
        "original",
        description="What a download gives: the original, a watermarked JPEG, or nothing (`off`: 403)",
    )
    watermarked: bool = Field(False, description="Whether previews and thumbnails carry the event's mark")


class FaceBox(BaseModel):
    x: float
    y: float
    width: float
    height: float


class BibMatch(BaseModel):
    number: str
    confidence: float = Field(description="How sure the reader was of the number, 0..1")
    box: FaceBox = Field(description="Where the number is, in pixels of the upright original")


class SearchMatch(BaseModel):
    photo_id: uuid.UUID
    similarity: float = Field(
        description="How alike the best-matching face is, 0..1: cosine similarity for the offline engines, "
        "Rekognition's similarity / 100 with that backend; 0 for a photo found by bib alone"
    )
    tier: Literal["high", "possible"] = Field(
        description='"high": shown as the guest\'s photos; "possible": a look-alike band shown apart'
    )
    face_box: FaceBox | None = Field(description="The matching face; null for a photo found by bib alone")
    bib: BibMatch | None = Field(None, description="Set when the searched bib number was read on the photo")
    width: int | None
    height: int | None
    preview_url: str
    thumbnail_url: str
    download_url: str


class SearchResult(BaseModel):
    matches: list[SearchMatch] = Field(description='Tier "high" first, then "possible"; best first in each')
    guest_pass: str = Field(description="Lets image and download URLs of this event work for 24 hours")
    skipped_selfies: list[int] = Field(
        description="Positions (from 0) of the selfie parts with no usable face; the others were used",
    )


class DownloadRequest(BaseModel):
    photo_ids: list[uuid.UUID] = Field(min_length=1, max_length=1000)


class AccessAnswer(BaseModel):
    guest_pass: str = Field(description="Send as ?t= on search, image and download URLs for 24 hours")
