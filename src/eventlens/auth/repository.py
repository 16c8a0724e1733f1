"""Queries for users, sessions and API tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from eventlens.models import ApiToken, InboundWebhookMessage, User, UserSession


class UserRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def count(self) -> int:
        return int(self.db.scalar(select(func.count()).select_from(User)) or 0)

    def get(self, user_id: uuid.UUID) -> User | None:
        return self.db.get(User, user_id)

    def by_email(self, email: str) -> User | None:
        return self.db.scalar(select(User).where(User.email == email.lower()))

    def by_oidc(self, issuer: str, subject: str) -> User | None:
        return self.db.scalar(select(User).where(User.oidc_issuer == issuer, User.oidc_subject == subject))

    def add(self, user: User) -> User:
        self.db.add(user)
        self.db.flush()
        return user


class SessionRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def add(self, session: UserSession) -> UserSession:
        self.db.add(session)
        self.db.flush()
        return session

    def by_token_hash(self, token_hash: str) -> UserSession | None:
        return self.db.scalar(select(UserSession).where(UserSession.token_hash == token_hash))

    def delete(self, session: UserSession) -> None:
        self.db.delete(session)
        self.db.flush()

    def delete_for_user(self, user_id: uuid.UUID, keep: uuid.UUID | None = None) -> None:
        for s in self.db.scalars(select(UserSession).where(UserSession.user_id == user_id)):
            if s.id != keep:
                self.db.delete(s)
        self.db.flush()

    def delete_expired(self, now: datetime) -> None:
        for s in self.db.scalars(select(UserSession).where(UserSession.expires_at < now)):
            self.db.delete(s)


class TokenRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def add(self, token: ApiToken) -> ApiToken:
        self.db.add(token)
        self.db.flush()
        return token

    def active_by_hash(self, token_hash: str) -> ApiToken | None:
        return self.db.scalar(
            select(ApiToken).where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None))
        )

    def list_active(self, user_id: uuid.UUID) -> list[ApiToken]:
        q = (
            select(ApiToken)
            .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at.desc())
        )
        return list(self.db.scalars(q))

    def get_for_user(self, token_id: uuid.UUID, user_id: uuid.UUID) -> ApiToken | None:
        return self.db.scalar(
            select(ApiToken).where(
                ApiToken.id == token_id, ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None)
            )
        )

    def touch(self, token_id: uuid.UUID, now: datetime) -> None:
        self.db.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))

    def delete_for_user(self, user_id: uuid.UUID) -> None:
        self.db.execute(delete(ApiToken).where(ApiToken.user_id == user_id))


class InboundWebhookRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def add(self, message: InboundWebhookMessage) -> None:
        self.db.add(message)
        self.db.flush()

    def delete_older_than(self, cutoff: datetime) -> None:
        self.db.execute(delete(InboundWebhookMessage).where(InboundWebhookMessage.received_at < cutoff))
