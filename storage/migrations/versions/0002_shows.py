"""Shows and their append-only event streams.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.tables import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shows",
        sa.Column("show_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("code", sa.String(8), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("closed_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("show_id", name="pk_shows"),
    )
    op.create_index(
        "uq_shows_open_code",
        "shows",
        ["code"],
        unique=True,
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_index("ix_shows_created_at", "shows", ["created_at"])
    op.create_table(
        "show_events",
        sa.Column("show_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("type", sa.String(60), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("command_id", sa.String(200), nullable=True),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["show_id"], ["shows.show_id"], name="fk_show_events_show_id_shows"),
        sa.PrimaryKeyConstraint("show_id", "seq", name="pk_show_events"),
        sa.UniqueConstraint("show_id", "command_id", name="uq_show_events_show_id_command_id"),
    )


def downgrade() -> None:
    op.drop_table("show_events")
    op.drop_index("ix_shows_created_at", table_name="shows")
    op.drop_index("uq_shows_open_code", table_name="shows")
    op.drop_table("shows")
