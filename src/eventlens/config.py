"""Settings, read from the environment (prefix ``EVENTLENS_``) and an optional ``.env`` file.

Only the wiring (``app.py``, ``cli.py``, ``jobs``) reads this object; domain packages that know
nothing of the product (storage, face engines) get plain values from it.
"""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="EVENTLENS_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # --- where things live
    data_dir: Path = Field(
        Path("./data"), description="Folder for the SQLite file, local objects, queue, secrets and spool."
    )
    database_url: str = Field(
        "", description="SQLAlchemy URL. Empty: a SQLite file `eventlens.db` in the data dir."
    )
    db_busy_timeout: float = Field(
        30.0,
        gt=0,
        description="Seconds a request waits for SQLite's write lock before it answers 503 (busy).",
    )
    base_url: str = Field(
        "http://127.0.0.1:8000",
        description="Public address of the web app, used in guest links and QR codes.",
    )
    allowed_hosts: str = Field(
        "",
        description="More host names the app answers to, comma separated (`*`: any). The base URL's host "
        "and loopback names are always allowed; other Host headers get a 400.",
    )
    trusted_proxies: str = Field(
        "",
        description="Addresses of reverse proxies whose X-Forwarded-For / -Proto are believed, comma "
        "separated (`*`: any). Empty: none, so a client cannot pick the address its rate limits count.",
    )
    host: str = Field("127.0.0.1", description="Address `eventlens serve` / `api` listen on.")
    port: int = Field(8000, description="HTTP port of `eventlens serve` / `api`.")

    # --- object store
    storage: Literal["local", "s3"] = Field("local", description="Object store: `local` folder or `s3`.")
    storage_dir: Path | None = Field(
        None, description="Folder of the local object store. Empty: `DATA_DIR/objects`."
    )
    s3_endpoint_url: str | None = Field(None, description="S3 endpoint (R2, MinIO, SeaweedFS). Empty: AWS.")
    s3_bucket: str = Field("eventlens", description="S3 bucket (created on start when missing).")
    s3_access_key_id: str | None = Field(None, description="S3 access key id.")
    s3_secret_access_key: SecretStr | None = Field(None, description="S3 secret access key.")
    s3_region: str = Field("us-east-1", description="S3 region (`auto` for R2).")
    s3_signed_url_seconds: int = Field(900, description="Lifetime of signed download URLs.")
    s3_direct_uploads: bool = Field(
        True,
        description="The dashboard sends photos straight to the bucket (EventLens sets the bucket's CORS "
        "rule for the base URL); false, or credentials that may not set CORS: through the API.",
    )

    # --- queue, rate limits, cache
    redis_url: str | None = Field(
        None, description="Redis URL. Set: the job queue and rate limits live in Redis (several machines)."
    )
    redis_prefix: str = Field(
        "eventlens", description="Prefix of every Redis key and queue name (several installs on one Redis)."
    )

    worker_threads: int = Field(2, description="Job threads per worker process (and inside `serve`).")
    job_lease_seconds: int = Field(
        20,
        ge=3,
        description="A worker's hold on a photo; it renews it every third of this while it works. A killed "
        "worker's photos are taken over after at most this plus `EVENTLENS_SWEEP_SECONDS`.",
    )
    sweep_seconds: float = Field(
        10,
        gt=0,
        description="How often each worker looks for photos whose job was lost (a killed worker, a lost queue).",
    )

    # --- accounts
    secret_key: SecretStr | None = Field(
        None, description="Server secret for signing. Empty: generated once into `DATA_DIR/secret_key`."
    )
    signup_open: bool = Field(
        True, description="Anyone may sign up. The first account is always allowed (admin)."
    )
    session_days: int = Field(30, description="How long a sign-in lasts.")
    cookie_secure: bool = Field(
        True, description="Mark the session cookie Secure (browsers accept it on http://localhost too)."
    )
    login_rate_limit: str = Field(
        "10/minute",
        description="Login attempts per client address and per account + address, also sign-ups per "
        "address, password changes per account, access-code checks per address (`limits` syntax).",
    )

    password_login: bool = Field(
        True,
        description="Sign-in and sign-up with e-mail and password. `false`: only the OpenID Connect provider.",
    )

    # --- OpenID Connect provider (Clerk, Auth0, Keycloak, Google...): README "Sign-in with OpenID Connect"
    oidc_issuer: str = Field(
        "", description="Issuer URL of the OpenID Connect provider. Empty: no OIDC sign-in, no Bearer JWTs."
    )
    oidc_client_id: str = Field("", description="OAuth client id registered at the provider.")
    oidc_client_secret: SecretStr | None = Field(
        None, description="OAuth client secret. Empty: a public client (PKCE only)."
    )
    oidc_scopes: str = Field("openid email profile", description="Scopes asked for at sign-in.")
    oidc_role_claim: str = Field(
        "",
        description="Claim of the ID token that makes an account admin when it is (or contains) `admin`. "
        "Set: the provider decides the role at every sign-in.",
    )
    oidc_name: str = Field(
        "", description="Provider name on the sign-in button. Empty: derived from the issuer's host."
    )
    oidc_authorized_parties: str = Field(
        "",
        description="Bearer JWTs are accepted when their `azp` is one of these (comma separated, e.g. "
        "your Clerk front-end origins) or their `aud` is the client id.",
    )
    oidc_clock_skew_seconds: int = Field(
        30, ge=0, le=300, description="Leeway for `exp` / `nbf` / `iat` of ID tokens and Bearer JWTs."
    )
    clerk_webhook_secret: SecretStr | None = Field(
        None,
        description="Signing secret (`whsec_...`) of the Clerk webhook endpoint. Empty: "
        "`/api/webhooks/clerk` answers 404.",
    )

    # --- limits on uploads
    max_upload_mb: int = Field(50, description="Largest accepted photo file, in megabytes.")
    max_pixels: int = Field(
        120_000_000, description="Largest accepted photo, in pixels (decompression bombs)."
    )

    # --- faces and guests
    face_engine: str = Field("yunet-sface", description="Face engine (see README: Face matching).")
    # AWS Rekognition (FACE_ENGINE=rekognition; README: Face matching / AWS Rekognition). Credentials come
    # from boto3's usual chain (AWS_ACCESS_KEY_ID..., AWS_PROFILE, an instance role), never from here.
    aws_region: str | None = Field(
        None, description="AWS region of the Rekognition collections (`FACE_ENGINE=rekognition`)."
    )
    rekognition_collection_prefix: str = Field(
        "eventlens-",
        pattern=r"^[A-Za-z0-9_.\-]{0,200}$",
        description="Start of each event's Rekognition collection name (the event id follows).",
    )
    rekognition_match_threshold: float = Field(
        90.0,
        ge=0,
        le=100,
        description='Rekognition similarity (0-100) from which a photo is "Photos of you".',
    )
    rekognition_possible_threshold: float = Field(
        80.0,
        ge=0,
        le=100,
        description="Rekognition `FaceMatchThreshold` (0-100): matches from here to the match threshold "
        'are "Maybe you".',
    )
    rekognition_rate_limit: str = Field(
        "50/second", description="Rekognition calls per operation, across every process of the install."
    )
    search_rate_limit: str = Field("20/minute", description="Selfie searches allowed per guest address.")
    search_rate_limit_event: str = Field("600/minute", description="Selfie searches allowed per event.")

    log_level: str = Field("INFO", description="Log level (DEBUG, INFO, WARNING, ...).")

    # --- FTPS gateway (cameras upload straight into an event)
    ftp_enabled: bool = Field(True, description="`eventlens serve` also runs the FTPS gateway.")
    ftp_host: str = Field("", description="Address the FTPS gateway listens on. Empty: same as `HOST`.")
    ftp_port: int = Field(2121, description="FTPS control port (explicit FTPS: AUTH TLS).")
    ftp_passive_ports: str = Field(
        "60000-60099",
        description="Passive data ports, `FIRST-LAST` or a comma list (open them in the firewall). "
        "Empty: any free port.",
    )
    ftp_masquerade_address: str | None = Field(
        None, description="Public IP address announced in PASV replies when the gateway sits behind NAT."
    )
    ftp_public_host: str | None = Field(
        None, description="Host name shown to photographers for their cameras. Empty: the host of `BASE_URL`."
    )
    ftp_cert_file: Path | None = Field(
        None, description="TLS certificate (PEM chain). Empty: a self-signed one made in `DATA_DIR/ftp/`."
    )
    ftp_key_file: Path | None = Field(
        None, description="TLS private key (PEM). Empty: beside the certificate."
    )
    ftp_implicit_port: int | None = Field(
        None, description="Also listen for implicit FTPS (TLS from the first byte) on this port."
    )
    ftp_allow_plain: bool = Field(
        False, description="Allow unencrypted FTP for old cameras (passwords and photos travel in clear)."
    )
    ftp_api_url: str = Field(
        "", description="Where the gateway reaches the API. Empty: `http://HOST:PORT` of this machine."
    )
    ftp_service_token: SecretStr | None = Field(
        None,
        description="Credential the gateway sends to the API's internal routes. Empty: derived from the "
        "server secret, so gateway and API on one machine (or sharing SECRET_KEY) agree without setup.",
    )
    ftp_answer_timeout: float = Field(
        30.0,
        gt=0,
        description="Seconds an FTPS upload waits for the API's answer before its 226: a file the API "
        "refuses gets a 55x instead; past this (or with the API away) it is acknowledged and kept in the "
        "spool until the API takes it.",
    )
    ftp_login_rate_limit: str = Field(
        "10/minute",
        description="FTP login attempts per client address and per user name + address, counted before "
        "the password is checked; a successful login clears its address's count (`limits` syntax).",
    )

    # --- outgoing webhooks
    webhook_allow_private: bool = Field(
        False,
        description="Let webhook URLs point at loopback, private or link-local addresses (a trusted "
        "network's own services; tests). Off: such URLs are refused when added and when delivered.",
    )
    webhook_retry_delays: str = Field(
        "10,60,360,2160",
        description="Seconds to wait before each retry of a failed webhook delivery, comma separated; "
        "one try more than there are pauses (default: 5 tries over about 40 minutes).",
    )
    webhook_timeout_seconds: float = Field(
        10.0, gt=0, le=60, description="How long one webhook try may wait for the endpoint's answer."
    )

    # --- "tell me when new photos of me arrive" (README: Notify me)
    smtp_url: SecretStr | None = Field(
        None,
        description="SMTP server for guest e-mails: `smtp://user:pass@host:587` (STARTTLS when the server "
        "offers it) or `smtps://user:pass@host:465` (TLS from the start). Empty: no e-mail, and guests "
        "are not offered notifications.",
    )
    mail_from: str = Field(
        "",
        description="Sender of guest e-mails, e.g. `EventLens <photos@example.com>`. Empty: `eventlens@` "
        "the host of `BASE_URL`.",
    )
    notify_min_minutes: float = Field(
        10,
        ge=0,
        description='At most one "new photos of you" e-mail per guest and event per this many minutes; '
        "photos found in between go into the next one.",
    )
    notify_rate_limit: str = Field(
        "5/hour",
        description="Notify-me subscriptions allowed per e-mail address (`limits` syntax); per guest address "
        "the search limit applies.",
    )

    @field_validator("webhook_retry_delays")
    @classmethod
    def _delays(cls, value: str) -> str:
        parts = [p.strip() for p in value.split(",") if p.strip()]
        if len(parts) > 20 or any(float(p) < 0 for p in parts):
            raise ValueError("at most 20 pauses, none negative")
        return value

    @property
    def retry_delays(self) -> tuple[float, ...]:
        return tuple(float(p) for p in self.webhook_retry_delays.split(",") if p.strip())

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'eventlens.db').resolve()}"

    @property
    def resolved_storage_dir(self) -> Path:
        return (self.storage_dir or self.data_dir / "objects").resolve()

    @cached_property
    def secret(self) -> str:
        """The server secret; generated and kept in the data dir on first use when not configured."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(48)
        path.touch(mode=0o600)
        path.write_text(value)
        return value
