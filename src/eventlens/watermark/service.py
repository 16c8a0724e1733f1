"""Watermarked renditions: drawn once per photo and settings, kept in the object store, served from there.

Keys hold the settings' fingerprint (``photos.keys.watermarked_key``), so a change of the watermark or
the logo simply asks for other keys; the old renditions are removed by a job (``forget_stale``) and
everything goes with the photo or the event. Two first requests at once in one process draw once (a
lock per key); across processes both may draw, and the store's atomic writes keep one whole copy.

Memory: the preview-sized renditions decode a 1600 px preview. A full-size download decodes the whole
original through the decode budget (``photos.decode_budget``), and at most ``FULL_AT_ONCE`` of them are
drawn at a time in a process, so N watermarked downloads at once cost at most that many photos.
"""

from __future__ import annotations

import io
import logging
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image, ImageOps
from sqlalchemy.orm import Session

from eventlens import metrics
from eventlens.errors import NotFound
from eventlens.events.branding import branding_of
from eventlens.models import Event, Photo
from eventlens.photos import imaging, keys
from eventlens.photos.decode_budget import budget
from eventlens.storage.base import ObjectNotFound, ObjectStore
from eventlens.watermark import fonts, render
from eventlens.watermark.settings import Watermark, active, fingerprint

log = logging.getLogger("eventlens.watermark")

Variant = Literal["preview", "thumbnail", "full"]
NAMES: dict[str, str] = {"preview": "preview.webp", "thumbnail": "thumb.webp", "full": "full.jpg"}
FULL_AT_ONCE = 2
FULL_QUALITY = 90
LOGO_SIDE = 1200  # the logo is drawn from a copy at most this big: a mark is never wider than a photo
_LOGO_MAX_PIXELS = 50_000_000

_full_renders = threading.BoundedSemaphore(FULL_AT_ONCE)


class _KeyedLocks:
    """One lock per key, alive only while someone holds or waits for it."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, tuple[threading.Lock, int]] = {}

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        with self._guard:
            lock, users = self._locks.get(key, (threading.Lock(), 0))
            self._locks[key] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            with self._guard:
                lock, users = self._locks[key]
                if users == 1:
                    del self._locks[key]
                else:
                    self._locks[key] = (lock, users - 1)


_locks = _KeyedLocks()


@dataclass(frozen=True)
class Plan:
    """What a rendition of this event is drawn with, and the fingerprint naming it."""

    mark: Watermark
    font: fonts.Font | None
    logo: Photo | None
    fingerprint: str


def plan(event: Event, logo: Photo | None) -> Plan | None:
    """The event's drawing plan; None when it has no watermark. ``logo``: its branding logo's row.

    A logo mark whose photo was deleted since falls back to the event's name as text, rather than
    showing guests a clean photo the photographer meant to mark.
    """
    mark = active(event)
    if mark is None:
        return None
    if mark.kind == "logo" and logo is None:
        mark = mark.model_copy(update={"kind": "text", "text": event.name})
    if mark.kind == "logo":
        assert logo is not None
        return Plan(mark, None, logo, fingerprint(mark, (str(logo.id), logo.sha256), None))
    font = fonts.font_for(mark.text) or fonts.PILLOW_DEFAULT
    return Plan(mark, font, None, fingerprint(mark, None, font.name))


def rendition_key(photo: Photo, drawing: Plan, variant: Variant) -> str:
    return keys.watermarked_key(photo.event_id, photo.id, drawing.fingerprint, NAMES[variant])


class Watermarks:
    def __init__(self, storage: ObjectStore, work_dir: Path) -> None:
        self.storage = storage
        self.work_dir = work_dir

    def stored(self, photo: Photo, drawing: Plan, variant: Variant) -> str | None:
        """The rendition's key when it is in the store already (no drawing), else None."""
        key = rendition_key(photo, drawing, variant)
        return key if self.storage.exists(key) else None

    def rendition(self, photo: Photo, drawing: Plan, variant: Variant) -> str:
        """The key of the photo's watermarked ``variant``, drawn and stored first when it is not there."""
        key = rendition_key(photo, drawing, variant)
        if self.storage.exists(key):
            return key
        # Preview and thumbnail are drawn together: one lock for both.
        lock_key = key if variant == "full" else rendition_key(photo, drawing, "preview")
        with _locks.hold(lock_key):
            if self.storage.exists(key):  # drawn by whoever held the lock before us
                return key
            started = time.perf_counter()
            try:
                if variant == "full":
                    self._draw_full(photo, drawing, key)
                else:
                    self._draw_small(photo, drawing)
            except ObjectNotFound as exc:  # deleted meanwhile, or its preview is being made again
                raise NotFound("image") from exc
            metrics.WATERMARK_RENDERS.labels("full" if variant == "full" else "small").inc()
            log.info(
                "watermark.drawn photo=%s variant=%s ms=%d",
                photo.id,
                variant,
                int((time.perf_counter() - started) * 1000),
            )
        return key

    def _draw_small(self, photo: Photo, drawing: Plan) -> None:
        with self.storage.open(keys.preview_key(photo.event_id, photo.id)) as f:
            data = f.read()
        with Image.open(io.BytesIO(data)) as im, budget.reserve(im.width * im.height * 4 * 3):
            base = im.convert("RGB")
            render.stamp(base, drawing.mark, font=drawing.font, logo=self.logo(drawing))
            made = imaging.renditions_of(base)
        self.storage.put_stream(
            rendition_key(photo, drawing, "preview"), io.BytesIO(made.preview_webp), "image/webp"
        )
        self.storage.put_stream(
            rendition_key(photo, drawing, "thumbnail"), io.BytesIO(made.thumbnail_webp), "image/webp"
        )

    def _draw_full(self, photo: Photo, drawing: Plan, key: str) -> None:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        side = max(photo.width or 0, photo.height or 0) or 65_535
        with (
            _full_renders,
            tempfile.NamedTemporaryFile(dir=self.work_dir, suffix=f".{photo.extension}") as src,
            tempfile.NamedTemporaryFile(dir=self.work_dir, suffix=".jpg") as out,
        ):
            with self.storage.open(photo.object_key) as f:
                shutil.copyfileobj(f, src, 1024 * 1024)
            src.flush()
            logo = self.logo(drawing)
            # Decoded through the decode budget (imaging); upright and sRGB like the previews.
            image = imaging.load_for_analysis(Path(src.name), side).image
            try:
                render.stamp(image, drawing.mark, font=drawing.font, logo=logo)
                # No EXIF: the pixels are upright already, and a shared copy carries no GPS or serials.
                image.save(out, format="JPEG", quality=FULL_QUALITY)
            finally:
                image.close()
            out.flush()
            self.storage.put_file(key, Path(out.name), "image/jpeg")

    def logo(self, drawing: Plan) -> Image.Image | None:
        return load_logo(self.storage, drawing.logo) if drawing.logo is not None else None


