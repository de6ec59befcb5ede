"""Web joins: where each web session joined its show from, as a keyed hash of the address, and the slots new
sessions take from an address a blocked singer joined from.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.tables import UtcDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_joins",
        sa.Column("session_id", sa.String(64), nullable=False),
        sa.Column("show_id", sa.String(64), nullable=False),
        sa.Column("address_key", sa.String(64), nullable=False),
        sa.Column("joined_at", UtcDateTime(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("session_id", name="pk_web_joins"),
        sa.UniqueConstraint("show_id", "address_key", "slot", name="uq_web_joins_show_id_address_key_slot"),
    )
    op.create_index("ix_web_joins_show_id_address_key", "web_joins", ["show_id", "address_key"])


def downgrade() -> None:
    op.drop_index("ix_web_joins_show_id_address_key", "web_joins")
    op.drop_table("web_joins")
