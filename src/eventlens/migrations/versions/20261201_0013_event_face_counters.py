"""events.face_changes / face_removals: the counters that tell a search process its index is stale

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 18:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Processes running when this lands hold no index yet (their copies start from (-1, -1)).
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("face_changes", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("face_removals", sa.BigInteger(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("face_removals")
        batch_op.drop_column("face_changes")
