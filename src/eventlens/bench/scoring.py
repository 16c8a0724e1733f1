"""Selfie queries scored photo by photo, and pooled precision/recall over any set of them.

A query is one person searching the event with their first k photos as selfies. A photo scores the
similarity of its best face (as the index ranks it); it is relevant when the person is known to be
in it. The selfie photos are left out of the scoring. A photo whose best face is not its labelled
face (a bystander in another person's identity photo: Bush beside Blair) cannot be judged from the
labels, so it is counted neither right nor wrong ("unverifiable") and listed for a human to look at.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from eventlens.bench.dataset import Dataset
from eventlens.bench.pipeline import Indexed

NO_FACE = -np.inf

# How several selfies of one person score a face (sims: faces x selfies).
Combine = Callable[[np.ndarray], np.ndarray]


def _max(sims: np.ndarray) -> np.ndarray:
    return np.asarray(sims.max(axis=1))


def _mean(sims: np.ndarray) -> np.ndarray:
    return np.asarray(sims.mean(axis=1))


def _vote(sims: np.ndarray) -> np.ndarray:
    # A face passes a threshold when a strict majority of the selfies do: its m-th best similarity.
    m = sims.shape[1] // 2 + 1
    return np.asarray(np.sort(sims, axis=1)[:, -m])


COMBINE: dict[str, Combine] = {"max": _max, "mean of similarities": _mean, "vote": _vote}
MEAN_EMBEDDING = "mean embedding"
METHODS = ["max", "mean of similarities", MEAN_EMBEDDING, "vote"]


@dataclass
class Truth:
    """What the dataset says about each photo slot and face of an ``Indexed`` run."""

    people: list[str]
    photos_of: dict[str, list[int]]  # person -> their identity photo slots, first photo first
    members: list[set[str]]  # photo slot -> people known to be in it
    labelled_face: np.ndarray  # photo slot -> face row of its labelled person, -1 if none/not known

    @classmethod
    def build(cls, data: Dataset, ix: Indexed) -> Truth:
        people = [p for p in data.people() if p in ix.selfies]
        members: list[set[str]] = [set() for _ in ix.paths]
        for rel, slot in ix.slot_of.items():
            members[slot] |= data.people_in(rel)
        photos_of = {p: [ix.slot_of[r] for r in data.photos_of(p) if r in ix.slot_of] for p in people}
        labelled = np.full(len(ix.paths), -1, dtype=np.int64)
        for slot, rel in enumerate(ix.paths):
            if rel.startswith("identities/"):
                labelled[slot] = _main_face(ix, slot)
        return cls(people, photos_of, members, labelled)


def _main_face(ix: Indexed, slot: int) -> int:
    """The face an identity photo is labelled for: the biggest, preferring the centre of the frame."""
    rows = np.flatnonzero(ix.face_photo == slot)
    if rows.size == 0:
        return -1
    width, height = ix.sizes[slot]
    boxes = ix.boxes[rows]
    cx, cy = boxes[:, 0] + boxes[:, 2] / 2, boxes[:, 1] + boxes[:, 3] / 2
    half_diagonal = max(1.0, float(np.hypot(width, height)) / 2)
    off_centre = np.hypot(cx - width / 2, cy - height / 2) / half_diagonal
    size = boxes[:, 2] / max(1.0, float(boxes[:, 2].max()))
    return int(rows[np.argmax(size * (1.0 - 0.75 * np.clip(off_centre, 0, 1)))])


@dataclass
class Query:
    person: str
    selfie_slots: list[int]
    scores: np.ndarray  # photo slot -> best face similarity (NO_FACE for photos without a face)
    best_face: np.ndarray  # photo slot -> face row scoring that (-1 without faces)
    relevant: np.ndarray  # bool per slot
    counted: np.ndarray  # bool per slot: judged at all (not a selfie photo, not unverifiable)
    unverifiable: np.ndarray  # bool per slot


def face_scores(ix: Indexed, person: str, k: int, method: str) -> np.ndarray:
    """Score of every face of the event for the person's first ``k`` selfies, combined by ``method``."""
    sims = ix.selfie_sims(person)[:, :k]
    if method == MEAN_EMBEDDING:
        # matrix @ (mean / |mean|) without another product: the mean of the similarities over |mean|.
        selfies = np.stack([e for e in ix.selfies[person] if e is not None][:k])
        return np.asarray(sims.mean(axis=1) / np.linalg.norm(selfies.mean(axis=0)))
    return COMBINE[method](sims)


