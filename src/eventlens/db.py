"""Database engine, session factories and the declarative base shared by all models.

One session style: a service takes ``(db: Session, ...)`` and never commits; whoever opened the
session (the request dependency ``DbSession``, a job, a CLI command, or ``session_scope``) commits it.
A use case that must do slow work between two short units (a guest search: read, decode and infer,
record; an upload: check, spool, store) takes session factories instead and opens each unit itself
with ``session_scope``, so no transaction spans the slow part (``GuestService``, ``photos.ingest``).

SQLite allows one writer at a time, and with WAL readers never wait for it. The rule that keeps every
request fast follows from that:
- A read-only unit of work (``read_only=True``; every GET/HEAD request's ``DbSession``) begins a plain
  deferred transaction: it takes no lock and never queues behind a writer.
- Any other unit of work begins ``BEGIN IMMEDIATE``: it takes the write lock at its first statement
  (so it cannot fail half-way on a lock upgrade) and holds it until it commits. So it must be short:
  no argon2 hashing, image decoding, model inference or network call inside it. Do that work first,
  outside any session, then open the write transaction (``session_scope``) to record the result.
PostgreSQL needs neither; the same code runs there unchanged.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, TypeDecorator, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> uuid.UUID:
    return uuid.uuid4()


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every engine (SQLite keeps no zone, so we add it back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def make_engine(url: str, *, busy_timeout: float = 30.0, **kwargs: Any) -> Engine:
    """An engine with the settings each backend needs (WAL and foreign keys on SQLite).

    ``busy_timeout``: seconds a SQLite statement waits for another writer's lock before it fails with
    "database is locked" (the API answers that 503, ``eventlens.errors``)."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": busy_timeout})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy's transaction control BEGIN, so that pysqlite doesn't defer it.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # IMMEDIATE takes the write lock up front: no "database is locked" on upgrade mid-transaction.
            # Read-only units of work take no lock at all (module docstring).
            read_only = conn.get_execution_options().get(READ_ONLY, False)
            conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)


READ_ONLY = "eventlens_read_only"


def make_session_factory(engine: Engine, *, read_only: bool = False) -> sessionmaker[Session]:
    """Sessions for units of work; ``read_only`` ones take no SQLite write lock (module docstring)."""
    bind = engine.execution_options(**{READ_ONLY: True}) if read_only else engine
    return sessionmaker(bind=bind, expire_on_commit=False, autoflush=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A unit of work: commits when the block ends normally, rolls back on error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
