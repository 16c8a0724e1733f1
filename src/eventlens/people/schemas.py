"""Request and response bodies for an event's people."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field


class PersonRead(BaseModel):
    id: uuid.UUID
    name: str | None = Field(
        description="The photographer's own label (never shown to guests); null: unnamed"
    )
    face_thumbnail_url: str | None = Field(description="A crop of one of the person's faces (WebP)")
    photo_count: int = Field(description="Photos with at least one of the person's faces")
    hidden: bool = Field(False, description="Kept out of guest searches (always false until hiding exists)")


class PersonList(BaseModel):
    items: list[PersonRead]
    next_cursor: str | None = None


class PersonUpdate(BaseModel):
    name: str | None = Field(max_length=200, description="A label for the person; null or blank removes it")


class PersonMerge(BaseModel):
    into: uuid.UUID = Field(description="The person who takes this one's faces (and keeps their own id)")


class PersonSplit(BaseModel):
    face_ids: list[uuid.UUID] = Field(
        min_length=1, max_length=10_000, description="Faces of this person that become a new person"
    )


class PersonFace(BaseModel):
    id: uuid.UUID
    photo_id: uuid.UUID
    thumbnail_url: str


class PersonFaceList(BaseModel):
    items: list[PersonFace]


class PersonPhoto(BaseModel):
    id: uuid.UUID
    original_filename: str
    taken_at: datetime | None
    preview_url: str
    thumbnail_url: str
    face_ids: list[uuid.UUID] = Field(description="The person's faces in this photo")


class PersonPhotoList(BaseModel):
    items: list[PersonPhoto]
    next_cursor: str | None = None


class RegroupQueued(BaseModel):
    queued: bool = True
