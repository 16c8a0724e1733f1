"""Send jobs only once the transaction that made their data has committed; a rollback drops them."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from eventlens.jobs.queue import JobQueue

log = logging.getLogger("eventlens.jobs")
_KEY = "eventlens.pending_jobs"


def enqueue_after_commit(db: Session, name: str, *args: Any) -> None:
    """Queue ``name(*args)`` to be sent when ``db`` commits (nothing is sent if it rolls back)."""
    db.info.setdefault(_KEY, []).append((name, args))


def install(factory: sessionmaker[Session], queue: JobQueue) -> None:
    """Hook the session factory so pending jobs go out after each commit."""

    @event.listens_for(factory, "after_commit")
    def _send(db: Session) -> None:
        pending = db.info.pop(_KEY, [])
        for name, args in pending:
            try:
                queue.enqueue(name, *args)
            except Exception:
                # The data is committed; the periodic sweep re-sends work that never got queued.
                log.exception("job.enqueue_failed name=%s", name)

    @event.listens_for(factory, "after_rollback")
    def _drop(db: Session) -> None:
        db.info.pop(_KEY, None)
