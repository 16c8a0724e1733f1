"""Selfie-to-photo retrieval accuracy through the real pipeline (``eventlens bench accuracy``).

The dataset (laid out like ../shared/datasets/faces: identities/<person>/*, groups/, nofaces/) is
indexed as one event by the real ingest and processing code. For each person with two or more photos,
their first photo is the selfie; the photos that should come back are the person's other photos plus
the group photos GROUP_MEMBERS.tsv says they are in. The selfie photo itself is left out of the scoring.
"""

from __future__ import annotations

import csv
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from eventlens.config import Settings
from eventlens.db import session_scope
from eventlens.guests.selfie import decode_selfie
from eventlens.models import PhotoSource, Role
from eventlens.photos import processing
from eventlens.photos.errors import IngestError
from eventlens.photos.service import ingest_file
from eventlens.photos.spool import spool_stream

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".heic"}
THRESHOLDS = [round(t, 2) for t in np.arange(0.20, 0.62, 0.02)]


@dataclass
class Query:
    person: str
    selfie: Path
    relevant: set[uuid.UUID]
    ranked: list[tuple[uuid.UUID, float]] = field(default_factory=list)  # best similarity per photo


@dataclass
class Report:
    photos: int
    faces: int
    queries: list[Query]
    no_face_selfies: list[str]
    index_seconds: float
    search_ms: list[float]
    names: dict[uuid.UUID, str] = field(default_factory=dict)

    def at(self, threshold: float) -> tuple[float, float]:
        """Micro-averaged precision and recall of the returned photos at ``threshold``."""
        tp = returned = relevant = 0
        for q in self.queries:
            got = {pid for pid, s in q.ranked if s >= threshold}
            tp += len(got & q.relevant)
            returned += len(got)
            relevant += len(q.relevant)
        return (tp / returned if returned else 1.0, tp / relevant if relevant else 0.0)

    def false_matches(self, threshold: float, n: int = 10) -> list[tuple[str, str, float]]:
        """The most similar wrong answers at ``threshold``: (selfie's person, returned photo, similarity)."""
        wrong = [
            (q.person, self.names.get(pid, str(pid)), s)
            for q in self.queries
            for pid, s in q.ranked
            if s >= threshold and pid not in q.relevant
        ]
        return sorted(wrong, key=lambda w: -w[2])[:n]

    def rank_measures(self) -> dict[str, float]:
        rank1, p10, r20 = [], [], []
        for q in self.queries:
            order = [pid for pid, _s in q.ranked]
            rank1.append(1.0 if order and order[0] in q.relevant else 0.0)
            top10 = order[:10]
            p10.append(len(set(top10) & q.relevant) / min(10, len(q.relevant)))
            r20.append(len(set(order[:20]) & q.relevant) / len(q.relevant))
        return {"rank1": float(np.mean(rank1)), "p10": float(np.mean(p10)), "r20": float(np.mean(r20))}

    def choose(self, min_precision: float = 0.99) -> float:
        """The threshold with the best recall among those reaching ``min_precision``."""
        best, best_recall = THRESHOLDS[-1], -1.0
        for t in THRESHOLDS:
            p, r = self.at(t)
            if p >= min_precision and r > best_recall:
                best, best_recall = t, r
        return best


def _group_members(dataset: Path) -> dict[str, set[str]]:
    """person -> group photo paths (relative) they appear in."""
    members: dict[str, set[str]] = {}
    tsv = dataset / "GROUP_MEMBERS.tsv"
    if not tsv.exists():
        return members
    with tsv.open(newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            for person in (row.get("known_identities_in_this_set") or "").split(","):
                if person.strip() and person.strip() != "-":
                    members.setdefault(person.strip(), set()).add(row["path"])
    return members


def _images(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)


def run(dataset: Path, progress: Callable[[str, int, int], None] = lambda _s, _i, _n: None) -> Report:
    """Index the dataset as one event in a throw-away embedded install, then search every selfie."""
    from eventlens.app import build_context
    from eventlens.auth.service import create_user
    from eventlens.events.schemas import EventCreate
    from eventlens.events.service import create_event
    from eventlens.migrate import upgrade

    with tempfile.TemporaryDirectory(prefix="eventlens-accuracy-") as tmp:
        settings = Settings(
            data_dir=Path(tmp), database_url="", storage="local", redis_url=None, log_level="WARNING"
        )
        upgrade(settings.resolved_database_url)
        ctx = build_context(settings)
        try:
            with session_scope(ctx.sessions) as db:
                user = create_user(
                    db,
                    email="bench@example.com",
                    password="benchmark-only",  # noqa: S106 (a throw-away install)
                    name="Bench",
                    role=Role.admin,
                )
                event = create_event(db, user, EventCreate(name="Accuracy"))
            files = [
                *_images(dataset / "identities"),
                *_images(dataset / "groups"),
                *_images(dataset / "nofaces"),
            ]
            photo_of: dict[str, uuid.UUID] = {}
            started = time.perf_counter()
            spool = Path(tmp) / "spool"
            spool.mkdir()
            for i, path in enumerate(files):
                progress("indexing", i, len(files))
                with path.open("rb") as fh, spool_stream(fh, spool, 200 * 1024 * 1024) as spooled:
                    try:
                        stored = ingest_file(
                            ctx.sessions,
                            ctx.storage,
                            event_id=event.id,
                            path=spooled.path,
                            sha256=spooled.sha256,
                            size=spooled.size,
                            filename=path.name,
                            source=PhotoSource.cli,
                            uploader=user,
                            max_pixels=settings.max_pixels,
                        )
                    except IngestError:
                        continue
                processing.process(ctx, stored.photo_id)
                photo_of[str(path.relative_to(dataset))] = stored.photo_id
            index_seconds = time.perf_counter() - started
            progress("indexing", len(files), len(files))

            groups = _group_members(dataset)
            queries: list[Query] = []
            no_face: list[str] = []
            search_ms: list[float] = []
            people = sorted(p for p in (dataset / "identities").iterdir() if p.is_dir())
            for i, person in enumerate(people):
                progress("searching", i, len(people))
                photos = [p for p in _images(person) if str(p.relative_to(dataset)) in photo_of]
                if len(photos) < 2:
                    continue
                selfie, rest = photos[0], photos[1:]
                relevant = {photo_of[str(p.relative_to(dataset))] for p in rest}
                relevant |= {photo_of[g] for g in groups.get(person.name, set()) if g in photo_of}
                face = ctx.face_engine.embed_largest(decode_selfie(selfie.read_bytes()))
                if face is None:
                    no_face.append(str(selfie.relative_to(dataset)))
                    continue
                t0 = time.perf_counter()
                index = ctx.face_search.cache.get(event.id, ctx.face_engine.engine_id)
                matches = index.search(face.embedding, threshold=-1.0, limit=100_000)
                search_ms.append((time.perf_counter() - t0) * 1000)
                skip = photo_of[str(selfie.relative_to(dataset))]
                q = Query(person.name, selfie, relevant)
                q.ranked = [(m.photo_id, m.similarity) for m in matches if m.photo_id != skip]
                queries.append(q)
            progress("searching", len(people), len(people))
            faces = ctx.face_search.cache.sizes()["faces"]
            names = {pid: rel for rel, pid in photo_of.items()}
            return Report(len(photo_of), faces, queries, no_face, index_seconds, search_ms, names)
        finally:
            ctx.engine.dispose()
