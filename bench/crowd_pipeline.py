"""Run crowd scenes through whichever EventLens is importable (``PYTHONPATH=<tree>/src``): raw results.

Like ``eventlens.faces.accuracy``: a throw-away embedded install in a temp dir, one event, each scene
ingested and processed by the real code, then each identity's held-out selfie searched in the event.
Nothing is scored here; ``crowd_score`` does that, so two trees are always scored by the same code.
Calls into EventLens that a refactor may change live in :func:`ingest_and_process`, :func:`set_face_detail`
and :func:`search_event`, and nowhere else.
"""

from __future__ import annotations

import functools
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np


class StepTimer:
    """Wall and CPU time of named module functions, by wrapping them while a scene is processed."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}
        self._undo: list[Callable[[], None]] = []

    def wrap(self, name: str, module: object, attribute: str) -> None:
        original = getattr(module, attribute, None)
        if original is None:
            return

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            t0, c0 = time.perf_counter(), time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                self.spent[name] = self.spent.get(name, 0.0) + time.perf_counter() - t0
                cpu = f"{name}_cpu"
                self.spent[cpu] = self.spent.get(cpu, 0.0) + time.process_time() - c0

        setattr(module, attribute, timed)
        self._undo.append(lambda: setattr(module, attribute, original))

    def restore(self) -> None:
        while self._undo:
            self._undo.pop()()

    def take(self) -> dict[str, float]:
        spent, self.spent = self.spent, {}
        return spent


def _config(ctx: Any) -> Any:
    """The install's plain settings: ``ctx.site`` since the settings refactor, ``ctx.settings`` before."""
    return getattr(ctx, "site", None) or ctx.settings


def ingest_and_process(
    ctx: Any, user: Any, event_id: uuid.UUID, path: Path, spool: Path
) -> tuple[uuid.UUID, float, float]:
    """Store ``path`` as a photo of the event, then run the processing job on it; wall time of each."""
    from eventlens.models import PhotoSource
    from eventlens.photos import processing
    from eventlens.photos.service import ingest_file
    from eventlens.photos.spool import spool_stream

    t0 = time.perf_counter()
    with path.open("rb") as fh, spool_stream(fh, spool, 200 * 1024 * 1024) as spooled:
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
            max_pixels=_config(ctx).max_pixels,
        )
    t1 = time.perf_counter()
    processing.process(ctx, stored.photo_id)
    return stored.photo_id, t1 - t0, time.perf_counter() - t1


def set_face_detail(db: Any, event_id: uuid.UUID, face_detail: str) -> str:
    """Set the event's ``face_detail`` when this tree's Event model has it; what was applied."""
    from eventlens.models import Event

    if not hasattr(Event, "face_detail"):
        return "n/a (no face_detail setting in this tree)"
    event = db.get(Event, event_id)
    column = getattr(Event.__table__.c, "face_detail", None)
    enum_class = getattr(getattr(column, "type", None), "enum_class", None)
    event.face_detail = enum_class(face_detail) if enum_class else face_detail
    return face_detail


def search_event(
    ctx: Any, event_id: uuid.UUID, embedding: np.ndarray
) -> list[tuple[uuid.UUID, float, list[float]]]:
    """The event's photos matching a selfie at the engine's threshold: (photo, similarity, face box)."""
    index = ctx.face_search.cache.get(event_id, ctx.face_engine.engine_id)
    matches = index.search(embedding, ctx.face_engine.match_threshold, 100_000)
    return [(m.photo_id, float(m.similarity), [float(v) for v in m.box]) for m in matches]