def query(
    ix: Indexed, truth: Truth, person: str, k: int = 1, skip: int | None = None, method: str = "max"
) -> Query | None:
    """``person`` searching with their first ``k`` photos (those with a face); their first ``skip``
    photos (default k) are left out of the scoring. None when the person has too few usable photos."""
    skip = k if skip is None else skip
    own = truth.photos_of[person]
    found = [(slot, e) for slot, e in zip(own, ix.selfies[person], strict=False) if e is not None]
    if len(found) < k or len(own) <= skip:
        return None
    n = len(ix.paths)
    scores = np.full(n, NO_FACE)
    best = np.full(n, -1, dtype=np.int64)
    if ix.faces:
        per_face = face_scores(ix, person, k, method)
        order = np.argsort(per_face, kind="stable")  # ascending: the last write per slot is its best
        scores[ix.face_photo[order]] = per_face[order]
        best[ix.face_photo[order]] = order
    relevant = np.array([person in m for m in truth.members])
    selfie_slots = [slot for slot, _e in found[:k]]
    counted = np.ones(n, dtype=bool)
    counted[own[:skip]] = False
    counted[selfie_slots] = False  # when a first photo had no face, a later one is the selfie
    labelled = truth.labelled_face
    unverifiable = ~relevant & (labelled >= 0) & (best >= 0) & (best != labelled)
    counted &= ~unverifiable
    return Query(person, selfie_slots, scores, best, relevant, counted, unverifiable)


def queries(
    ix: Indexed, truth: Truth, k: int = 1, skip: int | None = None, method: str = "max"
) -> list[Query]:
    out = [query(ix, truth, p, k, skip, method) for p in truth.people]
    return [q for q in out if q is not None]


@dataclass
class Curve:
    """Pooled (micro-averaged) precision and recall of the photos returned at each threshold."""

    thresholds: np.ndarray
    returned: np.ndarray  # photos at or above each threshold (counted ones)
    hits: np.ndarray  # ... of which relevant
    relevant: int  # relevant photos in all (found or not)

    @property
    def precision(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.returned > 0, self.hits / np.maximum(self.returned, 1), 1.0)

    @property
    def recall(self) -> np.ndarray:
        return self.hits / self.relevant if self.relevant else np.zeros(len(self.thresholds))

    def at(self, threshold: float) -> tuple[float, float]:
        i = int(np.argmin(np.abs(self.thresholds - threshold)))
        return float(self.precision[i]), float(self.recall[i])


def curve(qs: Sequence[Query], thresholds: np.ndarray, drop: np.ndarray | None = None) -> Curve:
    """The curve of ``qs``; ``drop`` (bool per photo slot) leaves those photos out of every query."""
    scores, rel, relevant = [], [], 0
    for q in qs:
        keep = q.counted if drop is None else q.counted & ~drop
        scores.append(q.scores[keep])
        rel.append(q.relevant[keep])
        relevant += int(q.relevant[keep].sum())
    s = np.concatenate(scores) if scores else np.empty(0)
    r = np.concatenate(rel) if rel else np.empty(0, dtype=bool)
    pos, neg = np.sort(s[r]), np.sort(s[~r])
    hits = pos.size - np.searchsorted(pos, thresholds, side="left")
    false = neg.size - np.searchsorted(neg, thresholds, side="left")
    return Curve(thresholds, hits + false, hits, relevant)


@dataclass(frozen=True)
class TierFigures:
    """What guests see at two thresholds: the high tier, both tiers together, the possible band."""

    high_precision: float
    high_recall: float
    both_precision: float
    both_recall: float
    band_precision: float  # nan when the band holds no photo
    band_photos: int


def tier_figures(c: Curve, high: float, possible: float) -> TierFigures:
    hp, hr = c.at(high)
    bp, br = c.at(possible)
    i_high = int(np.argmin(np.abs(c.thresholds - high)))
    i_pos = int(np.argmin(np.abs(c.thresholds - possible)))
    band = int(c.returned[i_pos] - c.returned[i_high])
    band_hits = int(c.hits[i_pos] - c.hits[i_high])
    return TierFigures(hp, hr, bp, br, band_hits / band if band else float("nan"), band)
