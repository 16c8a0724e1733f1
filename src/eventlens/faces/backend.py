"""The face backend: the one door through which photos are indexed, selfies searched and faces removed.

Two kinds sit behind it. The local backend (``faces/local.py``) runs an offline engine and searches the
embeddings in memory; the Rekognition backend (``faces/rekognition/``) keeps faces in AWS, which never
hands out embeddings. Processing, the guest search, photo and event deletion and their jobs call only
this interface, so they are the same code whichever backend the install runs.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from eventlens.faces.index import Match
from eventlens.models import Face, Photo
from eventlens.photos import imaging


class NoFaceFound(Exception):
    """None of the selfies shows a face the backend can search with."""


class BackendBusy(Exception):
    """The backend is overloaded (a cloud service kept throttling): try again in a moment."""


@dataclass
class SearchResult:
    """Photos of the selfies' person, best first, high tier before possible (one match per photo)."""

    matches: list[Match]
    faces_searched: int
    skipped: list[int] = field(default_factory=list)  # positions of the selfies without a usable face


class FaceBackend(ABC):
    @property
    @abstractmethod
    def engine_id(self) -> str:
        """Stored with each face: faces of another engine are not searched (changing engine = reindex)."""

    @property
    @abstractmethod
    def version(self) -> str: ...

    @property
    @abstractmethod
    def analysis_side(self) -> int:
        """Long side of the copy processing decodes for ``index_photo`` (the previews share the decode)."""

    def warm_up(self) -> None:  # noqa: B027
        """Get ready now rather than on first use (load models, open a client)."""

    @abstractmethod
    def index_photo(self, photo: Photo, analysed: imaging.Analysed, *, tiles: bool = False) -> list[Face]:
        """Face rows for the photo decoded in ``analysed`` (boxes in pixels of the upright original).

        The rows are not stored here: processing replaces the photo's faces with them in the transaction
        that finishes the photo. A backend with an index of its own has already added them there.
        """

    @abstractmethod
    def search(self, event_id: uuid.UUID, selfies: Iterable[np.ndarray], limit: int = 500) -> SearchResult:
        """The event's photos of the person in ``selfies`` (RGB pixels, read one at a time).

        Several selfies are several photos of one person: a photo scores its best similarity to any of
        them. A selfie without a face is skipped; raises NoFaceFound when none has one.
        """

    def delete_faces(self, event_id: uuid.UUID, external_ids: Sequence[str]) -> None:  # noqa: B027
        """Remove faces from the backend's own index (no-op for a backend that has none)."""

    def drop_collection(self, name: str) -> None:  # noqa: B027
        """Remove an event's collection from the backend's own index (no-op for one that has none)."""

    def forget(self, event_id: uuid.UUID) -> None:  # noqa: B027
        """Drop what this process holds of the event (its in-memory index)."""

    def index_sizes(self) -> dict[str, int]:
        """What this process holds in memory, for the metrics."""
        return {"events": 0, "faces": 0, "bytes": 0}
