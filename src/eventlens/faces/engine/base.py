"""The face engine interface: find faces in an image and turn each into a unit-length embedding.

Engines see numpy images only: no HTTP, no database, no settings object.
"""

from __future__ import annotations

import math
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass

import cv2
import numpy as np

Box = tuple[float, float, float, float]  # x, y, width, height in pixels of the image given
Point = tuple[float, float]
TileBox = tuple[int, int, int, int]  # x0, y0, x1, y1 of a tile in the image given

# Tiles overlap by this share of their side, so every face up to that size lies whole inside one
# tile. Bigger faces are the whole-image pass's job (at 1600 px it finds faces from ~75 px of a
# 6000 px frame); 1/8 of a 1600 px tile is 200 px, comfortably above that.
TILE_OVERLAP = 1 / 8
# A tile's detection that another detection covers this much of (intersection over the smaller box)
# is the same face seen twice: in two overlapping tiles, or in a tile and the whole-image pass.
SAME_FACE_OVERLAP = 0.5
# A box this close to a tile's inner edge may be a face the edge cuts: the neighbouring tile,
# which overlaps, sees it whole.
EDGE_MARGIN = 2.0


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
    # Variance of the Laplacian of the 112 x 112 face crop the embedding came from (higher: sharper).
    sharpness: float | None = None

    @property
    def area(self) -> float:
        return self.box[2] * self.box[3]

    def shifted(self, dx: float, dy: float) -> Face:
        """The same face with its box and landmarks moved by (dx, dy): tile to image coordinates."""
        x, y, w, h = self.box
        points = None
        if self.landmarks is not None:
            points = tuple((px + dx, py + dy) for px, py in self.landmarks)
        return Face((x + dx, y + dy, w, h), self.score, points, self.embedding, self.sharpness)


class SkipReason:
    """Why a detected face is kept out of search (stored with the face)."""

    too_small = "too_small"
    blurry = "blurry"


def sharpness_of(crop: np.ndarray) -> float:
    """Variance of the Laplacian of a face crop (RGB or BGR, any size; measured at 112 x 112 grey)."""
    grey = crop if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    if grey.shape[:2] != (112, 112):
        grey = cv2.resize(grey, (112, 112), interpolation=cv2.INTER_LINEAR)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def tile_grid(width: int, height: int, side: int, overlap: int) -> list[TileBox]:
    """Tiles of at most ``side`` px that cover the image, neighbours overlapping by ``overlap`` px.

    As few tiles per axis as fit, each only as long as needed (6000 px at 1600/200: five of 1360,
    not five of 1600): the detector's time follows the pixels it is given."""

    def spans(length: int) -> list[tuple[int, int]]:
        if length <= side:
            return [(0, length)]
        count = math.ceil((length - overlap) / (side - overlap))
        size = math.ceil((length + (count - 1) * overlap) / count)
        step = (length - size) / (count - 1)
        return [(round(i * step), round(i * step) + size) for i in range(count)]

    return [(x0, y0, x1, y1) for y0, y1 in spans(height) for x0, x1 in spans(width)]


def covered(a: Box, b: Box) -> float:
    """How much of the smaller of two boxes the other covers (0..1)."""
    ix = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    iy = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    if ix <= 0 or iy <= 0:
        return 0.0
    smaller = min(a[2] * a[3], b[2] * b[3])
    return float(ix * iy / smaller) if smaller > 0 else 0.0


def at_inner_edge(box: Box, tile: TileBox, width: int, height: int) -> bool:
    """Whether a box (tile coordinates) touches an edge of the tile that is not the image's edge."""
    x, y, w, h = box
    x0, y0, x1, y1 = tile
    return (
        (x0 > 0 and x < EDGE_MARGIN)
        or (y0 > 0 and y < EDGE_MARGIN)
        or (x1 < width and x + w > x1 - x0 - EDGE_MARGIN)
        or (y1 < height and y + h > y1 - y0 - EDGE_MARGIN)
    )


def merge_new(kept: list[Box], candidates: list[tuple[Box, float]]) -> list[int]:
    """Indexes of ``candidates`` (box, score) that are new faces: best score first, each one not
    covered by a kept box or by a better candidate already taken."""
    boxes = list(kept)
    taken: list[int] = []
    for i in sorted(range(len(candidates)), key=lambda i: -candidates[i][1]):
        box = candidates[i][0]
        if all(covered(box, other) < SAME_FACE_OVERLAP for other in boxes):
            boxes.append(box)
            taken.append(i)
    return taken


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
    # Faces narrower than this (box width, pixels of the image the embedding is computed from) or with a crop
    # less sharp than this are detected but kept out of search: their embeddings are noise. 0 = keep
    # all (engines not calibrated for it; see the README's "Face matching" for how YuNet's were set).
    min_searchable_width: float = 0.0
    min_sharpness: float = 0.0
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

    def detect_and_embed(self, image: np.ndarray, *, tiles: bool = False) -> list[Face]:
        """Every usable face in an RGB uint8 image (H x W x 3), largest first.

        With ``tiles`` a second pass runs the detector on overlapping tiles of about
        ``analysis_side`` at the image's own resolution, so faces that the shrunken whole-image copy
        makes too small are found too (a 24 MP frame: 15 tiles, about 6x the time). Give it the
        full-resolution image: every embedding is computed from the pixels given.
        """
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError("expected an RGB uint8 image of shape (H, W, 3)")
        self._ensure_loaded()
        faces = self._detect_and_embed_tiled(image) if tiles else self._detect_and_embed(image)
        faces = [f if f.sharpness is not None else self._with_sharpness(image, f) for f in faces]
        return sorted(faces, key=lambda f: f.area, reverse=True)

    def _detect_and_embed_tiled(self, image: np.ndarray) -> list[Face]:
        """The whole-image pass plus a pass over tiles; faces found twice are kept once.

        Generic: runs the engine's own detect+embed on each tile (engines that can detect without
        embedding override this so that only new faces are embedded)."""
        first = self._detect_and_embed(image)
        height, width = image.shape[:2]
        found: list[Face] = []
        for tile in self.tiles_of(width, height):
            x0, y0, x1, y1 = tile
            for face in self._detect_and_embed(np.ascontiguousarray(image[y0:y1, x0:x1])):
                if not at_inner_edge(face.box, tile, width, height):
                    found.append(face.shifted(x0, y0))
        new = merge_new([f.box for f in first], [(f.box, f.score) for f in found])
        return first + [found[i] for i in new]

    def tiles_of(self, width: int, height: int) -> list[TileBox]:
        side = self.analysis_side
        return tile_grid(width, height, side, round(side * TILE_OVERLAP))

    @staticmethod
    def _with_sharpness(image: np.ndarray, face: Face) -> Face:
        x, y, w, h = (round(v) for v in face.box)
        crop = image[max(0, y) : max(0, y + h), max(0, x) : max(0, x + w)]
        if crop.size == 0:
            return face
        sharp = sharpness_of(cv2.cvtColor(np.ascontiguousarray(crop), cv2.COLOR_RGB2BGR))
        return Face(face.box, face.score, face.landmarks, face.embedding, sharp)

    def skip_reason(self, face: Face) -> str | None:
        """Why this face should not be searchable (None: it should). Sizes are pixels of the image
        the face was found in, which is what its embedding was computed from."""
        if face.box[2] < self.min_searchable_width:
            return SkipReason.too_small
        if face.sharpness is not None and face.sharpness < self.min_sharpness:
            return SkipReason.blurry
        return None

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
