"""What a crash leaves behind, found and removed: at a worker's start and then every hour.

A process killed mid-way can leave upload spool parts (``DATA_DIR/spool/uploads/upload-*.part``),
work copies of originals (``DATA_DIR/work``), half-written objects (the local store's temp files, S3
multipart uploads) and objects whose photo row was never committed or was deleted meanwhile. Each is
removed only once it is older than ``grace`` (an hour), so nothing still being written is touched.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from eventlens.storage.base import ObjectStore

log = logging.getLogger("eventlens.photos")

GRACE = timedelta(hours=1)


@dataclass(frozen=True)
class Removed:
    spool_parts: int = 0
    work_files: int = 0
    temp_objects: int = 0
    orphan_objects: int = 0

    @property
    def total(self) -> int:
        return self.spool_parts + self.work_files + self.temp_objects + self.orphan_objects


def old_files(folder: Path, pattern: str, before: datetime) -> int:
    """Delete the files in ``folder`` matching ``pattern`` last written before ``before``."""
    if not folder.is_dir():
        return 0
    removed = 0
    for path in folder.glob(pattern):
        with contextlib.suppress(FileNotFoundError):
            if path.is_file() and path.stat().st_mtime < before.timestamp():
                path.unlink()
                removed += 1
    return removed


def _photo_of(key: str) -> uuid.UUID | None:
    """The photo id in ``events/{event}/photos/{photo}.{rest}`` or a watermarked rendition's
    ``events/{event}/watermarked/{photo}/{rest}``; None for any other key."""
    parts = key.split("/")
    if len(parts) == 5 and parts[0] == "events" and parts[2] == "watermarked":
        name = parts[3]
    elif len(parts) == 4 and parts[0] == "events" and parts[2] == "photos":
        name = parts[3].split(".", 1)[0]
    else:
        return None
    try:
        return uuid.UUID(name)
    except ValueError:
        return None


def orphan_objects(
    storage: ObjectStore, existing: Callable[[Iterable[uuid.UUID]], set[uuid.UUID]], before: datetime
) -> int:
    """Delete photo objects written before ``before`` whose photo has no row (``existing`` says which do)."""
    candidates: dict[uuid.UUID, list[str]] = {}
    for key, modified in storage.list_objects("events/"):
        photo_id = _photo_of(key)
        if photo_id is not None and modified < before:
            candidates.setdefault(photo_id, []).append(key)
    if not candidates:
        return 0
    alive = existing(candidates)
    removed = 0
    for photo_id, keys in candidates.items():
        if photo_id in alive:
            continue
        for key in keys:
            storage.delete(key)
            removed += 1
    return removed


def sweep(
    storage: ObjectStore,
    existing: Callable[[Iterable[uuid.UUID]], set[uuid.UUID]],
    *,
    data_dir: Path,
    now: datetime,
    grace: timedelta = GRACE,
) -> Removed:
    before = now - grace
    removed = Removed(
        spool_parts=old_files(data_dir / "spool" / "uploads", "upload-*.part", before),
        work_files=old_files(data_dir / "work", "*", before),
        temp_objects=storage.sweep_temporary(before),
        orphan_objects=orphan_objects(storage, existing, before),
    )
    if removed.total:
        log.warning(
            "photos.leftovers_removed spool_parts=%d work_files=%d temp_objects=%d orphan_objects=%d",
            removed.spool_parts,
            removed.work_files,
            removed.temp_objects,
            removed.orphan_objects,
        )
    return removed
