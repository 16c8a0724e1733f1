"""users.public_name and users.website for the guest page; photos by event and time taken

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 18:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Both optional: accounts already there keep showing their name, without a link.
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public_name", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("website", sa.String(length=300), nullable=True))
    op.create_index("ix_photos_event_taken", "photos", ["event_id", "taken_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_photos_event_taken", table_name="photos")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("website")
        batch_op.drop_column("public_name")
