"""The web application: ``create_app(settings)`` builds every long-lived part once."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from eventlens import health, metrics
from eventlens.auth import endpoints as auth_endpoints
from eventlens.config import Settings
from eventlens.context import AppContext
from eventlens.db import make_engine, make_session_factory
from eventlens.errors import install_error_handlers
from eventlens.events import endpoints as events_endpoints
from eventlens.events import live as events_live
from eventlens.faces.engine.registry import load_engine
from eventlens.faces.service import FaceSearch
from eventlens.ftp import endpoints as ftp_endpoints
from eventlens.ftp import internal as ftp_internal
from eventlens.guests import endpoints as guests_endpoints
from eventlens.jobs import after_commit
from eventlens.jobs.queue import JobQueue, build_huey
from eventlens.jobs.worker import start_embedded
from eventlens.logs import configure_logging
from eventlens.photos import endpoints as photos_endpoints
from eventlens.ratelimit import RateLimiter
from eventlens.storage.factory import build_storage
from eventlens.web import account_pages, event_forms, event_pages, ftp_pages, guest_pages, settings_pages
from eventlens.web.error_page import error_page
from eventlens.web.rendering import STATIC_DIR


def build_context(settings: Settings) -> AppContext:
    """Everything long-lived, built once per process (web app, worker, or both in ``serve``)."""
    import eventlens.jobs.catalog  # noqa: F401  (declares every job before the queue binds them)

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url)
    sessions = make_session_factory(engine)
    huey = build_huey(
        redis_url=settings.redis_url,
        name=f"{settings.redis_prefix}-jobs",
        sqlite_path=settings.data_dir / "queue.db",
    )
    engine_ = load_engine(settings.face_engine)
    holder: list[AppContext] = []
    queue = JobQueue(huey, context_provider=lambda: holder[0])
    after_commit.install(sessions, queue)
    ctx = AppContext(
        settings=settings,
        engine=engine,
        sessions=sessions,
        storage=build_storage(settings),
        limiter=RateLimiter(settings.redis_url, key_prefix=settings.redis_prefix),
        queue=queue,
        face_engine=engine_,
        face_search=FaceSearch(sessions, engine_),
    )
    holder.append(ctx)
    return ctx


def create_app(
    settings: Settings | None = None,
    ctx: AppContext | None = None,
    *,
    run_jobs: bool = False,
    warm_up: bool = False,
) -> FastAPI:
    """The web app. ``run_jobs``: also consume the job queue in this process (``eventlens serve``).

    ``warm_up``: load the face engine at startup, in the background, so the first guest's search does
    not wait for the models.
    """
    settings = settings or (ctx.settings if ctx else Settings())
    configure_logging(settings.log_level)
    ctx = ctx or build_context(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        consumer = start_embedded(ctx.queue, settings.worker_threads) if run_jobs else None
        if warm_up:
            threading.Thread(target=ctx.face_engine.warm_up, name="face-engine-warm-up", daemon=True).start()
        try:
            yield
        finally:
            if consumer is not None:
                consumer.stop(graceful=True)
            ctx.engine.dispose()

    app = FastAPI(
        title="EventLens",
        version="0.1.0",
        summary="Event photos: every face indexed; guests find theirs with a selfie.",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    install_error_handlers(app, page=error_page)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(auth_endpoints.router)
    app.include_router(events_endpoints.router)
    app.include_router(events_live.router)
    app.include_router(photos_endpoints.router)
    app.include_router(guests_endpoints.router)
    app.include_router(ftp_endpoints.router)
    app.include_router(ftp_internal.router)
    app.include_router(account_pages.router)
    app.include_router(settings_pages.router)
    app.include_router(event_pages.router)
    app.include_router(event_forms.router)
    app.include_router(guest_pages.router)
    app.include_router(ftp_pages.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
