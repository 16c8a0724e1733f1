"""The repository's test photos: each one listed in SOURCES.tsv, from a source that publishes it openly.

Only photos that their source repository ships as example or test data under an open licence may be
committed (tests/data/faces/README.md). LFW (umass-vis-lfw) and Linzaer demo photos never are:
benchmarks read those from the full dataset outside the repository.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

ALLOWED_SOURCES = {
    "ageitgey/face_recognition",
    "serengil/deepface",
    "davisking/dlib",
    "scikit-image/scikit-image",
}
COLUMNS = ["path", "source_repo", "source_path", "licence_or_note"]
NOT_PHOTOS = {
    "SOURCES.tsv",
    "README.md",
    "FACE_BOXES.tsv",
}  # FACE_BOXES: the dataset's boxes of the photos here
LAYOUT = re.compile(r"identities/[A-Za-z_-]+/\d+\.(jpg|png|webp)|(groups|nofaces)/[\w.-]+\.(jpg|png|webp)")
BUDGET = 10 * 2**20  # a clone stays small; bigger sets are for benchmarks


def _rows(dataset: Path) -> list[dict[str, str]]:
    with (dataset / "SOURCES.tsv").open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f, delimiter="\t")
        assert reader.fieldnames == COLUMNS
        return list(reader)


def _photos(dataset: Path) -> set[str]:
    return {
        p.relative_to(dataset).as_posix()
        for p in dataset.rglob("*")
        if p.is_file() and p.relative_to(dataset).as_posix() not in NOT_PHOTOS
    }


def test_the_test_photos_live_inside_the_repository(dataset: Path) -> None:
    repository = Path(__file__).resolve().parents[1]
    assert dataset.resolve().is_relative_to(repository)
    assert not any(p.is_symlink() for p in dataset.rglob("*")), "a symlink could point outside the clone"


def test_every_photo_is_listed_and_every_listed_photo_exists(dataset: Path) -> None:
    listed = [row["path"] for row in _rows(dataset)]
    assert len(listed) == len(set(listed)), "a photo is listed twice"
    photos = _photos(dataset)
    assert not photos - set(listed), "unlisted: add each file's row from the dataset's MANIFEST.tsv"
    assert not set(listed) - photos, "listed in SOURCES.tsv but missing"
    assert all(LAYOUT.fullmatch(p) for p in photos), sorted(p for p in photos if not LAYOUT.fullmatch(p))


@pytest.mark.parametrize("forbidden", ["umass-vis-lfw/umass-vis-lfw.github.io", "Linzaer/"])
def test_no_photo_comes_from_a_forbidden_source(dataset: Path, forbidden: str) -> None:
    assert [r["path"] for r in _rows(dataset) if r["source_repo"].startswith(forbidden)] == []


def test_every_photo_names_an_allowed_source_commit_and_licence(dataset: Path) -> None:
    for row in _rows(dataset):
        repo, _, commit = row["source_repo"].partition("@")
        assert repo in ALLOWED_SOURCES, row
        assert re.fullmatch(r"[0-9a-f]{12,40}", commit), row
        assert row["source_path"] and row["licence_or_note"], row


def test_the_photos_stay_small(dataset: Path) -> None:
    assert sum((dataset / p).stat().st_size for p in _photos(dataset)) < BUDGET
