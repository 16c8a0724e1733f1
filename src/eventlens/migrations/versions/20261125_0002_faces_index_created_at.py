"""faces: index (event, engine, created_at) so the index freshness check reads no face rows

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 10:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Each search asks for the event's face count and newest face; with created_at in the index both
    # come from the index alone instead of every face row (half a kilobyte of embedding each).
    with op.batch_alter_table("faces", schema=None) as batch_op:
        batch_op.drop_index("ix_faces_event_engine")
        batch_op.create_index("ix_faces_event_engine", ["event_id", "engine_id", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("faces", schema=None) as batch_op:
        batch_op.drop_index("ix_faces_event_engine")
        batch_op.create_index("ix_faces_event_engine", ["event_id", "engine_id"], unique=False)
