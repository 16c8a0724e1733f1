"""Look-alikes: for each person, the other person whose faces come closest to theirs.

Only labelled faces count (the main face of each identity photo), so a bystander in someone's photo
does not make two people look alike. How close B comes to A is measured the way a search sees it:
each of A's faces in turn is the selfie, B's best-scoring face is what that search would show of B,
and the median over A's faces is what A typically meets (the maximum, what A meets at worst). Compared
with the tier thresholds it says whether A's search shows B in "Photos of you", in "Maybe you" or not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from eventlens.bench.pipeline import Indexed
from eventlens.bench.scoring import Truth


@dataclass(frozen=True)
class LookAlike:
    person: str
    closest: str
    score: float  # median over the person's faces of the best similarity to one of ``closest``'s
    best_pair: float  # their single most similar pair of faces
    own_median: float  # the median similarity of the person's own faces to each other (nan: < 2)


def _faces(truth: Truth, person: str) -> np.ndarray:
    rows = [int(truth.labelled_face[s]) for s in truth.photos_of[person]]
    return np.array([r for r in rows if r >= 0], dtype=np.int64)


def closest_others(ix: Indexed, truth: Truth) -> list[LookAlike]:
    """Every person with a labelled face, closest look-alike first (highest score)."""
    faces = {p: _faces(truth, p) for p in truth.people}
    faces = {p: rows for p, rows in faces.items() if rows.size}
    if not faces:
        return []
    # One product for every pair of labelled faces; people are slices of it.
    order = np.concatenate(list(faces.values()))
    gram = ix.matrix[order] @ ix.matrix[order].T
    spans: dict[str, slice] = {}
    start = 0
    for person, rows in faces.items():
        spans[person] = slice(start, start + rows.size)
        start += rows.size
    out: list[LookAlike] = []
    for person, mine in spans.items():
        own = gram[mine, mine]
        own_pairs = own[np.triu_indices(own.shape[0], k=1)]
        best: tuple[float, float, str] | None = None
        for other, theirs in spans.items():
            if other == person:
                continue
            best_of_other = gram[mine, theirs].max(axis=1)
            candidate = (float(np.median(best_of_other)), float(best_of_other.max()), other)
            if best is None or candidate > best:
                best = candidate
        if best is None:
            continue
        own_median = float(np.median(own_pairs)) if own_pairs.size else float("nan")
        out.append(LookAlike(person, best[2], best[0], best[1], own_median))
    return sorted(out, key=lambda a: -a.score)
