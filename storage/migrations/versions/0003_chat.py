"""Chat directory (people, rooms, KJs, button choices), inbox and outbox.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.tables import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chat_people",
        sa.Column("platform", sa.String(20), nullable=False),
        sa.Column("user_id", sa.String(200), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("username", sa.String(200), nullable=True),
        sa.Column("username_key", sa.String(200), nullable=True),
        sa.Column("is_bot", sa.Boolean(), nullable=False),
        sa.Column("stage_name", sa.String(200), nullable=True),
        sa.Column("current_show", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("platform", "user_id", name="pk_chat_people"),
    )
    op.create_index("ix_chat_people_platform_username_key", "chat_people", ["platform", "username_key"])
    op.create_table(
        "chat_rooms",
        sa.Column("platform", sa.String(20), nullable=False),
        sa.Column("room_id", sa.String(200), nullable=False),
        sa.Column("show_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("platform", "room_id", name="pk_chat_rooms"),
    )
    op.create_table(
        "chat_kjs",
        sa.Column("show_id", sa.String(64), nullable=False),
        sa.Column("platform", sa.String(20), nullable=False),
        sa.Column("user_id", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("show_id", "platform", "user_id", name="pk_chat_kjs"),
    )
    op.create_table(
        "chat_choices",
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("platform", sa.String(20), nullable=False),
        sa.Column("user_id", sa.String(200), nullable=False),
        sa.Column("show_id", sa.String(64), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("arg", sa.String(200), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("token", name="pk_chat_choices"),
    )
    op.create_table(
        "inbox",
        sa.Column("item_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(20), nullable=False),
        sa.Column("update_key", sa.String(200), nullable=False),
        sa.Column("event", sa.JSON(), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.Column("available_at", UtcDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("handled_at", UtcDateTime(), nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.PrimaryKeyConstraint("item_id", name="pk_inbox"),
        sa.UniqueConstraint("platform", "update_key", name="uq_inbox_platform_update_key"),
    )
    op.create_index("ix_inbox_handled_at_available_at", "inbox", ["handled_at", "available_at"])
    op.create_table(
        "outbox",
        sa.Column("item_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("platform", sa.String(20), nullable=False),
        sa.Column("chat", sa.String(250), nullable=False),
        sa.Column("is_group", sa.Boolean(), nullable=False),
        sa.Column("reply", sa.JSON(), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("available_at", UtcDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=True),
        sa.Column("failed_at", UtcDateTime(), nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.PrimaryKeyConstraint("item_id", name="pk_outbox"),
        sa.UniqueConstraint("key", name="uq_outbox_key"),
    )
    op.create_index(
        "ix_outbox_platform_sent_at_failed_at_available_at", "outbox", ["platform", "sent_at", "failed_at", "available_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_platform_sent_at_failed_at_available_at", table_name="outbox")
    op.drop_table("outbox")
    op.drop_index("ix_inbox_handled_at_available_at", table_name="inbox")
    op.drop_table("inbox")
    op.drop_table("chat_choices")
    op.drop_table("chat_kjs")
    op.drop_table("chat_rooms")
    op.drop_index("ix_chat_people_platform_username_key", table_name="chat_people")
    op.drop_table("chat_people")
