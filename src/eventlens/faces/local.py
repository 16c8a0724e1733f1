"""The local backend: an offline engine finds and embeds faces; search is exact, in memory (index.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from eventlens.faces.backend import FaceBackend, NoFaceFound, SearchResult
from eventlens.faces.engine.base import FaceEngine
from eventlens.faces.service import FaceSearch, detect_faces
from eventlens.models import Face, Photo
from eventlens.photos import imaging


class LocalBackend(FaceBackend):
    def __init__(self, engine: FaceEngine, sessions: sessionmaker[Session]) -> None:
        self.engine = engine
        self.search_index = FaceSearch(sessions, engine)

    @property
    def engine_id(self) -> str:
        return self.engine.engine_id

    @property
    def version(self) -> str:
        return self.engine.version

    @property
    def analysis_side(self) -> int:
        return self.engine.analysis_side

    def warm_up(self) -> None:
        self.engine.warm_up()

    def index_photo(self, photo: Photo, analysed: imaging.Analysed, *, tiles: bool = False) -> list[Face]:
        return detect_faces(self.engine, photo, analysed, tiles=tiles)

    def search(self, event_id: uuid.UUID, selfies: Iterable[np.ndarray], limit: int = 500) -> SearchResult:
        rows: list[np.ndarray] = []
        skipped: list[int] = []
        for i, pixels in enumerate(selfies):
            face = self.engine.embed_largest(pixels)
            if face is None:
                skipped.append(i)
            else:
                rows.append(np.asarray(face.embedding, dtype=np.float32))
        if not rows:
            raise NoFaceFound
        found = self.search_index.search(event_id, np.vstack(rows), limit)
        found.skipped = skipped
        return found

    def forget(self, event_id: uuid.UUID) -> None:
        self.search_index.cache.forget(event_id)

    def index_sizes(self) -> dict[str, int]:
        return self.search_index.cache.sizes()
