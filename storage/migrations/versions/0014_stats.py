"""Stats: the Performances view summed up per month, per year and for all time (``stats_counts``), and an index to find
the name a song was last sung under.

The sums are written with the view's rows, so a view filled before this migration has none: it is cleared here,
and the projection runners build it again from the event log, with its sums.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stats_counts",
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("dimension", sa.String(8), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("sung", sa.Integer(), nullable=False),
        sa.Column("no_shows", sa.Integer(), nullable=False),
        sa.Column("wait_seconds", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("period", "dimension", "key", name="pk_stats_counts"),
    )
    op.create_index("ix_stats_counts_period_dimension_sung", "stats_counts", ["period", "dimension", "sung"])
    op.create_index("ix_performances_song_id_started_at", "performances", ["song_id", "started_at"])
    op.execute("DELETE FROM performances")
    op.execute("DELETE FROM projection_positions WHERE projection = 'performances'")


def downgrade() -> None:
    op.drop_index("ix_performances_song_id_started_at", "performances")
    op.drop_index("ix_stats_counts_period_dimension_sung", "stats_counts")
    op.drop_table("stats_counts")
