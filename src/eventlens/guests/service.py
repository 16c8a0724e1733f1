"""What guests do with a published event: see it, open it, search it, download from it.

One entry point per use case, called by the API routes (``guests/endpoints.py``) and the guest page
(``web/guest_pages.py``) alike. Every way to an event's photos goes through ``GuestService.open``:
the event is published, and where it has an access code the guest shows the code or a guest pass.

Each database step is a short transaction of its own (on SQLite a transaction holds the write lock),
never one spanning argon2, selfie decoding or face search. Every method blocks: async routes call
them through ``run_in_threadpool``.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker
from zipstream import ZipStream

from eventlens import metrics
from eventlens.bibs import service as bib_service
from eventlens.bibs import settings as bib_settings
from eventlens.bibs.ranking import with_bib_hits
from eventlens.db import session_scope
from eventlens.errors import ApiError, NotFound
from eventlens.events.branding import branding_of
from eventlens.faces.backend import BackendBusy, FaceBackend, NoFaceFound
from eventlens.faces.index import Match
from eventlens.guests import access
from eventlens.guests.repository import GuestRepository
from eventlens.guests.schemas import PublicEvent
from eventlens.guests.selfie import NO_FACE_MESSAGE, decode_each
from eventlens.models import Event, Photo
from eventlens.photos.filenames import zip_names
from eventlens.ratelimit import RateLimiter
from eventlens.storage.base import ObjectStore
from eventlens.watermark import service as watermarks
from eventlens.watermark.settings import active, downloads_of
from eventlens.webhooks.publisher import publish

log = logging.getLogger("eventlens.guests")


@dataclass(frozen=True)
class GuestLimits:
    """Rate limits (``limits`` strings such as ``20/minute``)."""

    search_per_client: str
    search_per_event: str
    # Wrong access codes share the login limit per client: a code is a password for an event.
    access_per_client: str


@dataclass(frozen=True)
class SearchOutcome:
    event: Event
    hits: list[tuple[Match, Photo]]  # high tier first, best first within a tier
    guest_pass: str
    skipped_selfies: list[int]
    faces_searched: int
    bibs: dict[uuid.UUID, bib_service.BibHit] = field(default_factory=dict)  # photos where the bib was read
    bib_only: frozenset[uuid.UUID] = frozenset()  # found by the bib alone (no face match)


DOWNLOADS_OFF = "The photographer has turned off downloads for this event."


@dataclass(frozen=True)
class GuestImage:
    """Which stored object answers a guest's image request, and how to name it."""

    photo: Photo
    drawing: watermarks.Plan | None  # how to watermark it; None: serve the photo's own objects


@dataclass(frozen=True)
class GuestZip:
    filename: str
    chunks: Iterable[bytes]


