"""Real fixtures: a migrated database (SQLite file or PostgreSQL), a real object store, the app in-process.

The suite runs in one of two profiles (``EVENTLENS_TEST_PROFILE``):
- ``embedded`` (default): SQLite file, local object store, in-memory rate limits.
- ``scaled``: PostgreSQL at ``EVENTLENS_TEST_PG`` (default 127.0.0.1:5432/test), Redis at
  ``EVENTLENS_TEST_REDIS`` (default redis://127.0.0.1:6379/0), and a SeaweedFS S3 server the suite starts.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
import pytest
import redis
from argon2 import PasswordHasher, profiles
from fastapi.testclient import TestClient
from sqlalchemy import text

from eventlens.app import create_app
from eventlens.auth import passwords
from eventlens.config import Settings
from eventlens.db import Base, make_engine
from eventlens.migrate import upgrade
from tests.support.live_server import LiveServer

if TYPE_CHECKING:
    from tests.support.seaweedfs import SeaweedFS

PROFILE = os.environ.get("EVENTLENS_TEST_PROFILE", "embedded")
if PROFILE not in {"embedded", "scaled"}:
    raise RuntimeError(f"EVENTLENS_TEST_PROFILE must be 'embedded' or 'scaled', not {PROFILE!r}")
PG_URL = os.environ.get("EVENTLENS_TEST_PG", "postgresql+psycopg://127.0.0.1:5432/test")
REDIS_URL = os.environ.get("EVENTLENS_TEST_REDIS", "redis://127.0.0.1:6379/0")
# Under pytest-xdist each worker checks only its own keys: the other workers' tests are still running.
REDIS_TAG = f"eltest-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-"
# The few photos the suite needs live in the repository (tests/data/faces/README.md); the full set is
# for benchmarks only.
DATASET = Path(__file__).resolve().parent / "data" / "faces"


def pytest_report_header() -> str:
    return f"eventlens profile: {PROFILE}"


@pytest.fixture(scope="session", autouse=True)
def no_redis_leftovers() -> Iterator[None]:
    """A scaled run leaves nothing in Redis: every test's keys carry its own prefix and are removed."""
    yield
    if PROFILE == "scaled":
        client = redis.Redis.from_url(REDIS_URL)
        try:
            left = [k.decode() for k in client.scan_iter(match=f"*{REDIS_TAG}*", count=1000)]
        finally:
            client.close()
        assert left == [], f"the tests left Redis keys behind: {sorted(left)[:20]}"


_CHEAP = PasswordHasher.from_parameters(profiles.CHEAPEST)
_CHEAP_DUMMY = _CHEAP.hash("not a real password, only here for timing")


@pytest.fixture(autouse=True)
def cheap_password_hashing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id at its cheapest, as argon2-cffi advises for tests: a few hundred sign-ups and logins
    would otherwise spend minutes hashing. Tests about the cost itself (login floods) are marked
    ``real_password_cost``; processes the tests start (serve, gateways, cluster) always pay it."""
    if request.node.get_closest_marker("real_password_cost") is None:
        monkeypatch.setattr(passwords, "_hasher", _CHEAP)
        monkeypatch.setattr(passwords, "_DUMMY_HASH", _CHEAP_DUMMY)


@pytest.fixture(scope="session")
def dataset() -> Path:
    if not (DATASET / "identities").is_dir():
        pytest.fail(f"test photos not found at {DATASET} (they are part of the repository)")
    return DATASET


def _pg_admin_dsn() -> str:
    return PG_URL.replace("postgresql+psycopg://", "postgresql://")


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated once for the session: SQLite template file, or a fresh PostgreSQL database."""
    if PROFILE == "embedded":
        path = tmp_path_factory.mktemp("db") / "template.db"
        url = f"sqlite:///{path}"
        upgrade(url)
        yield url
        return
    name = f"eventlens_t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_pg_admin_dsn(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade(url)
        yield url
    finally:
        with psycopg.connect(_pg_admin_dsn(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def database_url(migrated_database: str, tmp_path: Path) -> Iterator[str]:
    """A clean, migrated database for one test."""
    if migrated_database.startswith("sqlite"):
        path = tmp_path / "eventlens.db"
        shutil.copyfile(migrated_database.removeprefix("sqlite:///"), path)
        yield f"sqlite:///{path}"
        return
    yield migrated_database
    engine = make_engine(migrated_database)
    with engine.begin() as conn:
        names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} CASCADE"))
    engine.dispose()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedFS | None]:
    if PROFILE != "scaled":
        yield None
        return
    from tests.support.seaweedfs import run_seaweedfs

    with run_seaweedfs(tmp_path_factory.mktemp("weed")) as server:
        yield server


@pytest.fixture
def settings(database_url: str, tmp_path: Path, s3_server: SeaweedFS | None) -> Iterator[Settings]:
    """Settings for one test; in the scaled profile each test gets its own bucket and Redis prefix.

    Whatever the test left in Redis under its prefix (queue, rate-limit counters) is removed after it.
    """
    values: dict[str, object] = {
        "data_dir": tmp_path / "data",
        "database_url": database_url,
        "secret_key": "test-secret-key",
        "base_url": "https://testserver",
        "log_level": "DEBUG",
    }
    if s3_server is not None:
        values |= {
            "storage": "s3",
            "s3_endpoint_url": s3_server.endpoint_url,
            "s3_access_key_id": s3_server.access_key,
            "s3_secret_access_key": s3_server.secret_key,
            "s3_region": s3_server.region,
            "s3_bucket": f"t-{uuid.uuid4().hex[:16]}",
            "redis_url": REDIS_URL,
            "redis_prefix": f"{REDIS_TAG}{uuid.uuid4().hex[:12]}",
        }
    made = Settings(**values)  # type: ignore[arg-type]
    yield made
    if made.redis_url:
        _drop_redis_keys(made.redis_url, made.redis_prefix)


def _drop_redis_keys(url: str, prefix: str) -> None:
    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"*{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
def app(settings: Settings):  # type: ignore[no-untyped-def]
    return create_app(settings)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    # https: the session cookie is Secure, and httpx (like a browser) keeps it off plain http.
    with TestClient(app, base_url="https://testserver") as c:
        yield c


@pytest.fixture
def new_client(app):  # type: ignore[no-untyped-def]
    """Make more independent browsers (own cookie jars) on the same app."""
    made: list[TestClient] = []

    def make() -> TestClient:
        c = TestClient(app, base_url="https://testserver")
        c.__enter__()
        made.append(c)
        return c

    yield make
    for c in made:
        c.__exit__(None, None, None)


@pytest.fixture
def live_server(settings: Settings) -> Iterator[LiveServer]:
    """The app on a real socket (uvicorn in a thread) with its job consumer; ``.url`` is its address."""
    with LiveServer(settings) as server:
        yield server
