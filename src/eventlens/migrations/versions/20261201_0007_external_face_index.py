"""faces.external_id and face_collections: faces indexed by an external service (AWS Rekognition)

Revision ID: 0007
Revises: 0004
Create Date: 2026-12-10 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import eventlens.db

revision: str = "0007"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("faces", schema=None) as batch_op:
        batch_op.add_column(sa.Column("external_id", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_faces_external_id"), ["external_id"], unique=False)
    op.create_table(
        "face_collections",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("engine_id", sa.String(length=50), nullable=False),
        sa.Column("created_at", eventlens.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_face_collections")),
    )
    with op.batch_alter_table("face_collections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_face_collections_event_id"), ["event_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("face_collections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_face_collections_event_id"))
    op.drop_table("face_collections")
    with op.batch_alter_table("faces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_faces_external_id"))
        batch_op.drop_column("external_id")
