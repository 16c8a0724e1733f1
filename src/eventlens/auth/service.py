"""Accounts: sign up, sign in/out, sessions, API tokens. Stateless; each call takes the DB session."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from eventlens.auth import passwords, tokens
from eventlens.auth.repository import (
    InboundWebhookRepository,
    SessionRepository,
    TokenRepository,
    UserRepository,
)
from eventlens.db import utcnow
from eventlens.errors import ApiError, Conflict, Forbidden, Invalid, NotFound, RateLimited, Unauthorized
from eventlens.models import ApiToken, InboundWebhookMessage, Role, User, UserSession
from eventlens.ratelimit import RateLimiter

log = logging.getLogger("eventlens.auth")

# last_used/last_seen are written at most this often, so reads don't turn into writes.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class ExternalIdentity:
    """Who an OpenID Connect provider says signed in (from a verified ID token or Bearer JWT)."""

    issuer: str
    subject: str
    email: str | None = None
    email_verified: bool | None = None
    name: str | None = None
    admin: bool | None = None  # None: the provider is not asked about roles (no role claim configured)


@dataclass
class NewSession:
    """A fresh sign-in: the cookie value (shown to the browser once) and its row."""

    cookie_value: str
    session: UserSession


def _require_password_login(enabled: bool) -> None:
    if not enabled:
        raise Forbidden(
            "Sign-in with a password is turned off on this server: use the sign-in provider.",
            "password_login_disabled",
        )


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
    password_login: bool = True,
) -> User:
    """A new account (the first one is the admin). Sign-ups count per client address against ``limit``."""
    _require_password_login(password_login)
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
    read_db: Session,
    limiter: RateLimiter,
    limit: str,
    *,
    email: str,
    password: str,
    client_ip: str,
    password_login: bool = True,
) -> User:
    """Check the credentials. ``read_db`` only reads: no write lock is held while argon2 runs.

    Every attempt counts before the password is checked, and atomically, so a burst of concurrent
    guesses cannot slip past the limit while the first ones are being checked. The limits are per
    client address and per account *and* address, never per account alone: a stranger guessing from
    elsewhere cannot lock the account's owner out.
    """
    _require_password_login(password_login)
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


# --- accounts of an OpenID Connect provider (Clerk, Auth0, Keycloak...)


def _name_for(identity: ExternalIdentity, email: str) -> str:
    return (identity.name or "").strip()[:200] or email.split("@", 1)[0][:200]


def sign_in_external(
    db: Session, identity: ExternalIdentity, *, signup_open: bool, create: bool = True
) -> User:
    """The account linked to the provider's issuer + subject; made at its first sign-in.

    Never matched by e-mail: an account that already has the address (a password account, or another
    provider's) is not taken over; the sign-in is refused with 409 ``email_taken`` instead, and an
    administrator decides. A new account follows the sign-up rules (the first one is the admin, later
    ones need sign-up open), unless the provider's role claim decides the role, which it then does at
    every sign-in, both ways.
    """
    users = UserRepository(db)
    user = users.by_oidc(identity.issuer, identity.subject)
    if user is not None:
        if user.disabled_at is not None:
            raise Forbidden("This account is deactivated. Ask an administrator.", "account_disabled")
        if identity.admin is not None:
            role = Role.admin if identity.admin else Role.photographer
            if user.role != role:
                log.info("user.role_from_provider id=%s role=%s", user.id, role.value)
                user.role = role
        return user
    if not create:
        raise Unauthorized("No account is linked to this identity yet: sign in once in the browser first.")
    email = (identity.email or "").strip().lower()
    if not email:
        raise Invalid("The sign-in provider gave no e-mail address (ask for the `email` scope).")
    if identity.email_verified is False:
        raise Forbidden("Verify your e-mail address with the sign-in provider first.", "email_unverified")
    first = is_first_user(db)
    if not first and not signup_open:
        raise Forbidden(
            "Sign-up is closed on this server. Ask an administrator for an account.", "signup_closed"
        )
    if users.by_email(email):
        log.warning("auth.oidc_email_taken issuer=%s subject=%s", identity.issuer, identity.subject)
        raise Conflict(
            "An account with that e-mail address already exists here. Sign in with it as before; "
            "it is not linked to the sign-in provider automatically.",
            "email_taken",
        )
    admin = identity.admin if identity.admin is not None else first
    user = User(
        email=email,
        name=_name_for(identity, email),
        password_hash=None,
        role=Role.admin if admin else Role.photographer,
        oidc_issuer=identity.issuer,
        oidc_subject=identity.subject,
    )
    try:
        with db.begin_nested():
            users.add(user)
    except IntegrityError as exc:  # the same person's two first sign-ins at once, or the address just taken
        raise Conflict("That account was just created; sign in again.", "email_taken") from exc
    log.info("user.created id=%s role=%s via=oidc", user.id, user.role.value)
    return user


def sync_external_profile(
    db: Session, issuer: str, subject: str, *, email: str | None, name: str | None
) -> User | None:
    """Keep the linked account's name and e-mail as the provider has them (None: no linked account).

    An address another account already uses is refused (409), the account keeping its own.
    """
    users = UserRepository(db)
    user = users.by_oidc(issuer, subject)
    if user is None:
        return None
    if name and name.strip():
        user.name = name.strip()[:200]
    new_email = (email or "").strip().lower()
    if new_email and new_email != user.email:
        other = users.by_email(new_email)
        if other is not None:
            raise Conflict("Another account here already uses that e-mail address.", "email_taken")
        user.email = new_email
    log.info("user.synced id=%s", user.id)
    return user


def deactivate_external(db: Session, issuer: str, subject: str) -> User | None:
    """The provider deleted the person: sign them out everywhere (sessions and API tokens go) and
    deactivate the account. Their events stay, for an administrator to hand over or delete."""
    user = UserRepository(db).by_oidc(issuer, subject)
    if user is None:
        return None
    SessionRepository(db).delete_for_user(user.id)
    TokenRepository(db).delete_for_user(user.id)
    if user.disabled_at is None:
        user.disabled_at = utcnow()
    log.info("user.deactivated id=%s", user.id)
    return user


def record_webhook_message(db: Session, source: str, message_id: str, *, keep: timedelta) -> None:
    """Remember a handled message id; a second delivery of it is refused (400 ``webhook_replayed``).

    Recorded in the request's transaction: a delivery that fails is not remembered and the sender's
    retry is handled. Ids older than ``keep`` are forgotten (their signatures are too old by then).
    """
    repo = InboundWebhookRepository(db)
    repo.delete_older_than(utcnow() - keep)
    try:
        with db.begin_nested():
            repo.add(InboundWebhookMessage(message_id=message_id[:200], source=source))
    except IntegrityError as exc:
        log.warning("webhook.replayed source=%s id=%s", source, message_id)
        raise ApiError(400, "webhook_replayed", "This message was already received.") from exc
