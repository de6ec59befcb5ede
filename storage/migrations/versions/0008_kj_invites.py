"""KJ invites (kept as hashes) and the people who redeemed one: who may open shows.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.tables import UtcDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kj_invites",
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("redeemed_at", UtcDateTime(), nullable=True),
        sa.Column("platform", sa.String(20), nullable=True),
        sa.Column("user_id", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("code_hash", name="pk_kj_invites"),
    )
    op.create_table(
        "kj_people",
        sa.Column("platform", sa.String(20), nullable=False),
        sa.Column("user_id", sa.String(200), nullable=False),
        sa.Column("since", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("platform", "user_id", name="pk_kj_people"),
    )


def downgrade() -> None:
    op.drop_table("kj_people")
    op.drop_table("kj_invites")
