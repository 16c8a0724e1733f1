"""Grouping face embeddings into people: numpy and scikit-learn only, no database.

One rule runs both ways. A group's similarity to a face is the face's mean cosine similarity to the
group's faces, which is the face's dot product with the group's mean embedding (``sum / count``):

- a full grouping is agglomerative clustering with average linkage, cutting the tree where that mean
  similarity falls below the threshold (``cluster``);
- a new face joins the person whose mean it is most similar to when that reaches the threshold, else
  it starts a person of its own (``assign``): one step of the same average linkage, which needs only
  each person's sum and count, never their faces.

Faces of one photo never join the same person by ``assign`` (one face per person per photo); the
full grouping does not force it (average linkage rarely puts two faces of one photo together).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Mean cosine similarity at which a face joins a person, per engine: chosen by bench/people.py
# (cross-validation over the dev set's identities, README: People). Other engines fall back to their
# search match threshold.
THRESHOLDS: dict[str, float] = {"yunet-sface": 0.35}

# The full grouping holds a float64 distance for every pair: 4,000 faces took 1.0 s and 126 MB at peak.
# Faces past this many are assigned one by one, as new uploads are.
MAX_CLUSTERED = 4000


def threshold_for(engine_id: str, match_threshold: float) -> float:
    return THRESHOLDS.get(engine_id, match_threshold)


def cluster(matrix: np.ndarray, threshold: float) -> np.ndarray:
    """A group label (0..k-1) for each row of ``matrix`` (unit embeddings), by average linkage."""
    n = matrix.shape[0]
    if n == 0:
        return np.empty(0, dtype=np.int64)
    if n == 1:
        return np.zeros(1, dtype=np.int64)
    from sklearn.cluster import AgglomerativeClustering  # only the full grouping (a job) needs it

    model = AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=1.0 - threshold
    )
    return np.asarray(model.fit_predict(np.asarray(matrix, dtype=np.float64)), dtype=np.int64)


@dataclass
class Groups:
    """People as their embedding sums and counts (rows line up with whatever ids the caller keeps)."""

    sums: np.ndarray  # (people, dim) float32
    counts: np.ndarray  # (people,) int64

    @classmethod
    def empty(cls, dim: int) -> Groups:
        return cls(np.empty((0, dim), np.float32), np.empty(0, np.int64))

    def __len__(self) -> int:
        return int(self.counts.size)

    def add_group(self, embeddings: np.ndarray) -> int:
        self.sums = np.vstack([self.sums, embeddings.sum(axis=0, dtype=np.float32)[None, :]])
        self.counts = np.append(self.counts, embeddings.shape[0])
        return len(self) - 1


def assign(groups: Groups, faces: np.ndarray, threshold: float) -> list[int]:
    """The group each of one photo's faces joins (its index in ``groups``), updating ``groups``.

    Best pairs first, and each group takes at most one face of the photo; a face left without a group
    at the threshold starts a new one (appended to ``groups``).
    """
    chosen = [-1] * faces.shape[0]
    if len(groups) and faces.shape[0]:
        means = groups.sums / np.maximum(groups.counts, 1)[:, None].astype(np.float32)
        sims = faces @ means.T  # (faces, people)
        taken: set[int] = set()
        order = np.argsort(-sims, axis=None)
        for flat in order:
            f, g = divmod(int(flat), sims.shape[1])
            if sims[f, g] < threshold:
                break
            if chosen[f] >= 0 or g in taken:
                continue
            chosen[f] = g
            taken.add(g)
    for f, g in enumerate(chosen):
        if g >= 0:
            groups.sums[g] += faces[f]
            groups.counts[g] += 1
        else:
            chosen[f] = groups.add_group(faces[f : f + 1])
    return chosen
