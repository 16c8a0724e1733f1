"""The web application: ``create_app(settings)`` builds every long-lived part once."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp

from eventlens import api_docs, health, metrics, security
from eventlens.auth import clerk
from eventlens.auth import endpoints as auth_endpoints
from eventlens.auth.oidc import IdentityProvider, OidcConfig
from eventlens.auth.oidc import display_name as oidc_display_name
from eventlens.config import Settings
from eventlens.context import AppContext, SiteConfig
from eventlens.cpu import CpuPool, default_threads
from eventlens.db import make_engine, make_session_factory
from eventlens.errors import ApiError, error_response, install_error_handlers
from eventlens.events import endpoints as events_endpoints
from eventlens.events import live as events_live
from eventlens.faces.backend import FaceBackend
from eventlens.faces.engine.registry import load_engine
from eventlens.ftp import endpoints as ftp_endpoints
from eventlens.ftp import internal as ftp_internal
from eventlens.guests import endpoints as guests_endpoints
from eventlens.guests import live as guests_live
from eventlens.hiding import endpoints as hiding_endpoints
from eventlens.jobs import after_commit
from eventlens.jobs.queue import JobQueue, build_huey
from eventlens.jobs.worker import start_embedded
from eventlens.logs import configure_logging
from eventlens.members import endpoints as members_endpoints
from eventlens.notify import endpoints as notify_endpoints
from eventlens.people import endpoints as people_endpoints
from eventlens.photos import direct_endpoints as photos_direct_endpoints
from eventlens.photos import endpoints as photos_endpoints
from eventlens.ratelimit import RateLimiter
from eventlens.storage.base import ObjectStore
from eventlens.web import (
    account_pages,
    brand_pages,
    event_forms,
    event_pages,
    ftp_pages,
    guest_pages,
    live_pages,
    member_pages,
    notify_pages,
    oidc_pages,
    removal_pages,
    settings_pages,
    webhook_pages,
)
from eventlens.web.error_page import error_page
from eventlens.web.rendering import STATIC_DIR
from eventlens.webhooks import endpoints as webhooks_endpoints


class EventLensApp(FastAPI):
    """FastAPI with one layer outside the whole stack: Starlette's catch-all for unhandled exceptions
    sits outside every ``add_middleware`` layer, so headers added there would miss its 500."""

    outermost: Callable[[ASGIApp], ASGIApp] | None = None

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        return self.outermost(stack) if self.outermost is not None else stack


async def _unknown_host(request: Request) -> Response:
    exc = ApiError(400, "unknown_host", "This server does not answer to that host name.")
    return await error_response(request, exc, error_page)


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


def _direct_uploads(settings: Settings, storage: ObjectStore) -> bool:
    """Whether browsers may send files straight to the bucket: asked for, and its CORS rule set."""
    from eventlens.storage.s3 import S3ObjectStore

    if not (settings.s3_direct_uploads and isinstance(storage, S3ObjectStore)):
        return False
    origin = security.origin_of(settings.base_url)
    return bool(origin) and storage.allow_browser_uploads(origin or "")


def _image_origins(settings: Settings) -> list[str]:
    """Where image routes may redirect browsers to (signed URLs of the S3 store)."""
    if settings.storage != "s3":
        return []
    origin = security.origin_of(settings.s3_endpoint_url)
    return [origin] if origin else ["https://*.amazonaws.com"]


def build_identity_provider(settings: Settings) -> IdentityProvider | None:
    """The configured OpenID Connect provider; nothing is fetched from it until first use."""
    issuer = settings.oidc_issuer.strip()
    if not issuer:
        return None
    secret = settings.oidc_client_secret
    config = OidcConfig(
        issuer=issuer,
        client_id=settings.oidc_client_id.strip(),
        client_secret=secret.get_secret_value() if secret else None,
        scopes=settings.oidc_scopes.strip() or "openid",
        redirect_uri=settings.base_url.rstrip("/") + "/auth/oidc/callback",
        name=settings.oidc_name.strip() or oidc_display_name(issuer),
        role_claim=settings.oidc_role_claim.strip(),
        authorized_parties=tuple(p.strip() for p in settings.oidc_authorized_parties.split(",") if p.strip()),
        leeway=settings.oidc_clock_skew_seconds,
    )
    return IdentityProvider(config)


def site_config(settings: Settings) -> SiteConfig:
    """The plain values requests and jobs need, read from the settings here and nowhere else."""
    from eventlens.ftp import derived
    from eventlens.ftp.gateway.tls import CERT_NAME

    clerk_secret = settings.clerk_webhook_secret.get_secret_value() if settings.clerk_webhook_secret else None
    if clerk_secret:
        clerk.check_secret(clerk_secret)

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
        webhook_allow_private=settings.webhook_allow_private,
        webhook_retry_delays=settings.retry_delays,
        webhook_timeout_seconds=settings.webhook_timeout_seconds,
        password_login=settings.password_login,
        clerk_webhook_secret=clerk_secret or None,
        smtp_url=settings.smtp_url.get_secret_value() if settings.smtp_url else None,
        mail_from=settings.mail_from,
        notify_min_minutes=settings.notify_min_minutes,
        notify_rate_limit=settings.notify_rate_limit,
    )


def build_face_backend(
    settings: Settings, sessions: sessionmaker[Session], limiter: RateLimiter
) -> FaceBackend:
    """The configured face backend: an offline engine searched in memory, or AWS Rekognition."""
    if settings.face_engine == "rekognition":
        from eventlens.faces.rekognition.backend import RekognitionBackend
        from eventlens.faces.rekognition.calls import PacedCalls, make_client

        return RekognitionBackend(
            PacedCalls(make_client(settings.aws_region), limiter, settings.rekognition_rate_limit),
            sessions,
            collection_prefix=settings.rekognition_collection_prefix,
            match_threshold=settings.rekognition_match_threshold,
            possible_threshold=settings.rekognition_possible_threshold,
        )
    from eventlens.faces.local import LocalBackend

    return LocalBackend(load_engine(settings.face_engine), sessions)


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
    limiter = RateLimiter(settings.redis_url, key_prefix=settings.redis_prefix)
    holder: list[AppContext] = []
    queue = JobQueue(huey, context_provider=lambda: holder[0])
    after_commit.install(sessions, queue)
    storage = build_storage(settings)
    ctx = AppContext(
        site=replace(site_config(settings), direct_uploads=_direct_uploads(settings, storage)),
        engine=engine,
        sessions=sessions,
        read_sessions=make_session_factory(engine, read_only=True),
        storage=storage,
        limiter=limiter,
        queue=queue,
        faces=build_face_backend(settings, sessions, limiter),
        cpu=CpuPool(default_threads()),
        identity=build_identity_provider(settings),
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
        consumer = (
            start_embedded(ctx.queue, settings.worker_threads, settings.sweep_seconds) if run_jobs else None
        )
        if warm_up:
            threading.Thread(target=ctx.faces.warm_up, name="face-engine-warm-up", daemon=True).start()
        try:
            yield
        finally:
            if consumer is not None:
                consumer.stop(graceful=True)
            ctx.engine.dispose()

    app = EventLensApp(
        title="EventLens",
        version="0.1.0",
        summary="Event photos: every face indexed; guests find theirs with a selfie.",
        openapi_url="/api/openapi.json",
        docs_url=None,  # served by api_docs from the installed package, not a CDN
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    hosts = security.allowed_hosts(settings.base_url, settings.allowed_hosts.split(","))
    app.outermost = lambda stack: security.SecurityHeaders(
        stack,
        base_url=settings.base_url,
        hosts=hosts,
        image_origins=_image_origins(settings),
        # The dashboard's direct uploads POST to the bucket.
        connect_origins=_image_origins(settings) if ctx.site.direct_uploads else [],
        refuse_host=_unknown_host,
    )
    install_error_handlers(app, page=error_page)
    api_docs.install(app)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(auth_endpoints.router)
    app.include_router(events_endpoints.router)
    app.include_router(events_live.router)
    app.include_router(photos_endpoints.router)
    app.include_router(photos_direct_endpoints.router)
    app.include_router(guests_endpoints.router)
    app.include_router(notify_endpoints.router)
    app.include_router(hiding_endpoints.public_router)
    app.include_router(hiding_endpoints.router)
    app.include_router(guests_live.router)
    app.include_router(ftp_endpoints.router)
    app.include_router(webhooks_endpoints.event_router)
    app.include_router(webhooks_endpoints.admin_router)
    app.include_router(members_endpoints.router)
    app.include_router(people_endpoints.router)
    app.include_router(ftp_internal.router, include_in_schema=False)  # the gateway's, not the public API
    app.include_router(account_pages.router)
    app.include_router(oidc_pages.router)
    app.include_router(settings_pages.router)
    app.include_router(event_pages.router)
    app.include_router(event_forms.router)
    app.include_router(guest_pages.router)
    app.include_router(notify_pages.router)
    app.include_router(live_pages.router)
    app.include_router(brand_pages.router)
    app.include_router(ftp_pages.router)
    app.include_router(webhook_pages.router)
    app.include_router(member_pages.router)
    app.include_router(removal_pages.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
