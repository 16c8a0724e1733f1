"""The face engine interface: find faces in an image and turn each into a unit-length embedding.

Engines see numpy images only: no HTTP, no database, no settings object.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

Box = tuple[float, float, float, float]  # x, y, width, height in pixels of the image given
Point = tuple[float, float]


class EngineError(RuntimeError):
    """The engine cannot run (model missing, wrong version)."""


class ModelIntegrityError(EngineError):
    """A model file's SHA-256 is not the pinned one: refuse to run rather than give wrong matches."""


@dataclass(frozen=True)
class Face:
    box: Box
    score: float
    landmarks: tuple[Point, ...] | None  # 5 points: eyes, nose tip, mouth corners
    embedding: np.ndarray  # float32, L2-normalised, shape (dim,)

    @property
    def area(self) -> float:
        return self.box[2] * self.box[3]


class FaceEngine(ABC):
    """Detect + embed. Loads lazily (first use) and is safe to call from several threads."""

    engine_id: str
    version: str
    dim: int
    # Cosine similarity at or above which two faces are taken as the same person (calibrated): the
    # "high" tier a guest sees as "Photos of you".
    match_threshold: float
    # The lower edge of the "possible" tier ("Maybe you"): look-alikes and relatives fall in this band,
    # so they are shown apart instead of being mixed in or the high threshold being lowered for them.
    possible_threshold: float
    # Faces smaller (shorter box side, pixels of the analysed image) or less certain are left out.
    min_face_size: int
    min_score: float
    # Long side of the copy detection runs on; bigger finds smaller faces, slower.
    analysis_side: int
    licence_notice: str | None = None

    def __init__(self) -> None:
        self._load_lock = threading.Lock()
        self._loaded = False

    def _ensure_loaded(self) -> None:
        if not self._loaded:
            with self._load_lock:
                if not self._loaded:
                    self._load()
                    self._loaded = True

    def warm_up(self) -> None:
        """Load the models now rather than on first use."""
        self._ensure_loaded()

    @abstractmethod
    def _load(self) -> None: ...

    @abstractmethod
    def _detect_and_embed(self, image: np.ndarray) -> list[Face]: ...

    def detect_and_embed(self, image: np.ndarray) -> list[Face]:
        """Every usable face in an RGB uint8 image (H x W x 3), largest first."""
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError("expected an RGB uint8 image of shape (H, W, 3)")
        self._ensure_loaded()
        faces = self._detect_and_embed(image)
        return sorted(faces, key=lambda f: f.area, reverse=True)

    def embed_largest(self, image: np.ndarray) -> Face | None:
        """The largest face (for a selfie), or None when there is no usable face."""
        faces = self.detect_and_embed(image)
        return faces[0] if faces else None

    @staticmethod
    def similarity(a: np.ndarray, b: np.ndarray) -> float:
        """Cosine similarity of two unit embeddings, clipped to [0, 1] (unrelated faces sit near 0)."""
        return float(min(1.0, max(0.0, float(np.dot(a, b)))))

    def is_match(self, a: np.ndarray, b: np.ndarray) -> bool:
        return self.similarity(a, b) >= self.match_threshold
