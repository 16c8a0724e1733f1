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
    hidden: bool = Field(
        False,
        description="Every face of the person is kept out of guest searches (hidden by the photographer, "
        "or by the guest's own removal request); new faces of them are hidden on arrival",
    )


class PersonList(BaseModel):
    items: list[PersonRead]
    next_cursor: str | None = None


class PersonUpdate(BaseModel):
    name: str | None = Field(max_length=200, description="A label for the person; null or blank removes it")


class PersonHide(BaseModel):
    photos_too: bool = Field(
        False,
        description="Also take the person's photos out of the guest gallery (and photos of them that "
        "arrive later); false: the photos stay, the person is only never found by a search",
    )


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
