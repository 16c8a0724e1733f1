"""Detection and identification recall per face width (pixels of the original photo).

Detection: the hand-drawn boxes of FACE_BOXES.tsv, each found when a detected face overlaps it
(IoU >= MIN_IOU, one detection per box). Identification: the labelled face of each identity photo
(not a selfie photo) of a person with a selfie, identified when its similarity to that person's
first selfie reaches a tier's threshold; identity photos where no face was found are counted apart,
since their face's width is not known.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from eventlens.bench.dataset import Box, Dataset
from eventlens.bench.pipeline import Indexed
from eventlens.bench.scoring import Truth

EDGES = (24, 40, 64, 96)
LABELS = ("<24", "24-40", "40-64", "64-96", ">=96")
MIN_IOU = 0.3


def bin_of(width: float) -> int:
    return int(np.searchsorted(EDGES, width, side="right"))


@dataclass
class Bin:
    label: str
    total: int = 0
    found: int = 0
    found_possible: int = 0  # identification only: at the possible threshold

    @property
    def recall(self) -> float:
        return self.found / self.total if self.total else float("nan")

    @property
    def recall_possible(self) -> float:
        return self.found_possible / self.total if self.total else float("nan")


@dataclass
class WidthBins:
    detection: list[Bin] = field(default_factory=lambda: [Bin(label) for label in LABELS])
    identification: list[Bin] = field(default_factory=lambda: [Bin(label) for label in LABELS])
    identity_photos_without_face: int = 0


def iou(a: Box, b: Box) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    w = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    h = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = w * h
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


def measure(data: Dataset, ix: Indexed, truth: Truth, high: float, possible: float) -> WidthBins:
    out = WidthBins()
    for rel, truths in data.face_boxes.items():
        slot = ix.slot_of.get(rel)
        rows = ix.boxes[ix.face_photo == slot] if slot is not None else np.empty((0, 4))
        detected: list[Box] = [(float(x), float(y), float(w), float(h)) for x, y, w, h in rows]
        taken: set[int] = set()
        for gt in truths:
            b = out.detection[bin_of(gt[2])]
            b.total += 1
            overlaps = [(iou(gt, d), j) for j, d in enumerate(detected) if j not in taken]
            best = max(overlaps, default=(0.0, -1))
            if best[0] >= MIN_IOU:
                taken.add(best[1])
                b.found += 1
    for person in truth.people:
        selfie = ix.selfies[person][0] if ix.selfies[person] else None
        if selfie is None:
            continue
        for slot in truth.photos_of[person][1:]:
            face = int(truth.labelled_face[slot])
            if face < 0:
                out.identity_photos_without_face += 1
                continue
            b = out.identification[bin_of(float(ix.boxes[face, 2]))]
            sim = float(ix.matrix[face] @ selfie)
            b.total += 1
            b.found += sim >= high
            b.found_possible += sim >= possible
    return out
