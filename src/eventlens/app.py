"""The web application: ``create_app(settings)`` builds every long-lived part once."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from eventlens import api_docs, health, metrics, security
from eventlens.auth import endpoints as auth_endpoints
from eventlens.config import Settings
from eventlens.context import AppContext, SiteConfig
from eventlens.cpu import CpuPool, default_threads
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
from eventlens.members import endpoints as members_endpoints
from eventlens.photos import endpoints as photos_endpoints
from eventlens.ratelimit import RateLimiter
from eventlens.storage.base import ObjectStore
from eventlens.web import (
    account_pages,
    event_forms,
    event_pages,
    ftp_pages,
    guest_pages,
    member_pages,
    settings_pages,
)
from eventlens.web.error_page import error_page
from eventlens.web.rendering import STATIC_DIR


def build_storage(settings: Settings) -> ObjectStore:
    """The configured object store; the stores themselves take plain values, never the settings."""
    if settings.storage == "s3":
        from eventlens.storage.s3 import S3ObjectStore

        secret = settings.s3_secret_access_key
        return S3ObjectStore(
            settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=secret.get_secret_value() if secret else None,
            region=settings.s3_region,
            signed_url_seconds=settings.s3_signed_url_seconds,
        )
    from eventlens.storage.local import LocalObjectStore

    root = settings.resolved_storage_dir
    root.mkdir(parents=True, exist_ok=True)
    return LocalObjectStore(root)


def _image_origins(settings: Settings) -> list[str]:
    """Where image routes may redirect browsers to (signed URLs of the S3 store)."""
    if settings.storage != "s3":
        return []
    origin = security.origin_of(settings.s3_endpoint_url)
    return [origin] if origin else ["https://*.amazonaws.com"]


def site_config(settings: Settings) -> SiteConfig:
    """The plain values requests and jobs need, read from the settings here and nowhere else."""
    from eventlens.ftp import derived
    from eventlens.ftp.gateway.tls import CERT_NAME

    return SiteConfig(
        base_url=settings.base_url,
        secret=settings.secret,
        data_dir=settings.data_dir,
        signup_open=settings.signup_open,
        session_days=settings.session_days,
        cookie_secure=settings.cookie_secure,
        login_rate_limit=settings.login_rate_limit,
        search_rate_limit=settings.search_rate_limit,
        search_rate_limit_event=settings.search_rate_limit_event,
        ftp_login_rate_limit=settings.ftp_login_rate_limit,
        max_upload_mb=settings.max_upload_mb,
        max_pixels=settings.max_pixels,
        job_lease_seconds=settings.job_lease_seconds,
        ftp_public_host=derived.public_host(settings),
        ftp_port=settings.ftp_port,
        ftp_implicit_port=settings.ftp_implicit_port,
        ftp_allow_plain=settings.ftp_allow_plain,
        ftp_cert_path=settings.ftp_cert_file or settings.data_dir / "ftp" / CERT_NAME,
        ftp_service_token=derived.service_token(settings),
    )


def build_context(settings: Settings) -> AppContext:
    """Everything long-lived, built once per process (web app, worker, or both in ``serve``)."""
    import eventlens.jobs.catalog  # noqa: F401  (declares every job before the queue binds them)

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url, busy_timeout=settings.db_busy_timeout)
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
        site=site_config(settings),
        engine=engine,
        sessions=sessions,
        read_sessions=make_session_factory(engine, read_only=True),
        storage=build_storage(settings),
        limiter=RateLimiter(settings.redis_url, key_prefix=settings.redis_prefix),
        queue=queue,
        face_engine=engine_,
        face_search=FaceSearch(sessions, engine_),
        cpu=CpuPool(default_threads()),
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
    settings = settings or Settings()
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
        docs_url=None,  # served by api_docs from the installed package, not a CDN
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    app.add_middleware(
        security.SecurityHeaders,
        base_url=settings.base_url,
        hosts=security.allowed_hosts(settings.base_url, settings.allowed_hosts.split(",")),
        image_origins=_image_origins(settings),
    )
    install_error_handlers(app, page=error_page)
    api_docs.install(app)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(auth_endpoints.router)
    app.include_router(events_endpoints.router)
    app.include_router(events_live.router)
    app.include_router(photos_endpoints.router)
    app.include_router(guests_endpoints.router)
    app.include_router(ftp_endpoints.router)
    app.include_router(members_endpoints.router)
    app.include_router(ftp_internal.router, include_in_schema=False)  # the gateway's, not the public API
    app.include_router(account_pages.router)
    app.include_router(settings_pages.router)
    app.include_router(event_pages.router)
    app.include_router(event_forms.router)
    app.include_router(guest_pages.router)
    app.include_router(ftp_pages.router)
    app.include_router(member_pages.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
