"""Projections: read-side views built from the event log, their per-show checkpoints, and Performances.

Nothing is copied here: the runners of the service (or ``karaoke projections rebuild``) fill the views from
the event log, every show from its first event.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.tables import UtcDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "projections",
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_projections"),
    )
    op.create_table(
        "projection_positions",
        sa.Column("projection", sa.String(60), nullable=False),
        sa.Column("show_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("projection", "show_id", name="pk_projection_positions"),
    )
    op.create_table(
        "performances",
        sa.Column("show_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("singer_id", sa.String(64), nullable=False),
        sa.Column("person_id", sa.String(64), nullable=True),
        sa.Column("singer_name", sa.String(), nullable=False),
        sa.Column("song_id", sa.String(64), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("artist", sa.String(), nullable=False),
        sa.Column("duration", sa.Integer(), nullable=True),
        sa.Column("requested_at", UtcDateTime(), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("finished_at", UtcDateTime(), nullable=False),
        sa.Column("outcome", sa.String(12), nullable=False),
        sa.Column("wait_seconds", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("show_id", "ordinal", name="pk_performances"),
    )
    op.create_index("ix_performances_started_at", "performances", ["started_at"])
    op.create_index("ix_performances_person_id_started_at", "performances", ["person_id", "started_at"])
    op.create_index("ix_performances_song_id_outcome", "performances", ["song_id", "outcome"])


def downgrade() -> None:
    op.drop_index("ix_performances_song_id_outcome", "performances")
    op.drop_index("ix_performances_person_id_started_at", "performances")
    op.drop_index("ix_performances_started_at", "performances")
    op.drop_table("performances")
    op.drop_table("projection_positions")
    op.drop_table("projections")