def load_logo(storage: ObjectStore, photo: Photo) -> Image.Image:
    """The logo with its transparency (from the original: previews are flattened on white)."""
    pixels = (photo.width or 0) * (photo.height or 0)
    key = photo.object_key if 0 < pixels <= _LOGO_MAX_PIXELS else keys.preview_key(photo.event_id, photo.id)
    with storage.open(key) as f:
        data = f.read()
    with Image.open(io.BytesIO(data)) as im, budget.reserve(max(pixels, 1) * 4 * 2):
        im.draft("RGB", (LOGO_SIDE, LOGO_SIDE))  # a JPEG logo decodes at a reduced scale
        upright = ImageOps.exif_transpose(im)
        logo = upright.convert("RGBA")
    logo.thumbnail((LOGO_SIDE, LOGO_SIDE))
    return logo


def forget_stale(storage: ObjectStore, event_id: uuid.UUID, keep: str | None) -> int:
    """Remove the event's renditions not drawn with the fingerprint ``keep`` (all of them for None)."""
    removed = 0
    for key in list(storage.list_keys(keys.watermarked_prefix(event_id))):
        if keep is None or key.rsplit("/", 1)[-1].split(".", 1)[0] != keep:
            storage.delete(key)
            removed += 1
    return removed


def forget_photo(storage: ObjectStore, photo: Photo) -> None:
    storage.delete_prefix(keys.watermarked_prefix(photo.event_id, photo.id))


def logo_of(db: Session, event: Event) -> Photo | None:
    """The event's branding logo's photo row (hidden ones too), None without one."""
    logo_id = branding_of(event).logo_photo_id
    photo = db.get(Photo, logo_id) if logo_id else None
    return photo if photo is not None and photo.event_id == event.id and photo.has_preview else None


def current_fingerprint(db: Session, event_id: uuid.UUID) -> str | None:
    event = db.get(Event, event_id)
    drawing = plan(event, logo_of(db, event)) if event is not None else None
    return drawing.fingerprint if drawing else None


SAMPLE_SIZE = (480, 320)


def sample(db: Session, storage: ObjectStore, event: Event, mark: Watermark) -> bytes:
    """A small WebP of ``mark`` (saved or not) on a neutral sample, for the settings form's preview."""
    width, height = SAMPLE_SIZE
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    sky = np.stack([90 + 80 * x / width, 120 + 60 * y / height, 170 - 40 * x / width], axis=-1)
    image = Image.fromarray(sky.clip(0, 255).astype(np.uint8), "RGB")
    logo_row = logo_of(db, event) if mark.kind == "logo" else None
    text_ok = mark.kind == "text" and mark.text.strip()
    if text_ok or logo_row is not None:
        font = fonts.font_for(mark.text) or fonts.PILLOW_DEFAULT
        logo = load_logo(storage, logo_row) if logo_row is not None else None
        render.stamp(image, mark, font=font, logo=logo)
    buf = io.BytesIO()
    image.save(buf, format="WEBP", quality=80)
    return buf.getvalue()
