"""A database that stays locked or cannot be reached is 503 ``database_busy`` with ``Retry-After``
(a 503 page outside /api), never a 500.

SQLite: another connection holds the write lock past the (short) busy timeout. PostgreSQL: the URL
points at a port where nothing listens. Both run on either profile: each test makes its own database.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from eventlens.app import create_app
from eventlens.auth.dependencies import SESSION_COOKIE
from eventlens.config import Settings
from eventlens.migrate import upgrade
from tests.factories import api_token, assert_error, signup
from tests.web.test_error_pages import error_page


def _settings(tmp_path: Path, database_url: str, **more: object) -> Settings:
    return Settings(  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key="test-secret-key",
        base_url="https://testserver",
        **more,
    )


@pytest.fixture
def sqlite_file(tmp_path: Path) -> str:
    path = tmp_path / "busy.db"
    upgrade(f"sqlite:///{path}")
    return str(path)


@pytest.fixture
def locked_app(tmp_path: Path, sqlite_file: str) -> Iterator[tuple[TestClient, sqlite3.Connection]]:
    app = create_app(_settings(tmp_path, f"sqlite:///{sqlite_file}", db_busy_timeout=0.3))
    with TestClient(app, base_url="https://testserver") as client:
        other = sqlite3.connect(sqlite_file, timeout=0.3, isolation_level=None)
        try:
            yield client, other
        finally:
            other.close()


def test_a_locked_sqlite_database_answers_503_with_retry_after(
    locked_app: tuple[TestClient, sqlite3.Connection],
) -> None:
    client, other = locked_app
    signup(client)
    token = api_token(client)
    bearer = {"Authorization": f"Bearer {token}"}
    other.execute("BEGIN IMMEDIATE")  # another writer holds the lock longer than the busy timeout
    r = client.post("/api/events", json={"name": "Locked out"}, headers=bearer)
    err = assert_error(r, 503, "database_busy")
    assert "busy" in err["message"]
    assert int(r.headers["Retry-After"]) > 0
    page = client.post("/events", data={"name": "Locked out", "csrf_token": "x"}, follow_redirects=False)
    error_page(page, 503)
    assert int(page.headers["Retry-After"]) > 0
    other.execute("ROLLBACK")
    r = client.post("/api/events", json={"name": "Free again"}, headers=bearer)
    assert r.status_code == 201, r.text  # the lock gone, the same request works


def test_an_unreachable_postgresql_answers_503_with_retry_after(tmp_path: Path) -> None:
    # Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    app = create_app(_settings(tmp_path, "postgresql+psycopg://eventlens@127.0.0.1:9/eventlens"))
    with TestClient(app, base_url="https://testserver") as client:
        r = client.get("/api/events", headers={"Authorization": "Bearer el_not_checked_yet"})
        assert_error(r, 503, "database_busy")
        assert int(r.headers["Retry-After"]) > 0
        r = client.post("/api/auth/login", json={"email": "a@example.com", "password": "whatever-it-is"})
        assert_error(r, 503, "database_busy")
        client.cookies.set(SESSION_COOKIE, "a-session-the-database-must-look-up")
        error_page(client.get("/events"), 503)


@pytest.mark.parametrize(
    ("driver_error", "status", "code"),
    [
        (sqlite3.OperationalError("database is locked"), 503, "database_busy"),
        (sqlite3.OperationalError("database or disk is full"), 507, "insufficient_storage"),
        (sqlite3.OperationalError("attempt to write a readonly database"), 507, "insufficient_storage"),
    ],
)
def test_database_failures_map_to_their_answer(driver_error: Exception, status: int, code: str) -> None:
    from sqlalchemy.exc import OperationalError

    from eventlens.errors import database_error

    answer = database_error(OperationalError("INSERT ...", {}, driver_error))
    assert (answer.status, answer.code) == (status, code)
    if status == 503:
        assert answer.headers is not None and int(answer.headers["Retry-After"]) > 0
