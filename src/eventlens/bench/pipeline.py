"""Index a face dataset as one event through the real ingest and processing code, then embed selfies.

Everything the accuracy measures need comes out of here as plain arrays (``Indexed``): the event's
faces exactly as the search index holds them, which photo each face is in, and each person's first
photos decoded the way a guest's selfie is. The measures themselves (scoring.py, calibrate.py, ...)
never touch the application.
"""

from __future__ import annotations

import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from eventlens.bench.dataset import Dataset

if TYPE_CHECKING:
    from eventlens.context import AppContext
    from eventlens.models import User

Progress = Callable[[str, int, int], None]
MAX_SELFIES = 3


@dataclass
class Indexed:
    """One dataset indexed by one engine: faces as the search index holds them, selfies per person."""

    engine_id: str
    match_threshold: float
    possible_threshold: float
    paths: list[str]  # photo slot -> dataset-relative path (first file with those bytes)
    sizes: list[tuple[int, int]]  # photo slot -> (width, height) of the upright original
    matrix: np.ndarray  # (faces, dim) unit embeddings
    boxes: np.ndarray  # (faces, 4) x, y, width, height in original pixels
    face_photo: np.ndarray  # (faces,) photo slot of each face
    slot_of: dict[str, int]  # dataset-relative path -> photo slot (duplicates share one)
    # person -> embedding of each of their first MAX_SELFIES photos decoded as a selfie (None: no face)
    selfies: dict[str, list[np.ndarray | None]] = field(default_factory=dict)
    ingest_seconds: float = 0.0
    process_seconds: float = 0.0
    files: int = 0
    selfie_ms: list[float] = field(default_factory=list)
    search_ms: list[float] = field(default_factory=list)
    # False for Rekognition (bench/rekognition.py): rows are similarities to each selfie, not faces'
    # embeddings, so face-to-face measures (look-alikes) do not apply.
    has_embeddings: bool = True

    _sims: dict[str, np.ndarray] | None = field(default=None, repr=False)

    def selfie_sims(self, person: str) -> np.ndarray:
        """Similarity of every face to each of the person's selfies that has a face (faces x selfies).

        Computed for everyone in one product: hundreds of small ones cost seconds on a busy machine.
        """
        if self._sims is None:
            found = [(p, e) for p, embs in self.selfies.items() for e in embs if e is not None]
            every = self.matrix @ np.stack([e for _p, e in found]).T if found else np.empty((self.faces, 0))
            columns: dict[str, list[int]] = {}
            for i, (p, _e) in enumerate(found):
                columns.setdefault(p, []).append(i)
            self._sims = {p: np.asarray(every[:, cols]) for p, cols in columns.items()}
        return self._sims.get(person, np.empty((self.faces, 0), dtype=np.float32))

    @property
    def photos(self) -> int:
        return len(self.paths)

    @property
    def faces(self) -> int:
        return int(self.face_photo.size)


def _store(ctx: AppContext, event_id: uuid.UUID, user: User, path: Path) -> uuid.UUID | None:
    """Ingest one file the way an upload is ingested; None when the product refuses it.

    The only call into the ingest code, so a change of its signature is mended here.
    """
    from eventlens.models import PhotoSource
    from eventlens.photos.errors import IngestError
    from eventlens.photos.service import ingest_file
    from eventlens.photos.spool import spool_stream

    spool = ctx.site.data_dir / "spool"
    spool.mkdir(exist_ok=True)
    with path.open("rb") as fh, spool_stream(fh, spool, 200 * 1024 * 1024) as spooled:
        try:
            stored = ingest_file(
                ctx.sessions,
                ctx.storage,
                event_id=event_id,
                path=spooled.path,
                sha256=spooled.sha256,
                size=spooled.size,
                filename=path.name,
                source=PhotoSource.cli,
                uploader=user,
                max_pixels=ctx.site.max_pixels,
            )
        except IngestError:
            return None
    return stored.photo_id


