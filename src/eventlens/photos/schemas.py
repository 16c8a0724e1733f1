"""Photo bodies: what the API shows of a photo, and the per-file answer of an upload."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from eventlens.models import Photo, PhotoSource, PhotoStatus


class PhotoRead(BaseModel):
    id: uuid.UUID
    event_id: uuid.UUID
    status: PhotoStatus
    error: str | None
    source: PhotoSource
    original_filename: str
    album: str | None
    size: int
    mime: str
    width: int | None
    height: int | None
    taken_at: datetime | None
    camera: str | None
    sha256: str
    face_count: int
    hidden: bool = Field(description="Kept from guests: not in their search, downloads or cover")
    created_at: datetime
    processed_at: datetime | None
    original_url: str
    preview_url: str | None
    thumbnail_url: str | None

    @classmethod
    def of(cls, photo: Photo) -> PhotoRead:
        base = f"/api/photos/{photo.id}"
        return cls(
            id=photo.id,
            event_id=photo.event_id,
            status=photo.status,
            error=photo.error,
            source=photo.source,
            original_filename=photo.original_filename,
            album=photo.album,
            size=photo.size,
            mime=photo.mime,
            width=photo.width,
            height=photo.height,
            taken_at=photo.taken_at,
            camera=photo.camera,
            sha256=photo.sha256,
            face_count=photo.face_count,
            hidden=bool(photo.hidden),
            created_at=photo.created_at,
            processed_at=photo.processed_at,
            original_url=f"{base}/original",
            preview_url=f"{base}/preview" if photo.has_preview else None,
            thumbnail_url=f"{base}/thumbnail" if photo.has_preview else None,
        )


class PhotoList(BaseModel):
    items: list[PhotoRead]
    next_cursor: str | None = None


class FileError(BaseModel):
    code: str
    message: str
    status: int
    details: Any = None


class UploadItem(BaseModel):
    """One file's outcome: stored (``id``, ``status``), a duplicate (``duplicate_of``), or an ``error``."""

    filename: str
    id: uuid.UUID | None = None
    status: PhotoStatus | None = None
    duplicate_of: uuid.UUID | None = None
    error: FileError | None = None


class UploadResult(BaseModel):
    items: list[UploadItem]
    stored: int = Field(description="New photos stored")
    duplicates: int = Field(description="Files already in the event (not stored again)")
    rejected: int = Field(description="Files refused; each item says why")


class ReprocessRequest(BaseModel):
    scope: str = Field("failed", pattern="^(failed|all)$", description="`failed` (default) or `all` photos")


class ReprocessResult(BaseModel):
    queued: int


class HashQuery(BaseModel):
    sha256: list[str] = Field(max_length=1000, description="SHA-256 hex digests of local files")


class HashAnswer(BaseModel):
    existing: dict[str, uuid.UUID] = Field(description="digest → photo id, for those already in the event")


class PhotoUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hidden: bool = Field(description="true keeps the photo from guests; false shows it again")


class BulkRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    photo_ids: list[uuid.UUID] = Field(min_length=1, max_length=1000)
    action: Literal["delete", "hide", "show"]


class BulkResult(BaseModel):
    action: str
    count: int = Field(description="Photos deleted, hidden or shown")


class PresignRequest(BaseModel):
    filename: str = Field(max_length=1024, description="The file's name, as on the photographer's disk.")
    size: int = Field(description="Bytes; the store accepts exactly this many.")
    content_type: str = Field(
        max_length=100, description="image/jpeg, image/png, image/webp, image/heic or image/heif"
    )
    sha256: str = Field(
        max_length=64, description="Hex SHA-256 of the file; a file already in the event is not sent."
    )


class PresignAnswer(BaseModel):
    """Either ``duplicate_of`` (nothing to send), or a form: POST ``fields`` then the file as ``file`` to
    ``url``, then ``POST .../uploads/complete`` with the ``ticket``."""

    duplicate_of: uuid.UUID | None = None
    url: str | None = None
    fields: dict[str, str] | None = None
    ticket: str | None = None
    expires_in: int = Field(description="Seconds the form and the ticket stay valid.")


class CompleteRequest(BaseModel):
    ticket: str = Field(max_length=2048)
    filename: str = Field(max_length=1024)
    album: str | None = Field(None, max_length=200)
