"""FTP credentials: create (password shown once), list, revoke, and the gateway's login check."""

from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from eventlens.auth import passwords
from eventlens.context import SiteConfig
from eventlens.db import utcnow
from eventlens.errors import ApiError, Invalid, NotFound, RateLimited
from eventlens.events import slugs
from eventlens.events.permissions import Action, access_to, allows
from eventlens.events.repository import EventRepository
from eventlens.events.rules import EventArchived, require_open, takes_photos
from eventlens.ftp.repository import FtpCredentialRepository
from eventlens.ftp.schemas import CredentialCreate, CredentialCreated, CredentialRead
from eventlens.models import Event, FtpCredential, User
from eventlens.ratelimit import RateLimiter

log = logging.getLogger("eventlens.ftp")

# Typed on a camera's menu wheel: lower-case letters and digits without look-alikes (l/1, o/0).
ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
USERNAME_SLUG_CHARS = 24
PASSWORD_GROUPS = 4  # 4 groups of 5 characters: 100 bits, hyphens only for reading it out
LOGIN_KEY = "ftp-login-ip"
LOGIN_USER_KEY = "ftp-login-user"


def _random(n: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(n))


def new_password() -> str:
    return "-".join(_random(5) for _ in range(PASSWORD_GROUPS))


def _username_base(event: Event) -> str:
    # From the event's name, not its link: the link's random suffix guards the guest page, while a camera
    # login is guarded by its password, and every character is typed on a camera's keypad.
    return slugs.slugify(event.name)[:USERNAME_SLUG_CHARS].rstrip("-") or "event"


@dataclass
class NewCredential:
    credential: FtpCredential
    password: str


def _expiry(data: CredentialCreate, now: datetime) -> datetime | None:
    if data.expires_in_hours is not None:
        return now + timedelta(hours=data.expires_in_hours)
    if data.expires_at is not None and data.expires_at <= now:
        raise Invalid("expires_at: must be in the future", field="expires_at")
    return data.expires_at


def create_credential(db: Session, event: Event, creator: User, data: CredentialCreate) -> NewCredential:
    """A new login for the event: readable username (event slug + random suffix), strong password."""
    require_open(event)
    now = utcnow()
    expires_at = _expiry(data, now)
    password = new_password()
    repo = FtpCredentialRepository(db)
    base = _username_base(event)
    for attempt in range(20):
        # 4 random characters are plenty per event; longer ones only if a name keeps colliding.
        username = f"{base}-{_random(4 if attempt < 10 else 8)}"
        if repo.username_taken(username):
            continue
        row = FtpCredential(
            event_id=event.id,
            created_by_id=creator.id,
            label=data.label,
            username=username,
            password_hash=passwords.hash_password(password),
            created_at=now,
            expires_at=expires_at,
        )
        try:
            with db.begin_nested():
                repo.add(row)
        except IntegrityError:  # the same name made at the same moment elsewhere
            continue
        log.info("ftp.credential_created id=%s event=%s user=%s", row.id, event.id, username)
        return NewCredential(row, password)
    raise ApiError(
        503,
        "username_unavailable",
        "No free FTP user name was found; try again.",
        headers={"Retry-After": "1"},
    )


def _only_own(db: Session, event: Event, user: User) -> uuid.UUID | None:
    # Who may manage the event sees and revokes every login; a photographer member only their own.
    return None if allows(access_to(db, user, event), Action.manage) else user.id


def list_credentials(db: Session, event: Event, user: User) -> list[FtpCredential]:
    """The event's logins ``user`` may see: all of them for its owner (or an admin), else their own."""
    return FtpCredentialRepository(db).list_unrevoked(event.id, _only_own(db, event, user))


def revoke_credential(db: Session, event: Event, credential_id: uuid.UUID, user: User) -> None:
    """Revoked at once: the gateway asks the API at every login, so the next login is refused.

    A photographer member revokes only their own logins; another's is 404, as it is not in their list."""
    row = FtpCredentialRepository(db).unrevoked_for_event(event.id, credential_id)
    only = _only_own(db, event, user)
    if row is None or (only is not None and row.created_by_id != only):
        raise NotFound("FTP credential")
    row.revoked_at = utcnow()
    log.info("ftp.credential_revoked id=%s event=%s user=%s", row.id, event.id, row.username)


def revoke_all_by(db: Session, event_id: uuid.UUID, user_id: uuid.UUID) -> int:
    """Revoke every login ``user_id`` made for the event (they were removed from it); how many."""
    rows = FtpCredentialRepository(db).list_unrevoked(event_id, user_id)
    now = utcnow()
    for row in rows:
        row.revoked_at = now
        log.info(
            "ftp.credential_revoked id=%s event=%s user=%s reason=member_removed",
            row.id,
            event_id,
            row.username,
        )
    return len(rows)