def _embed_selfie(ctx: AppContext, path: Path) -> np.ndarray | None:
    from eventlens.guests.selfie import decode_selfie

    face = ctx.face_engine.embed_largest(decode_selfie(path.read_bytes()))
    return None if face is None else np.asarray(face.embedding, dtype=np.float32)


def run(data: Dataset, progress: Progress = lambda _s, _i, _n: None) -> Indexed:
    """Index ``data`` as one event in a throw-away embedded install (the engine from the settings)."""
    from eventlens.app import build_context
    from eventlens.auth.service import create_user
    from eventlens.config import Settings
    from eventlens.db import session_scope
    from eventlens.events.schemas import EventCreate
    from eventlens.events.service import create_event
    from eventlens.migrate import upgrade
    from eventlens.models import Photo, Role
    from eventlens.photos import processing

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
            ctx.faces.warm_up()  # model loading is not time per photo
            photo_of: dict[str, uuid.UUID] = {}
            ingest_s = process_s = 0.0
            files = data.files()
            for i, rel in enumerate(files):
                progress("indexing", i, len(files))
                t0 = time.perf_counter()
                pid = _store(ctx, event.id, user, data.root / rel)
                t1 = time.perf_counter()
                if pid is None:
                    continue
                if pid not in photo_of.values():
                    processing.process(ctx, pid)
                ingest_s += t1 - t0
                process_s += time.perf_counter() - t1
                photo_of[rel] = pid
            progress("indexing", len(files), len(files))
            if ctx.faces.engine_id == "rekognition":
                from eventlens.bench import rekognition

                base = {"ingest_seconds": ingest_s, "process_seconds": process_s, "files": len(photo_of)}
                return rekognition.indexed(ctx, event.id, data, photo_of, progress, base)

            index = ctx.face_search.cache.get(event.id, ctx.face_engine.engine_id)
            slots = {pid: i for i, pid in enumerate(index.photos)}
            # Photos without a face are not in the index: give them slots after the others.
            for pid in photo_of.values():
                slots.setdefault(pid, len(slots))
            order = sorted(slots, key=slots.__getitem__)
            first_path = {pid: rel for rel, pid in reversed(photo_of.items())}
            with session_scope(ctx.sessions) as db:
                dims = {p.id: (p.width or 0, p.height or 0) for p in db.query(Photo).all()}
            indexed = Indexed(
                engine_id=ctx.face_engine.engine_id,
                match_threshold=ctx.face_engine.match_threshold,
                possible_threshold=ctx.face_engine.possible_threshold,
                paths=[first_path[pid] for pid in order],
                sizes=[dims.get(pid, (0, 0)) for pid in order],
                matrix=np.array(index.matrix, dtype=np.float32),
                boxes=np.array(index.boxes, dtype=np.float32),
                face_photo=np.array(index.slots, dtype=np.int64),
                slot_of={rel: slots[pid] for rel, pid in photo_of.items()},
                ingest_seconds=ingest_s,
                process_seconds=process_s,
                files=len(photo_of),
            )

            people = data.people()
            for i, person in enumerate(people):
                progress("selfies", i, len(people))
                embeddings: list[np.ndarray | None] = []
                for rel in data.photos_of(person)[:MAX_SELFIES]:
                    t0 = time.perf_counter()
                    embeddings.append(_embed_selfie(ctx, data.root / rel))
                    indexed.selfie_ms.append((time.perf_counter() - t0) * 1000)
                indexed.selfies[person] = embeddings
                first = embeddings[0] if embeddings else None
                if first is not None:
                    t0 = time.perf_counter()
                    ctx.face_search.search(event.id, first[np.newaxis, :])
                    indexed.search_ms.append((time.perf_counter() - t0) * 1000)
            progress("selfies", len(people), len(people))
            return indexed
        finally:
            ctx.engine.dispose()
