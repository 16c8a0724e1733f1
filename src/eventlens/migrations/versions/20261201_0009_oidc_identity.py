"""users.oidc_issuer (accounts linked by issuer + subject) and inbound_webhook_messages (replays)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-10 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import eventlens.db

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A subject is unique only within its issuer (two providers may both have a user "123").
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("oidc_issuer", sa.String(length=500), nullable=True))
        batch_op.drop_constraint(batch_op.f("uq_users_oidc_subject"), type_="unique")
        batch_op.create_unique_constraint("uq_users_oidc_identity", ["oidc_issuer", "oidc_subject"])
    op.create_table(
        "inbound_webhook_messages",
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("received_at", eventlens.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_inbound_webhook_messages")),
    )
    with op.batch_alter_table("inbound_webhook_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inbound_webhook_messages_received_at"), ["received_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("inbound_webhook_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbound_webhook_messages_received_at"))
    op.drop_table("inbound_webhook_messages")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint("uq_users_oidc_identity", type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_users_oidc_subject"), ["oidc_subject"])
        batch_op.drop_column("oidc_issuer")
