"""Migrations build the whole schema on an empty database, and match the models."""

from __future__ import annotations

import uuid

import psycopg
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from eventlens.db import Base, make_engine
from eventlens.migrate import is_current, upgrade
from tests.conftest import PG_URL


def _check_fresh(url: str) -> None:
    upgrade(url)
    engine = make_engine(url)
    try:
        assert is_current(engine)
        tables = set(inspect(engine).get_table_names())
        assert {t.name for t in Base.metadata.sorted_tables} <= tables
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        upgrade(url)  # running it again is a no-op
    finally:
        engine.dispose()


def test_migrations_upgrade_an_empty_sqlite_database(tmp_path) -> None:  # type: ignore[no-untyped-def]
    _check_fresh(f"sqlite:///{tmp_path / 'fresh.db'}")


def test_migrations_upgrade_an_empty_postgresql_database() -> None:
    admin = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    name = f"eventlens_m_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        _check_fresh(PG_URL.rsplit("/", 1)[0] + f"/{name}")
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
