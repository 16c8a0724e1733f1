"""people: an event's faces grouped into people (the dashboard's People tab)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 22:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import eventlens.db

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("cover_face_id", sa.Uuid(), nullable=True),
        sa.Column("centroid_sum", sa.LargeBinary(), nullable=False),
        sa.Column("centroid_count", sa.Integer(), nullable=False),
        sa.Column("engine_id", sa.String(length=50), nullable=False),
        sa.Column("curated", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", eventlens.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", eventlens.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_people_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
    )
    op.create_index(op.f("ix_people_event_id"), "people", ["event_id"], unique=False)
    # Faces indexed before this revision have no person: the event's first regroup (a job) groups them.
    with op.batch_alter_table("faces", schema=None) as batch_op:
        batch_op.add_column(sa.Column("person_id", sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f("ix_faces_person_id"), ["person_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_faces_person_id_people"), "people", ["person_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("faces", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_faces_person_id_people"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_faces_person_id"))
        batch_op.drop_column("person_id")
    op.drop_index(op.f("ix_people_event_id"), table_name="people")
    op.drop_table("people")
