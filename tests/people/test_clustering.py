"""The grouping rule on its own: average linkage in full, one step of it for each new photo."""

from __future__ import annotations

import numpy as np

from eventlens.people import clustering


def _people(
    rng: np.random.Generator, centres: int, each: int, spread: float
) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors scattered around ``centres`` random directions (128-d, like SFace)."""
    base = rng.normal(size=(centres, 128))
    rows = np.repeat(base, each, axis=0) + rng.normal(scale=spread, size=(centres * each, 128))
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    return rows.astype(np.float32), np.repeat(np.arange(centres), each)


def test_full_grouping_finds_each_person_once() -> None:
    matrix, truth = _people(np.random.default_rng(1), centres=6, each=5, spread=0.08)
    labels = clustering.cluster(matrix, threshold=0.4)
    assert len(set(labels.tolist())) == 6
    for person in range(6):
        assert len(set(labels[truth == person].tolist())) == 1


def test_one_face_and_no_face() -> None:
    assert clustering.cluster(np.ones((1, 4), np.float32) / 2, 0.4).tolist() == [0]
    assert clustering.cluster(np.empty((0, 4), np.float32), 0.4).size == 0


def test_a_new_face_joins_the_nearest_person_or_starts_one() -> None:
    matrix, _truth = _people(np.random.default_rng(2), centres=3, each=3, spread=0.08)
    groups = clustering.Groups.empty(128)
    for i in range(0, 9, 3):
        groups.add_group(matrix[i : i + 3])
    close = matrix[4] + np.float32(0.01)
    stranger = np.random.default_rng(3).normal(size=128).astype(np.float32)
    faces = np.vstack([close / np.linalg.norm(close), stranger / np.linalg.norm(stranger)])
    assert clustering.assign(groups, faces, threshold=0.4) == [1, 3]
    assert groups.counts.tolist() == [3, 4, 3, 1]
    assert np.allclose(groups.sums[3], faces[1])


def test_two_faces_of_one_photo_never_join_the_same_person() -> None:
    matrix, _truth = _people(np.random.default_rng(4), centres=1, each=3, spread=0.05)
    groups = clustering.Groups.empty(128)
    groups.add_group(matrix[:2])
    chosen = clustering.assign(groups, np.vstack([matrix[2], matrix[2]]), threshold=0.4)
    assert sorted(chosen) == [0, 1] and len(groups) == 2
