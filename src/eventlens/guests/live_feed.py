"""The venue's live screen (``/e/{slug}/live``): a published event's newly indexed photos as they arrive.

A ``LiveFeed`` remembers what one open screen has been told. Its first look sends the latest photos
(something to show at once); each later look sends the photos that became visible since, and the ids of
photos the photographer hid since, so the screen drops them (a deleted photo's image stops loading, and
the screen drops it then).
Like the dashboard's stream it reads the database (workers may run on other machines): a few indexed
queries per look, each in a short read transaction of its own.

``LiveViewers`` counts the screens open in this process, for the dashboard and /metrics: approximate
across several API processes, which is what a "how many screens are on" gauge needs.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from eventlens.db import session_scope, utcnow
from eventlens.guests import access
from eventlens.guests.live_repository import LiveRepository
from eventlens.guests.repository import GuestRepository
from eventlens.models import Photo, PhotoStatus

# As the dashboard's stream: rows are re-read over this window so a change committed a moment late is
# not skipped; what was already sent is filtered out.
OVERLAP = timedelta(seconds=5)
BACKLOG = 30  # photos sent when a screen connects
PER_LOOK = 200


@dataclass(frozen=True)
class LivePhoto:
    id: uuid.UUID
    preview_url: str
    width: int | None
    height: int | None
    face_count: int


@dataclass
class LiveLook:
    shown: list[LivePhoto] = field(default_factory=list)
    dropped: list[uuid.UUID] = field(default_factory=list)
    gone: bool = False  # unpublished or deleted: the screen stops


class LiveFeed:
    """What one open live screen has been sent so far (memory bounded by the overlap window)."""

    def __init__(
        self,
        read_sessions: sessionmaker[Session],
        *,
        event_id: uuid.UUID,
        slug: str,
        secret: str,
        faces_only: bool,
    ) -> None:
        self.read_sessions = read_sessions
        self.event_id, self.slug, self.secret = event_id, slug, secret
        self.faces_only = faces_only
        self.since: datetime | None = None
        self.sent: dict[uuid.UUID, datetime] = {}

    def look(self) -> LiveLook:
        with session_scope(self.read_sessions) as db:
            event = GuestRepository(db).published(self.slug)
            if event is None or event.id != self.event_id:
                return LiveLook(gone=True)
            repo = LiveRepository(db)
            if self.since is None:
                self.since = utcnow() - OVERLAP
                latest = repo.latest(self.event_id, faces_only=self.faces_only, limit=BACKLOG)
                for photo in latest:
                    self.sent[photo.id] = photo.updated_at
                return LiveLook(shown=[self._item(p) for p in reversed(latest)])
            rows = repo.changed_since(self.event_id, self.since - OVERLAP, limit=PER_LOOK)
        look = LiveLook()
        for photo in rows:
            if self.sent.get(photo.id) == photo.updated_at:
                continue
            self.sent[photo.id] = photo.updated_at
            if self._shows(photo):
                look.shown.append(self._item(photo))
            elif photo.hidden:
                look.dropped.append(photo.id)
        if rows:
            self.since = max(self.since, rows[-1].updated_at)
        horizon = self.since - OVERLAP
        self.sent = {k: v for k, v in self.sent.items() if v >= horizon}
        return look

    def _shows(self, photo: Photo) -> bool:
        return (
            photo.status == PhotoStatus.indexed
            and not photo.hidden
            and photo.has_preview
            and (photo.face_count > 0 or not self.faces_only)
        )

    def _item(self, photo: Photo) -> LivePhoto:
        # A pass in each URL: an <img> cannot send the access code, and the screen may run for hours.
        guest_pass = access.make_pass(self.secret, self.event_id)
        return LivePhoto(
            id=photo.id,
            preview_url=f"/api/public/events/{self.slug}/photos/{photo.id}/preview?t={guest_pass}",
            width=photo.width,
            height=photo.height,
            face_count=photo.face_count,
        )


class LiveViewers:
    """Live screens open in this process, by event."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: Counter[uuid.UUID] = Counter()

    def opened(self, event_id: uuid.UUID) -> None:
        with self._lock:
            self._open[event_id] += 1

    def closed(self, event_id: uuid.UUID) -> None:
        with self._lock:
            self._open[event_id] -= 1
            if self._open[event_id] <= 0:
                del self._open[event_id]

    def count(self, event_id: uuid.UUID) -> int:
        with self._lock:
            return self._open.get(event_id, 0)

    def total(self) -> int:
        with self._lock:
            return sum(self._open.values())
