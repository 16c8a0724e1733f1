"""Keeping a photo's lease alive while its worker works on it.

The lease is short (``job_lease_seconds``, 20 s by default) so that a killed worker's photos are taken
over within seconds; a live worker renews it every third of that, so a slow photo (a crowd event's tiled
pass can take minutes) is never taken from a worker that is still busy with it.
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import timedelta
from types import TracebackType

from sqlalchemy.orm import Session, sessionmaker

from eventlens.db import session_scope, utcnow
from eventlens.photos.repository import PhotoRepository

log = logging.getLogger("eventlens.photos")


class LeaseKeeper:
    """A thread that renews one photo's lease until the ``with`` block ends or the lease is lost."""

    def __init__(
        self, sessions: sessionmaker[Session], photo_id: uuid.UUID, token: str, lease: timedelta
    ) -> None:
        self._sessions = sessions
        self._photo_id = photo_id
        self._token = token
        self._lease = lease
        self._interval = max(lease.total_seconds() / 3, 0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{photo_id}", daemon=True)
        self.lost = False

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                with session_scope(self._sessions) as db:
                    kept = PhotoRepository(db).renew(self._photo_id, self._token, utcnow() + self._lease)
            except Exception as exc:  # a busy or briefly unreachable database: try again next beat
                log.warning("photo.lease_renew_failed id=%s error=%s", self._photo_id, exc)
                continue
            if not kept:
                # Deleted, or taken over after we stalled for a whole lease: _finish will notice too.
                self.lost = True
                log.info("photo.lease_lost id=%s", self._photo_id)
                return
