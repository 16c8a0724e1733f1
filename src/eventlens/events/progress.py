"""An event's processing as an open page follows it: the counts, and each photo whose row changed.

Workers may run in other processes or on other machines, so this reads the database: a few indexed
queries per look, no message bus. A ``ProgressWatcher`` remembers what one page has been told, so each
look returns only what is new.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from eventlens.db import utcnow
from eventlens.events import service
from eventlens.events.permissions import Action
from eventlens.events.repository import EventRepository
from eventlens.models import Photo, User

# Rows are re-read over this window so a change committed a moment late (clock skew between
# machines, a long transaction) is not skipped; what was already sent is filtered out.
OVERLAP = timedelta(seconds=5)
PHOTOS_PER_LOOK = 500


class ProgressWatcher:
    """What one open page has been sent so far."""

    def __init__(self, user: User, event_id: uuid.UUID) -> None:
        self.user, self.event_id = user, event_id
        self.counts: str | None = None
        self.since: datetime = utcnow() - OVERLAP
        self.sent: dict[uuid.UUID, tuple[str, datetime]] = {}

    def look(self, db: Session) -> tuple[str | None, list[Photo]]:
        """The counts (as JSON) when they changed since the last look, and the photos that changed.

        Raises ``NotFound`` when the event is gone (deleted meanwhile): the stream ends.
        """
        service.get_event_for(db, self.user, self.event_id, Action.view)
        repo = EventRepository(db)
        counts = repo.counts([self.event_id])[self.event_id].model_dump_json()
        rows = repo.photos_changed_since(self.event_id, self.since - OVERLAP, limit=PHOTOS_PER_LOOK)
        changed = []
        for photo in rows:
            stamp = (photo.status.value, photo.updated_at)
            if self.sent.get(photo.id) != stamp:
                self.sent[photo.id] = stamp
                changed.append(photo)
        if rows:
            self.since = max(self.since, rows[-1].updated_at)
        # Forget what fell out of the window: memory stays bounded on a long-open page.
        horizon = self.since - OVERLAP
        self.sent = {k: v for k, v in self.sent.items() if v[1] >= horizon}
        if counts == self.counts:
            return None, changed
        self.counts = counts
        return counts, changed
