"""Event bodies: create, update, read, list."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from eventlens.bibs import formats as bib_formats
from eventlens.events import slugs
from eventlens.events.branding import Branding, BrandingUpdate
from eventlens.models import EventStatus, FaceDetail
from eventlens.watermark.settings import Downloads, Watermark, WatermarkUpdate

# Events happen in a human lifetime; the bounds also keep "+ retention days" far from datetime's limits.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def _as_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    try:
        utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:59:59-23:59 is past the year 9999 in UTC
        raise ValueError("must be between 1970 and 2199") from None
    if not EARLIEST <= utc < LATEST:
        raise ValueError("must be between 1970 and 2199")
    return utc


class _EventFields(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    description: str | None = Field(None, max_length=5000)
    starts_at: datetime | None = Field(None, description="ISO 8601; without a zone it is taken as UTC")
    ends_at: datetime | None = Field(None, description="ISO 8601; without a zone it is taken as UTC")
    retention_days: int | None = Field(None, ge=1, le=3650, description="Keep the photos this many days")
    access_code: str | None = Field(None, min_length=4, max_length=64, description="Guests must enter it")
    slug: str | None = Field(None, description="Name in the guest link; made from the name when left out")
    face_detail: FaceDetail | None = Field(
        None,
        description=(
            "`standard` (default): faces from about 75 px wide in a 24 MP photo. `crowd`: a second, "
            "full-resolution pass also finds faces from about 40 px (crowds, class photos), at about "
            "6x the processing time per photo (4.4 s instead of 0.7 s per 24 MP photo on one core). "
            "Changing it processes the event's photos again."
        ),
    )

    bib_search: bool | None = Field(
        None,
        description=(
            "Read numbers printed on people (race bibs, jerseys) so guests can search by bib. Off by "
            "default; turning it on reads the photos already in the event (a job of its own, after "
            "face indexing)."
        ),
    )
    bib_digits: str | None = Field(
        None,
        description='How many digits a bib has: "4", or a range such as "2-6" (the default), 1 to 8.',
    )

    @field_validator("bib_digits")
    @classmethod
    def _bib_digits(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return str(bib_formats.parse(value))
        except bib_formats.BadBibFormat as exc:
            raise ValueError(str(exc)) from None

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return _as_utc(value)

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str | None) -> str | None:
        if value is not None and not slugs.is_valid(value):
            raise ValueError(
                "use 3-60 lower-case letters, digits and single hyphens, starting and ending with a letter "
                "or digit (and not a reserved word)"
            )
        return value

    @model_validator(mode="after")
    def _dates_in_order(self) -> _EventFields:
        if self.starts_at and self.ends_at and self.ends_at < self.starts_at:
            raise ValueError("ends_at must not be before starts_at")
        return self


class EventCreate(_EventFields):
    name: str = Field(min_length=1, max_length=200)


class EventUpdate(_EventFields):
    name: str | None = Field(None, min_length=1, max_length=200)
    notify_enabled: bool | None = Field(
        None,
        description='Offer guests "tell me when new photos of me arrive" (README: Notify me); default on',
    )
    cover_photo_id: uuid.UUID | None = Field(
        None, description="A photo of this event shown at the top of the guest page; null clears it"
    )
    branding: BrandingUpdate | None = Field(
        None, description="Logo and accent colour of the guest page and live screen; null clears both"
    )
    watermark: WatermarkUpdate | None = Field(
        None,
        description=(
            "A mark burnt into guest previews and thumbnails (and downloads, with `downloads: "
            "watermarked`): the fields sent change, null turns it off. A `logo` mark needs "
            "`branding.logo_photo_id`. README: Watermark."
        ),
    )
    downloads: Downloads | None = Field(
        None,
        description=(
            "What guests download: `original` (default), `watermarked` (a full-size JPEG with the "
            "mark; needs the watermark on) or `off` (403 `downloads_off`)."
        ),
    )


class PhotoCounts(BaseModel):
    uploaded: int = 0
    processing: int = 0
    indexed: int = 0
    failed: int = 0
    total: int = 0


class EventCounts(BaseModel):
    photos: PhotoCounts = Field(default_factory=PhotoCounts)
    faces: int = 0
    searches: int = 0
    downloads: int = 0
    subscribers: int = Field(0, description='Guests waiting for "new photos of you" e-mails (a count only)')
    notifications_sent: int = Field(0, description='"New photos of you" e-mails sent')


class EventRead(BaseModel):
    id: uuid.UUID
    owner_id: uuid.UUID
    name: str
    slug: str
    description: str
    starts_at: datetime | None
    ends_at: datetime | None
    status: EventStatus
    has_access_code: bool
    retention_days: int | None
    expires_at: datetime | None
    face_detail: FaceDetail
    notify_enabled: bool
    bib_search: bool = False
    bib_digits: str = bib_formats.DEFAULT_DIGITS
    cover_photo_id: uuid.UUID | None
    branding: Branding = Field(default_factory=Branding)
    watermark: Watermark = Field(default_factory=Watermark)
    downloads: Downloads = "original"
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    guest_url: str
    counts: EventCounts
    role: Literal["owner", "admin", "photographer", "viewer"] | None = Field(
        None, description="What you are to this event: its owner, an admin, or a member with that role."
    )


class EventList(BaseModel):
    items: list[EventRead]
    next_cursor: str | None = None


def dump(model: BaseModel) -> dict[str, Any]:
    """Only the fields the client sent (PATCH is partial)."""
    return {k: getattr(model, k) for k in model.model_fields_set}
