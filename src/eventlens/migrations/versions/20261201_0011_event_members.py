"""event_members: photographers and viewers invited into an event besides its owner

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 18:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import eventlens.db

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_members",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column(
            "role",
            sa.Enum("photographer", "viewer", name="memberrole", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("added_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", eventlens.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by_id"],
            ["users.id"],
            name=op.f("fk_event_members_added_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_event_members_event_id_events"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_event_members_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_members")),
        sa.UniqueConstraint("event_id", "user_id", name="uq_event_members_event_user"),
    )
    with op.batch_alter_table("event_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_members_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("event_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_members_user_id"))
    op.drop_table("event_members")
