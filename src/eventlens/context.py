"""What the app builds once at start and hands to every request: typed, in ``app.state.ctx``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from eventlens.cpu import CpuPool
from eventlens.db import session_scope
from eventlens.faces.backend import FaceBackend
from eventlens.guests.live_feed import LiveViewers
from eventlens.jobs.queue import JobQueue
from eventlens.ratelimit import RateLimiter
from eventlens.storage.base import ObjectStore

if TYPE_CHECKING:
    from eventlens.auth.oidc import IdentityProvider
    from eventlens.faces.engine.base import FaceEngine
    from eventlens.faces.local import LocalBackend
    from eventlens.faces.service import FaceSearch


@dataclass(frozen=True)
class SiteConfig:
    """What requests and jobs need to know of this install, as plain values.

    The wiring (``app.site_config``) reads them from the settings once; nothing else reads the settings.
    """

    base_url: str
    secret: str
    data_dir: Path
    signup_open: bool
    session_days: int
    cookie_secure: bool
    login_rate_limit: str
    search_rate_limit: str
    search_rate_limit_event: str
    ftp_login_rate_limit: str
    max_upload_mb: int
    max_pixels: int
    job_lease_seconds: int
    ftp_public_host: str  # what photographers type into their cameras
    ftp_port: int
    ftp_implicit_port: int | None
    ftp_allow_plain: bool
    ftp_cert_path: Path  # to show the certificate's fingerprint when this machine can read it
    ftp_service_token: str  # the gateway's credential for the internal routes
    direct_uploads: bool = False  # browsers may send files straight to the S3 bucket
    webhook_allow_private: bool = False  # webhook URLs may point at loopback/private addresses
    webhook_retry_delays: tuple[float, ...] = (10.0, 60.0, 360.0, 2160.0)  # pauses before each retry
    webhook_timeout_seconds: float = 10.0
    password_login: bool = True  # e-mail + password sign-in and sign-up (off: the OIDC provider only)
    clerk_webhook_secret: str | None = None  # None: /api/webhooks/clerk is not there (404)
    smtp_url: str | None = None  # None: no guest e-mail, so no "notify me" (README: Notify me)
    mail_from: str = ""
    notify_min_minutes: float = 10.0  # at most one e-mail per subscriber per this many minutes
    notify_rate_limit: str = "5/hour"  # subscriptions per e-mail address


@dataclass
class AppContext:
    site: SiteConfig
    engine: Engine
    sessions: sessionmaker[Session]
    read_sessions: sessionmaker[Session]  # lock-free reads (db.py: the SQLite rule)
    storage: ObjectStore
    limiter: RateLimiter
    queue: JobQueue
    faces: FaceBackend  # the one door for indexing, selfie search and face removal (faces/backend.py)
    cpu: CpuPool  # selfie decode and inference requested by the API (cpu.py)
    identity: IdentityProvider | None = None  # the OpenID Connect provider, when one is configured
    live_viewers: LiveViewers = field(default_factory=LiveViewers)  # venue screens open in this process

    @property
    def face_engine(self) -> FaceEngine:
        """The offline engine behind the local backend (benchmarks, tests); none for Rekognition."""
        return self._local().engine

    @property
    def face_search(self) -> FaceSearch:
        """The local backend's in-memory search (benchmarks, tests)."""
        return self._local().search_index

    def _local(self) -> LocalBackend:
        from eventlens.faces.local import LocalBackend

        if not isinstance(self.faces, LocalBackend):
            raise RuntimeError(f"the {self.faces.engine_id} backend has no local engine or index")
        return self.faces


def get_ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_db(request: Request) -> Iterator[Session]:
    """One session per request: committed when the endpoint returns, rolled back when it raises.

    GET and HEAD requests only read, so theirs takes no SQLite write lock and never waits for a writer.
    """
    ctx = get_ctx(request)
    with session_scope(ctx.read_sessions if request.method in _READ_METHODS else ctx.sessions) as session:
        yield session


def get_read_db(request: Request) -> Iterator[Session]:
    """A session that only reads (no SQLite write lock), for a step that must not hold one: reading an
    account before its password is checked with argon2, in a request that writes afterwards."""
    with session_scope(get_ctx(request).read_sessions) as session:
        yield session


Ctx = Annotated[AppContext, Depends(get_ctx)]
# scope="function": commit before the response is sent, so a failed commit is an error, not a lie.
DbSession = Annotated[Session, Depends(get_db, scope="function")]
ReadDbSession = Annotated[Session, Depends(get_read_db, scope="function")]
