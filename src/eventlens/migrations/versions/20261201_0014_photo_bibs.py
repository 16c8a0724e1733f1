"""photo_bibs: numbers read on photos (race bibs, jerseys) for the guests' bib search

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 18:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import eventlens.db

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "photo_bibs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("photo_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=12), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("box_x", sa.Float(), nullable=False),
        sa.Column("box_y", sa.Float(), nullable=False),
        sa.Column("box_w", sa.Float(), nullable=False),
        sa.Column("box_h", sa.Float(), nullable=False),
        sa.Column("created_at", eventlens.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_photo_bibs_event_id_events"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["photo_id"], ["photos.id"], name=op.f("fk_photo_bibs_photo_id_photos"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photo_bibs")),
    )
    op.create_index("ix_photo_bibs_event_number", "photo_bibs", ["event_id", "number"], unique=False)
    op.create_index(op.f("ix_photo_bibs_photo_id"), "photo_bibs", ["photo_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_photo_bibs_photo_id"), table_name="photo_bibs")
    op.drop_index("ix_photo_bibs_event_number", table_name="photo_bibs")
    op.drop_table("photo_bibs")
