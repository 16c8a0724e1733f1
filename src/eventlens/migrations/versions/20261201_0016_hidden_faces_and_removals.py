"""face_blocks (hidden people and guests' removal requests) and faces.hidden_by

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-02 22:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import eventlens.db

revision: str = "0016"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "face_blocks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column(
            "source",
            sa.Enum("photographer", "guest", name="blocksource", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("embeddings", sa.LargeBinary(), nullable=False),
        sa.Column("engine_id", sa.String(length=64), nullable=False),
        sa.Column("hide_photos", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column(
            "photo_decision",
            sa.Enum("pending", "hidden", "kept", name="photodecision", native_enum=False, length=20),
            nullable=True,
        ),
        sa.Column("face_count", sa.Integer(), nullable=False),
        sa.Column("confirmed_at", eventlens.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", eventlens.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_face_blocks_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_face_blocks")),
    )
    op.create_index(op.f("ix_face_blocks_event_id"), "face_blocks", ["event_id"], unique=False)
    with op.batch_alter_table("faces", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hidden_by", sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f("ix_faces_hidden_by"), ["hidden_by"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_faces_hidden_by_face_blocks"),
            "face_blocks",
            ["hidden_by"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("faces", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_faces_hidden_by_face_blocks"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_faces_hidden_by"))
        batch_op.drop_column("hidden_by")
    op.drop_index(op.f("ix_face_blocks_event_id"), table_name="face_blocks")
    op.drop_table("face_blocks")
