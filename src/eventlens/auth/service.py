"""Accounts: sign up, sign in/out, sessions, API tokens. Stateless; each call takes the DB session."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from eventlens.auth import passwords, tokens
from eventlens.auth.repository import SessionRepository, TokenRepository, UserRepository
from eventlens.db import utcnow
from eventlens.errors import ApiError, Conflict, Forbidden, Invalid, NotFound, RateLimited, Unauthorized
from eventlens.models import ApiToken, Role, User, UserSession
from eventlens.ratelimit import RateLimiter

log = logging.getLogger("eventlens.auth")

# last_used/last_seen are written at most this often, so reads don't turn into writes.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass
class NewSession:
    """A fresh sign-in: the cookie value (shown to the browser once) and its row."""

    cookie_value: str
    session: UserSession


def is_first_user(db: Session) -> bool:
    """No account yet: the next sign-up becomes the administrator (and is allowed even when closed)."""
    return UserRepository(db).count() == 0


def signup(
    db: Session,
    limiter: RateLimiter,
    limit: str,
    *,
    email: str,
    password: str,
    name: str,
    signup_open: bool,
    client_ip: str,
) -> User:
    """A new account (the first one is the admin). Sign-ups count per client address against ``limit``."""
    limiter.hit(limit, "signup-ip", client_ip)
    # Hash before the first query: on SQLite that query takes the write lock, argon2 must not hold it.
    password_hash = passwords.hash_password(password)
    users = UserRepository(db)
    first = is_first_user(db)
    if not first and not signup_open:
        raise Forbidden(
            "Sign-up is closed on this server. Ask an administrator for an account.", "signup_closed"
        )
    if users.by_email(email):
        raise Conflict("An account with that e-mail already exists.", "email_taken")
    user = User(
        email=email.lower(),
        name=name.strip(),
        password_hash=password_hash,
        role=Role.admin if first else Role.photographer,
    )
    try:
        with db.begin_nested():
            users.add(user)
    except IntegrityError as exc:  # two sign-ups with one address at once
        raise Conflict("An account with that e-mail already exists.", "email_taken") from exc
    log.info("user.created id=%s role=%s", user.id, user.role.value)
    return user


def create_user(db: Session, *, email: str, password: str, name: str, role: Role) -> User:
    """For the CLI: an account with a chosen role, sign-up setting notwithstanding."""
    if UserRepository(db).by_email(email):
        raise Conflict("An account with that e-mail already exists.", "email_taken")
    user = User(email=email.lower(), name=name, password_hash=passwords.hash_password(password), role=role)
    return UserRepository(db).add(user)


def authenticate(
    read_db: Session, limiter: RateLimiter, limit: str, *, email: str, password: str, client_ip: str
) -> User:
    """Check the credentials. ``read_db`` only reads: no write lock is held while argon2 runs.

    Every attempt counts before the password is checked, and atomically, so a burst of concurrent
    guesses cannot slip past the limit while the first ones are being checked. The limits are per
    client address and per account *and* address, never per account alone: a stranger guessing from
    elsewhere cannot lock the account's owner out.
    """
    email = email.lower()
    for key in (("login-ip", client_ip), ("login-account", email, client_ip)):
        try:
            limiter.hit(limit, *key)
        except RateLimited:
            log.warning("auth.login_throttled ip=%s", client_ip)
            raise
    user = UserRepository(read_db).by_email(email)
    read_db.rollback()  # end the read before the slow check
    ok = passwords.verify_password(user.password_hash if user else None, password)
    if not ok or user is None or user.disabled_at is not None:
        log.info("auth.login_failed ip=%s known_user=%s", client_ip, user is not None)
        raise Unauthorized("Wrong e-mail or password.")
    return user


def upgrade_hash(db: Session, user: User, password: str) -> None:
    """Re-hash a password stored with older argon2 parameters (hashing first, then a short write)."""
    if not (user.password_hash and passwords.needs_rehash(user.password_hash)):
        return
    new_hash = passwords.hash_password(password)
    row = db.get(User, user.id)
    if row is not None:
        row.password_hash = new_hash


def start_session(db: Session, user: User, *, days: int, user_agent: str | None = None) -> NewSession:
    value = tokens.new_token()
    row = UserSession(
        user_id=user.id,
        token_hash=tokens.digest(value),
        csrf_token=tokens.new_token(24),
        expires_at=utcnow() + timedelta(days=days),
        user_agent=(user_agent or "")[:300] or None,
    )
    SessionRepository(db).add(row)
    log.info("session.started user=%s", user.id)
    return NewSession(value, row)


def resolve_session(db: Session, cookie_value: str) -> tuple[UserSession, User] | None:
    """The live session and its user for a cookie value, or None."""
    row = SessionRepository(db).by_token_hash(tokens.digest(cookie_value))
    now = utcnow()
    if row is None or row.expires_at <= now:
        return None
    user = UserRepository(db).get(row.user_id)
    if user is None or user.disabled_at is not None:
        return None
    if now - row.last_seen_at > TOUCH_EVERY:
        row.last_seen_at = now
    return row, user


def end_session(db: Session, session_id: uuid.UUID) -> None:
    row = db.get(UserSession, session_id)
    if row is not None:
        SessionRepository(db).delete(row)


def resolve_api_token(db: Session, token: str) -> tuple[ApiToken, User] | None:
    row = TokenRepository(db).active_by_hash(tokens.digest(token))
    if row is None:
        return None
    user = UserRepository(db).get(row.user_id)
    if user is None or user.disabled_at is not None:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > TOUCH_EVERY:
        TokenRepository(db).touch(row.id, now)
    return row, user


def create_api_token(db: Session, user: User, name: str) -> tuple[ApiToken, str]:
    value = tokens.new_api_token()
    row = ApiToken(user_id=user.id, name=name.strip(), token_hash=tokens.digest(value), prefix=value[:10])
    TokenRepository(db).add(row)
    log.info("api_token.created user=%s token=%s", user.id, row.id)
    return row, value


def list_api_tokens(db: Session, user: User) -> list[ApiToken]:
    return TokenRepository(db).list_active(user.id)


def revoke_api_token(db: Session, user: User, token_id: uuid.UUID, now: datetime | None = None) -> None:
    row = TokenRepository(db).get_for_user(token_id, user.id)
    if row is None:
        raise NotFound("API token")
    row.revoked_at = now or utcnow()
    log.info("api_token.revoked user=%s token=%s", user.id, row.id)


def change_password(
    db: Session,
    limiter: RateLimiter,
    limit: str,
    user: User,
    *,
    current: str,
    new: str,
    keep_session: uuid.UUID | None,
) -> None:
    """Change the password and sign out every other browser.

    Attempts count against ``limit`` per account (a stolen session cannot guess the password), and
    both argon2 steps run before the first query, so no write lock is held meanwhile.
    """
    limiter.hit(limit, "password-change", str(user.id))
    if not passwords.verify_password(user.password_hash, current):
        raise Invalid("The current password is wrong.", field="current_password")
    if current == new:
        raise ApiError(422, "validation_error", "The new password must differ from the current one.")
    new_hash = passwords.hash_password(new)
    row = db.get(User, user.id) or user  # the caller's copy comes from another session
    row.password_hash = new_hash
    SessionRepository(db).delete_for_user(row.id, keep=keep_session)
    log.info("user.password_changed id=%s", row.id)


def update_profile(db: Session, user: User, *, changes: dict[str, str | None]) -> User:
    """Set the public name and website shown to guests (``changes``: the checked fields sent)."""
    row = db.get(User, user.id) or user  # the caller's copy may come from another session
    for field in ("public_name", "website"):
        if field in changes:
            setattr(row, field, changes[field])
    log.info("user.profile_changed id=%s fields=%s", row.id, ",".join(sorted(changes)))
    return row


def has_accounts(db: Session) -> bool:
    """Whether anyone has signed up yet (until then the first account becomes the admin)."""
    return UserRepository(db).count() > 0
