"""notify_subscriptions, notify_matches, notify_mails: "tell me when new photos of me arrive"

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import eventlens.db

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notify_subscriptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("embeddings", sa.LargeBinary(), nullable=False),
        sa.Column("engine_id", sa.String(length=64), nullable=False),
        sa.Column("consent_text", sa.Text(), nullable=False),
        sa.Column("consented_at", eventlens.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_sent_at", eventlens.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_notify_subscriptions_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_subscriptions")),
        sa.UniqueConstraint("event_id", "email", name="uq_notify_subscriptions_event_email"),
    )
    with op.batch_alter_table("notify_subscriptions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notify_subscriptions_event_id"), ["event_id"], unique=False)

    op.create_table(
        "notify_mails",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=True),
        sa.Column("photo_count", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("pending", "sent", "dropped", name="mailstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", eventlens.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", eventlens.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_notify_mails_event_id_events"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["notify_subscriptions.id"],
            name=op.f("fk_notify_mails_subscription_id_notify_subscriptions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_mails")),
    )
    with op.batch_alter_table("notify_mails", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notify_mails_event_id"), ["event_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_notify_mails_subscription_id"), ["subscription_id"], unique=False
        )

    op.create_table(
        "notify_matches",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("photo_id", sa.Uuid(), nullable=False),
        sa.Column("similarity", sa.Float(), nullable=False),
        sa.Column("created_at", eventlens.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("mail_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["mail_id"],
            ["notify_mails.id"],
            name=op.f("fk_notify_matches_mail_id_notify_mails"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["photo_id"], ["photos.id"], name=op.f("fk_notify_matches_photo_id_photos"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["notify_subscriptions.id"],
            name=op.f("fk_notify_matches_subscription_id_notify_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_matches")),
        sa.UniqueConstraint("subscription_id", "photo_id", name="uq_notify_matches_subscription_photo"),
    )
    with op.batch_alter_table("notify_matches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notify_matches_photo_id"), ["photo_id"], unique=False)
        batch_op.create_index(
            "ix_notify_matches_subscription_mail", ["subscription_id", "mail_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("notify_matches", schema=None) as batch_op:
        batch_op.drop_index("ix_notify_matches_subscription_mail")
        batch_op.drop_index(batch_op.f("ix_notify_matches_photo_id"))

    op.drop_table("notify_matches")
    with op.batch_alter_table("notify_mails", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notify_mails_subscription_id"))
        batch_op.drop_index(batch_op.f("ix_notify_mails_event_id"))

    op.drop_table("notify_mails")
    with op.batch_alter_table("notify_subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notify_subscriptions_event_id"))

    op.drop_table("notify_subscriptions")