def to_read(row: FtpCredential, site: SiteConfig, now: datetime | None = None) -> CredentialRead:
    now = now or utcnow()
    expired = row.expires_at is not None and row.expires_at <= now
    return CredentialRead(
        id=row.id,
        event_id=row.event_id,
        label=row.label,
        username=row.username,
        host=site.ftp_public_host,
        port=site.ftp_port,
        implicit_port=site.ftp_implicit_port,
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_login_at=row.last_login_at,
        status="expired" if expired else "active",
        created_by_id=row.created_by_id,
    )


def to_created(new: NewCredential, site: SiteConfig) -> CredentialCreated:
    return CredentialCreated(**to_read(new.credential, site).model_dump(), password=new.password)


def upload_target(db: Session, event_id: uuid.UUID, credential_id: uuid.UUID) -> tuple[Event, User]:
    """The event a gateway hands a file to, and who the photo is recorded as uploaded by (the
    credential's creator, else the event's owner); 404 unless the credential belongs to that event."""
    event = EventRepository(db).get(event_id)
    if event is None:
        raise NotFound("event")
    credential = FtpCredentialRepository(db).get(credential_id)
    if credential is None or credential.event_id != event.id:
        raise NotFound("FTP credential")
    uploader = db.get(User, credential.created_by_id) if credential.created_by_id else None
    owner = uploader or db.get(User, event.owner_id)
    assert owner is not None  # events cascade away with their owner
    return event, owner


def _creator_may_upload(db: Session, row: FtpCredential, event: Event) -> bool:
    # A login whose maker's account is gone (NULL) stays the owner's, as its photos are recorded.
    # A deactivated maker (Clerk's user.deleted) takes their cameras' logins with them.
    creator = db.get(User, row.created_by_id) if row.created_by_id else None
    if creator is not None and creator.disabled_at is not None:
        return False
    return creator is None or allows(access_to(db, creator, event), Action.upload)


class LoginRefused(ApiError):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(status, code, message)


def gateway_login(
    db: Session, limiter: RateLimiter, limit: str, *, username: str, password: str, client_ip: str
) -> tuple[FtpCredential, Event]:
    """Check a camera's login. Every refusal is logged with the user name and the reason (never the
    password).

    Every attempt counts before the password is checked, atomically, per client address and per user
    name + address (as the web logins do), so a burst of concurrent guesses cannot slip past the limit
    while the first ones are being checked. A successful login clears its address's counts: a camera
    that logs in again for every photo is never held back by its own logins. (Someone holding a valid
    login could use that to reset their count; guessing a 100-bit password stays hopeless either way.)
    """
    username = username.strip().lower()
    keys = ((LOGIN_KEY, client_ip), (LOGIN_USER_KEY, username, client_ip))
    for key in keys:
        try:
            limiter.hit(limit, *key)
        except RateLimited:
            log.warning("ftp.login_refused user=%s ip=%s reason=rate_limited", username, client_ip)
            raise
    row = FtpCredentialRepository(db).by_username(username)
    ok = passwords.verify_password(row.password_hash if row else None, password)
    refusal: ApiError | None = None
    event: Event | None = None
    if not ok or row is None:
        refusal = LoginRefused(401, "invalid_credentials", "Wrong FTP user name or password.")
        reason = "unknown_user" if row is None else "wrong_password"
    else:
        event = db.get(Event, row.event_id)
        reason = ""
        if row.revoked_at is not None:
            reason = "credential_revoked"
            refusal = LoginRefused(403, reason, "This FTP login was revoked.")
        elif row.expires_at is not None and row.expires_at <= utcnow():
            reason = "credential_expired"
            refusal = LoginRefused(403, reason, "This FTP login has expired.")
        elif event is None:
            reason = "event_deleted"
            refusal = LoginRefused(401, "invalid_credentials", "Wrong FTP user name or password.")
        elif not takes_photos(event):
            refusal = EventArchived(status=403)
            reason = refusal.code
        elif not _creator_may_upload(db, row, event):
            # Its maker left the event (or lost the right): revoked as if by hand, whatever the reason.
            reason = "credential_revoked"
            refusal = LoginRefused(403, reason, "This FTP login was revoked.")
    if refusal is not None:
        log.warning("ftp.login_refused user=%s ip=%s reason=%s", username, client_ip, reason)
        raise refusal
    assert row is not None and event is not None
    for key in keys:
        limiter.clear(limit, *key)
    row.last_login_at = utcnow()
    if passwords.needs_rehash(row.password_hash):
        row.password_hash = passwords.hash_password(password)
    log.info("ftp.login user=%s ip=%s event=%s credential=%s", username, client_ip, event.id, row.id)
    return row, event
