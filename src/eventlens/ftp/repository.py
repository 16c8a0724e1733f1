"""Queries for FTP credentials."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventlens.models import FtpCredential


class FtpCredentialRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def add(self, credential: FtpCredential) -> FtpCredential:
        self.db.add(credential)
        self.db.flush()
        return credential

    def username_taken(self, username: str) -> bool:
        return self.db.scalar(select(FtpCredential.id).where(FtpCredential.username == username)) is not None

    def by_username(self, username: str) -> FtpCredential | None:
        return self.db.scalar(select(FtpCredential).where(FtpCredential.username == username))

    def get(self, credential_id: uuid.UUID) -> FtpCredential | None:
        return self.db.get(FtpCredential, credential_id)

    def unrevoked_for_event(self, event_id: uuid.UUID, credential_id: uuid.UUID) -> FtpCredential | None:
        return self.db.scalar(
            select(FtpCredential).where(
                FtpCredential.id == credential_id,
                FtpCredential.event_id == event_id,
                FtpCredential.revoked_at.is_(None),
            )
        )

    def list_unrevoked(self, event_id: uuid.UUID, created_by: uuid.UUID | None = None) -> list[FtpCredential]:
        """The event's logins not revoked, newest first; only ``created_by``'s when given."""
        q = select(FtpCredential).where(
            FtpCredential.event_id == event_id, FtpCredential.revoked_at.is_(None)
        )
        if created_by is not None:
            q = q.where(FtpCredential.created_by_id == created_by)
        return list(self.db.scalars(q.order_by(FtpCredential.created_at.desc(), FtpCredential.id.desc())))