def measure(
    scenes_dir: Path, dataset: Path, face_detail: str, progress: Callable[[str], None]
) -> dict[str, Any]:
    """Index every scene of ``scenes_dir`` in a fresh event, search every selfie; raw figures."""
    from sqlalchemy import select

    import eventlens
    from eventlens.app import build_context
    from eventlens.auth.service import create_user
    from eventlens.config import Settings
    from eventlens.db import session_scope
    from eventlens.events.schemas import EventCreate
    from eventlens.events.service import create_event
    from eventlens.guests.selfie import decode_selfie
    from eventlens.migrate import upgrade
    from eventlens.models import Face, Photo, Role
    from eventlens.photos import imaging, processing

    params = json.loads((scenes_dir / "params.json").read_text())
    scenes = sorted(scenes_dir.glob("scene-*.json"))
    with tempfile.TemporaryDirectory(prefix="eventlens-crowd-") as tmp:
        settings = Settings(
            data_dir=Path(tmp), database_url="", storage="local", redis_url=None, log_level="WARNING"
        )
        upgrade(settings.resolved_database_url)
        ctx = build_context(settings)
        timer = StepTimer()
        timer.wrap("decode", imaging, "load_for_analysis")
        timer.wrap("full_decode", imaging, "load_full_resolution")  # crowd events (small-faces)
        timer.wrap("faces", processing, "detect_faces")
        try:
            ctx.face_engine.warm_up()
            with session_scope(ctx.sessions) as db:
                user = create_user(
                    db, email="bench@example.com", password="benchmark-only", name="Bench", role=Role.admin
                )
                event = create_event(db, user, EventCreate(name="Crowd"))
                applied = set_face_detail(db, event.id, face_detail)
            spool = Path(tmp) / "spool"
            spool.mkdir()
            photos: list[dict[str, Any]] = []
            scene_of: dict[uuid.UUID, str] = {}
            for i, meta_path in enumerate(scenes):
                meta = json.loads(meta_path.read_text())
                progress(f"processing {meta['image']} ({i + 1}/{len(scenes)})")
                timer.take()
                cpu0 = time.process_time()
                photo_id, ingest_s, process_s = ingest_and_process(
                    ctx, user, event.id, scenes_dir / meta["image"], spool
                )
                cpu = time.process_time() - cpu0
                scene_of[photo_id] = meta["image"]
                with session_scope(ctx.sessions) as db:
                    photo = db.get(Photo, photo_id)
                    status = str(getattr(photo, "status", "?"))
                    rows = db.scalars(select(Face).where(Face.photo_id == photo_id)).all()
                    # Trees with small-face handling keep faces too small or blurred to search, flagged.
                    boxes = [
                        {
                            "box": [r.box_x, r.box_y, r.box_w, r.box_h],
                            "searchable": bool(getattr(r, "searchable", True)),
                            "skip_reason": getattr(r, "skip_reason", None),
                        }
                        for r in rows
                    ]
                photos.append(
                    {
                        "image": meta["image"],
                        "status": status,
                        "ingest_s": ingest_s,
                        "process_s": process_s,
                        "cpu_s": cpu,
                        "steps": timer.take(),
                        "detections": boxes,
                    }
                )
            progress("searching selfies")
            found: dict[str, list[dict[str, Any]]] = {}
            no_face: list[str] = []
            search_ms: list[float] = []
            for person, selfie in sorted(params["selfies"].items()):
                face = ctx.face_engine.embed_largest(decode_selfie((dataset / selfie).read_bytes()))
                if face is None:
                    no_face.append(person)
                    continue
                t0 = time.perf_counter()
                matches = search_event(ctx, event.id, face.embedding)
                search_ms.append((time.perf_counter() - t0) * 1000)
                found[person] = [
                    {"image": scene_of.get(pid, str(pid)), "similarity": s, "box": box}
                    for pid, s, box in matches
                ]
        finally:
            timer.restore()
            ctx.engine.dispose()
    return {
        "eventlens": str(Path(eventlens.__file__).resolve().parents[1]),
        "engine": f"{ctx.face_engine.engine_id} {ctx.face_engine.version}",
        "threshold": ctx.face_engine.match_threshold,
        "face_detail": applied,
        "photos": photos,
        "found": found,
        "no_face_selfies": no_face,
        "search_ms_median": statistics.median(search_ms) if search_ms else None,
    }
