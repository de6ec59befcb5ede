"""The song catalog and its change feed.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.tables import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "songs",
        sa.Column("song_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("artist", sa.String(200), nullable=False),
        sa.Column("title_key", sa.String(400), nullable=False),
        sa.Column("artist_key", sa.String(400), nullable=False),
        sa.Column("match_key", sa.String(900), nullable=False),
        sa.Column("duration", sa.Integer(), nullable=True),
        sa.Column("media_bucket", sa.String(200), nullable=True),
        sa.Column("media_key", sa.String(1024), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(100), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("duet", sa.Boolean(), nullable=False),
        sa.Column("explicit", sa.Boolean(), nullable=False),
        sa.Column("external_id", sa.String(200), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("song_id", name="pk_songs"),
        sa.UniqueConstraint("external_id", name="uq_songs_external_id"),
    )
    op.create_index("ix_songs_match_key", "songs", ["match_key"])
    op.create_index("ix_songs_title_key_song_id", "songs", ["title_key", "song_id"])
    op.create_index("ix_songs_artist_key_song_id", "songs", ["artist_key", "song_id"])
    op.create_index("ix_songs_created_at_song_id", "songs", ["created_at", "song_id"])
    op.create_index("ix_songs_updated_at_song_id", "songs", ["updated_at", "song_id"])
    op.create_table(
        "catalog_changes",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("song_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("changed_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_catalog_changes"),
    )


def downgrade() -> None:
    op.drop_table("catalog_changes")
    op.drop_index("ix_songs_updated_at_song_id", table_name="songs")
    op.drop_index("ix_songs_created_at_song_id", table_name="songs")
    op.drop_index("ix_songs_artist_key_song_id", table_name="songs")
    op.drop_index("ix_songs_title_key_song_id", table_name="songs")
    op.drop_index("ix_songs_match_key", table_name="songs")
    op.drop_table("songs")
