"""Stats: an index of each period's keys with their counts, so a window over several periods sums given keys, or
every key of a dimension, from the index alone (storage.stats reads each period's leaders first, then sums).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_stats_counts_period_dimension_key_sung", "stats_counts", ["period", "dimension", "key", "sung"])


def downgrade() -> None:
    op.drop_index("ix_stats_counts_period_dimension_key_sung", "stats_counts")
