"""A face dataset laid out like ../shared/datasets/faces, and what it says about who is where.

identities/<person>/* are photos of one labelled person (the main, central face); groups/* are
group photos, GROUP_MEMBERS.tsv says which labelled people are in which, FACE_BOXES.tsv gives
hand-drawn face boxes for some of them; nofaces/* have no face at all.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".heic"}
Box = tuple[float, float, float, float]  # x, y, width, height in pixels of the original


def _images(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)


def _natural(path: Path) -> tuple[int, str]:
    """identities/X/2.jpg before identities/X/10.jpg: a person's "first photo" is the one named 1."""
    return (int(path.stem), path.name) if path.stem.isdigit() else (1 << 30, path.name)


@dataclass(frozen=True)
class Dataset:
    root: Path

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def people(self) -> list[str]:
        folder = self.root / "identities"
        return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []

    def photos_of(self, person: str) -> list[str]:
        """The person's own photos (identities/<person>/), first photo first."""
        return [self.rel(p) for p in sorted(_images(self.root / "identities" / person), key=_natural)]

    def files(self) -> list[str]:
        return [
            *(rel for person in self.people() for rel in self.photos_of(person)),
            *(self.rel(p) for p in _images(self.root / "groups")),
            *(self.rel(p) for p in _images(self.root / "nofaces")),
        ]

    @cached_property
    def group_members(self) -> dict[str, set[str]]:
        """group photo (relative path) -> the labelled people in it."""
        members: dict[str, set[str]] = {}
        for row in self._tsv("GROUP_MEMBERS.tsv"):
            names = (row.get("known_identities_in_this_set") or "").split(",")
            members[row["path"]] = {n.strip() for n in names if n.strip() and n.strip() != "-"}
        return members

    @cached_property
    def face_boxes(self) -> dict[str, list[Box]]:
        """group photo -> every annotated face box (ground truth for detection)."""
        boxes: dict[str, list[Box]] = {}
        for row in self._tsv("FACE_BOXES.tsv"):
            box = (float(row["left"]), float(row["top"]), float(row["width"]), float(row["height"]))
            boxes.setdefault(row["path"], []).append(box)
        return boxes

    def people_in(self, rel: str) -> set[str]:
        """Who is known to be in a photo: the labelled person of an identity photo, a group's members."""
        parts = rel.split("/")
        if parts[0] == "identities" and len(parts) >= 3:
            return {parts[1]}
        return set(self.group_members.get(rel, set()))

    def _tsv(self, name: str) -> list[dict[str, str]]:
        path = self.root / name
        if not path.exists():
            return []
        with path.open(newline="") as fh:
            return list(csv.DictReader(fh, delimiter="\t"))
