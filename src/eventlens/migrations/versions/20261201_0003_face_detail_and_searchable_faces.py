"""events.face_detail (standard | crowd); faces.searchable and faces.skip_reason

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 15:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Server defaults fill the rows already there: existing events keep today's cost (standard), and
    # faces indexed before this revision stay searchable until their photo is processed again.
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "face_detail",
                sa.Enum("standard", "crowd", name="facedetail", native_enum=False, length=20),
                server_default="standard",
                nullable=False,
            )
        )
    with op.batch_alter_table("faces", schema=None) as batch_op:
        batch_op.add_column(sa.Column("searchable", sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column("skip_reason", sa.String(length=20), nullable=True))
        # The search index counts and loads only searchable faces; with the flag in the index the
        # freshness check (count, newest) still reads no face rows.
        batch_op.drop_index("ix_faces_event_engine")
        batch_op.create_index(
            "ix_faces_event_engine", ["event_id", "engine_id", "searchable", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("faces", schema=None) as batch_op:
        batch_op.drop_index("ix_faces_event_engine")
        batch_op.create_index("ix_faces_event_engine", ["event_id", "engine_id", "created_at"], unique=False)
        batch_op.drop_column("skip_reason")
        batch_op.drop_column("searchable")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("face_detail")
