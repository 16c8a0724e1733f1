"""Faces as the photographer's API shows them (never the embedding)."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field

from eventlens.models import Face


class FaceRead(BaseModel):
    id: uuid.UUID
    x: float
    y: float
    width: float
    height: float
    score: float
    landmarks: list[list[float]] | None
    engine_id: str
    engine_version: str
    searchable: bool = Field(description="False: detected, but too small or blurred to be matched")
    skip_reason: str | None = Field(description="Why it is not searchable: `too_small` or `blurry`")
    hidden: bool = Field(
        False, description="Hidden from every search: the person was hidden or asked to be removed"
    )

    @classmethod
    def of(cls, face: Face) -> FaceRead:
        return cls(
            id=face.id,
            x=face.box_x,
            y=face.box_y,
            width=face.box_w,
            height=face.box_h,
            score=face.score,
            landmarks=face.landmarks,
            engine_id=face.engine_id,
            engine_version=face.engine_version,
            searchable=face.searchable,
            skip_reason=face.skip_reason,
            hidden=face.hidden_by is not None,
        )


class FaceList(BaseModel):
    items: list[FaceRead]