class GuestService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        read_sessions: sessionmaker[Session],
        storage: ObjectStore,
        faces: FaceBackend,
        limiter: RateLimiter,
        *,
        secret: str,
        limits: GuestLimits,
        work_dir: Path,
    ) -> None:
        self.sessions = sessions
        self.read_sessions = read_sessions  # lock-free reads (db.py): a guest never waits for a writer
        self.storage = storage
        self.faces = faces
        self.limiter = limiter
        self.secret = secret
        self.limits = limits
        self.marks = watermarks.Watermarks(storage, work_dir)

    # --- the event --------------------------------------------------------------------------------

    def public_view(self, slug: str) -> PublicEvent:
        """What anyone with the link sees of a published event (no code needed for this)."""
        with session_scope(self.read_sessions) as db:
            repo = GuestRepository(db)
            event = self._published(repo, slug)
            cover = self._cover_of(repo, event)
            owner = repo.owner(event)
            look = branding_of(event)
            logo = repo.logo(event.id, look.logo_photo_id) if look.logo_photo_id else None
            return PublicEvent(
                slug=event.slug,
                name=event.name,
                description=event.description,
                starts_at=event.starts_at,
                ends_at=event.ends_at,
                photographer=(owner.public_name or owner.name) if owner else "",
                photographer_url=owner.website if owner else None,
                cover_url=f"/api/public/events/{event.slug}/cover" if cover else None,
                logo_url=f"/api/public/events/{event.slug}/logo" if logo else None,
                accent=look.accent,
                access_code_required=event.access_code_hash is not None,
                photo_count=repo.indexed_count(event.id),
                bib_search=bib_settings.of(event).enabled,
                downloads=downloads_of(event),
                watermarked=active(event) is not None,
            )

    def cover(self, slug: str) -> Photo:
        """The cover photo of a published event: public, like its name."""
        with session_scope(self.read_sessions) as db:
            repo = GuestRepository(db)
            event = repo.published(slug)
            cover = self._cover_of(repo, event) if event else None
        if cover is None:
            raise NotFound("cover")
        return cover

    def logo(self, slug: str) -> Photo:
        """The logo of a published event: public, like its name."""
        with session_scope(self.read_sessions) as db:
            repo = GuestRepository(db)
            event = repo.published(slug)
            look = branding_of(event) if event else None
            logo = repo.logo(event.id, look.logo_photo_id) if event and look and look.logo_photo_id else None
        if logo is None:
            raise NotFound("logo")
        return logo

    def open(self, slug: str, *, code: str | None, guest_pass: str | None) -> Event:
        """The published event, once the guest showed its code or a pass (where it has a code).

        The one access check of the guest side. The code is checked (argon2) outside any transaction.
        """
        with session_scope(self.read_sessions) as db:
            event = self._published(GuestRepository(db), slug)
        access.require_access(event, code=code, token=guest_pass, secret=self.secret)
        return event

    def check_code(self, slug: str, code: str | None, client: str) -> str:
        """A guest pass (24 h) for the right code.

        Every check counts against the client's limit before the code is compared, atomically, so
        concurrent guesses cannot slip past it; a guest checks once and then uses the pass.
        """
        self.limiter.hit(self.limits.access_per_client, "access-code", client)
        try:
            event = self.open(slug, code=code, guest_pass=None)
        except ApiError as exc:
            if exc.status == 403:
                log.info("guest.access_refused slug=%s client=%s", slug, client)
            raise
        return access.make_pass(self.secret, event.id)

    # --- search -----------------------------------------------------------------------------------

    def open_for_search(self, slug: str, *, code: str | None, guest_pass: str | None, client: str) -> Event:
        """The event to search, after the rate limits and the access check (before any selfie is read).

        The event's budget is counted only for guests who passed the check, so strangers without the
        code cannot use it up.
        """
        self.limiter.hit(self.limits.search_per_client, "search-client", client)
        event = self.open(slug, code=code, guest_pass=guest_pass)
        self.limiter.hit(self.limits.search_per_event, "search-event", str(event.id))
        return event

    def search(self, event: Event, selfies: Sequence[bytes]) -> SearchOutcome:
        """The event's photos of the person in the selfies (several photos of one person).

        A face scores its best similarity to any of the selfies, so another selfie can only add
        photos or raise one to a higher tier. The selfies are used here, in memory, and not kept.
        """
        started = time.perf_counter()
        try:
            found = self.faces.search(event.id, decode_each(selfies))
        except NoFaceFound:
            metrics.SEARCHES.labels("no_face").inc()
            raise ApiError(422, "no_face_found", NO_FACE_MESSAGE) from None
        except BackendBusy as exc:
            raise ApiError(
                503, "busy", "Face search is busy; try again in a moment.", headers={"Retry-After": "5"}
            ) from exc
        with session_scope(self.sessions) as db:
            repo = GuestRepository(db)
            photos = {p.id: p for p in repo.photos(event.id, [m.photo_id for m in found.matches])}
            repo.record_search(event.id, len(photos), int((time.perf_counter() - started) * 1000))
            # Counts only: never a face, an image, an embedding or the guest's address.
            publish(db, event, "guest.search", {"search": {"selfies": len(selfies), "matches": len(photos)}})
        hits = [(m, photos[m.photo_id]) for m in found.matches if m.photo_id in photos]
        metrics.SEARCHES.labels("found" if hits else "none").inc()
        metrics.SEARCH_SECONDS.observe(time.perf_counter() - started)
        log.info(
            "guest.search event=%s selfies=%d skipped=%d high=%d possible=%d faces=%d ms=%d",
            event.id,
            len(selfies),
            len(found.skipped),
            sum(1 for m, _ in hits if m.tier == "high"),
            sum(1 for m, _ in hits if m.tier == "possible"),
            found.faces_searched,
            int((time.perf_counter() - started) * 1000),
        )
        return SearchOutcome(
            event=event,
            hits=hits,
            guest_pass=access.make_pass(self.secret, event.id),
            skipped_selfies=found.skipped,
            faces_searched=found.faces_searched,
        )

    def check_bib(self, event: Event, bib: str) -> str:
        """The bib number to search for, checked against the event's format (422), before any upload."""
        return bib_service.check_query(event, bib)

    def search_bib(self, event: Event, selfies: Sequence[bytes], number: str) -> SearchOutcome:
        """Photos where ``number`` was read and, with selfies, the person's photos: both first."""
        started = time.perf_counter()
        by_face = self.search(event, selfies) if selfies else None
        with session_scope(self.sessions) as db:
            repo = GuestRepository(db)
            found = bib_service.find(db, event.id, number)
            photos = repo.photos(event.id, [h.photo_id for h in found])
            if by_face is None:
                repo.record_search(event.id, len(photos), int((time.perf_counter() - started) * 1000))
        outcome = with_bib_hits(
            by_face or SearchOutcome(event, [], access.make_pass(self.secret, event.id), [], 0),
            found,
            photos,
        )
        log.info("guest.bib_search event=%s selfies=%d bib_photos=%d", event.id, len(selfies), len(photos))
        return outcome

    # --- downloads --------------------------------------------------------------------------------

    def _photo(
        self, slug: str, photo_id: uuid.UUID, *, code: str | None, guest_pass: str | None, download: bool
    ) -> tuple[Event, Photo]:
        """One ready photo of the event, with the event; ``download`` counts it as a guest download
        (after checking the event allows them)."""
        event = self.open(slug, code=code, guest_pass=guest_pass)
        if download:
            self._require_downloads(event)
        with session_scope(self.sessions) as db:
            repo = GuestRepository(db)
            photos = repo.photos(event.id, [photo_id])
            if not photos:
                raise NotFound("photo")
            if download:
                repo.record_download(event.id, 1)
        return event, photos[0]

    def image(
        self,
        slug: str,
        photo_id: uuid.UUID,
        variant: watermarks.Variant,
        *,
        code: str | None,
        guest_pass: str | None,
    ) -> GuestImage:
        """What answers a guest's ``preview``, ``thumbnail`` or ``full`` (the download) of a photo.

        With the event's watermark on, previews and thumbnails are the watermarked renditions (drawn
        by ``marks.rendition`` on the first request, then stored). A download follows the event's
        ``downloads``: the original, the watermarked full-size JPEG, or 403 when off.
        """
        event, photo = self._photo(
            slug, photo_id, code=code, guest_pass=guest_pass, download=variant == "full"
        )
        wanted = variant != "full" or downloads_of(event) == "watermarked"
        drawing = self._plan(event) if wanted else None
        if drawing is not None and not photo.has_preview:
            raise ApiError(404, "not_ready", "The preview is not made yet; the photo is still processing.")
        return GuestImage(photo, drawing)

    def cover_image(self, slug: str) -> GuestImage:
        """The cover's preview, watermarked like every other guest preview when the mark is on."""
        with session_scope(self.read_sessions) as db:
            repo = GuestRepository(db)
            event = repo.published(slug)
            cover = self._cover_of(repo, event) if event else None
        if event is None or cover is None:
            raise NotFound("cover")
        return GuestImage(cover, self._plan(event) if cover.has_preview else None)

    def _plan(self, event: Event) -> watermarks.Plan | None:
        if active(event) is None:
            return None
        with session_scope(self.read_sessions) as db:
            logo = watermarks.logo_of(db, event)
            if logo is not None:
                db.expunge(logo)
        return watermarks.plan(event, logo)

    @staticmethod
    def _require_downloads(event: Event) -> None:
        if downloads_of(event) == "off":
            raise ApiError(403, "downloads_off", DOWNLOADS_OFF)

    def zip(
        self,
        slug: str,
        photo_ids: Sequence[uuid.UUID],
        *,
        code: str | None,
        guest_pass: str | None,
    ) -> GuestZip:
        """A ZIP of the chosen originals, made while it is sent (nothing built in memory or on disk)."""
        event = self.open(slug, code=code, guest_pass=guest_pass)
        self._require_downloads(event)
        with session_scope(self.sessions) as db:
            repo = GuestRepository(db)
            photos = repo.photos(event.id, photo_ids)
            if not photos:
                raise NotFound("photo")
            repo.record_download(event.id, len(photos))
        drawing = self._plan(event) if downloads_of(event) == "watermarked" else None
        archive = ZipStream(sized=False)  # photos are already compressed: store them as they are
        if drawing is None:
            names = zip_names(
                [p.original_filename for p in photos], [f"{p.id}.{p.extension}" for p in photos]
            )
            for photo, name in zip(photos, names, strict=True):
                archive.add(self._lazy_chunks(photo.object_key), name)
        else:
            names = zip_names(
                [_as_jpeg(p.original_filename) for p in photos], [f"{p.id}.jpg" for p in photos]
            )
            for photo, name in zip(photos, names, strict=True):
                archive.add(self._lazy_watermarked(photo, drawing), name)
        return GuestZip(filename=f"{event.slug}-photos.zip", chunks=archive)

    # --- helpers ----------------------------------------------------------------------------------

    @staticmethod
    def _cover_of(repo: GuestRepository, event: Event) -> Photo | None:
        """The photographer's pick while guests may see it, else the first photo with a face.

        Computed on reading rather than stored, so the pick stays null until the photographer makes
        one, and the automatic cover follows hiding, deleting and late processing by itself.
        """
        picked = repo.photos(event.id, [event.cover_photo_id]) if event.cover_photo_id else []
        if picked:
            return picked[0]
        auto = repo.first_with_faces(event.id)
        found = repo.photos(event.id, [auto]) if auto else []
        return found[0] if found else None

    @staticmethod
    def _published(repo: GuestRepository, slug: str) -> Event:
        event = repo.published(slug)
        if event is None:
            raise NotFound("event")
        return event

    def _lazy_watermarked(self, photo: Photo, drawing: watermarks.Plan) -> Iterator[bytes]:
        # Drawn (or found in the store) only when the ZIP reaches this photo, one at a time.
        yield from self.storage.iter_chunks(self.marks.rendition(photo, drawing, "full"))

    def _lazy_chunks(self, key: str) -> Iterator[bytes]:
        # Opened only when the ZIP reaches this file: a 500-photo ZIP holds one object open at a time.
        yield from self.storage.iter_chunks(key)


def _as_jpeg(name: str) -> str:
    """The photo's file name with a .jpg extension: a watermarked copy is a JPEG whatever came in."""
    stem = name.rsplit(".", 1)[0] if "." in name.lstrip(".") else name
    return f"{stem}.jpg"
