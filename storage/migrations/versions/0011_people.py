"""People: a person behind identities, link codes, link attempts and favourite songs.

Stage names and muting move from the identity (``chat_people``) to its person: every identity that
had either becomes a person of its own here (the columns stay, unused, for a later clean-up).

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

from storage.tables import UtcDateTime

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("muted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("person_id", name="pk_people"),
    )
    op.create_table(
        "person_identities",
        sa.Column("platform", sa.String(20), nullable=False),
        sa.Column("user_id", sa.String(200), nullable=False),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("platform", "user_id", name="pk_person_identities"),
    )
    op.create_index("ix_person_identities_person_id", "person_identities", ["person_id"])
    op.create_table(
        "link_codes",
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("used_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("code_hash", name="pk_link_codes"),
    )
    op.create_index("ix_link_codes_expires_at", "link_codes", ["expires_at"])
    op.create_table(
        "link_attempts",
        sa.Column("attempt_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(20), nullable=False),
        sa.Column("user_id", sa.String(200), nullable=False),
        sa.Column("attempted_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("attempt_id", name="pk_link_attempts"),
    )
    op.create_index("ix_link_attempts_platform_user_id_attempted_at", "link_attempts",
                    ["platform", "user_id", "attempted_at"])
    op.create_index("ix_link_attempts_attempted_at", "link_attempts", ["attempted_at"])
    op.create_table(
        "favourites",
        sa.Column("fav_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("song_id", sa.String(64), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("artist", sa.String(200), nullable=False),
        sa.Column("duration", sa.Integer(), nullable=True),
        sa.Column("added_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("fav_id", name="pk_favourites"),
        sa.UniqueConstraint("person_id", "song_id", name="uq_favourites_person_id_song_id"),
    )
    bind = op.get_bind()
    chat_people = sa.table("chat_people", sa.column("platform", sa.String), sa.column("user_id", sa.String),
                           sa.column("stage_name", sa.String), sa.column("muted", sa.Boolean))
    rows = bind.execute(sa.select(chat_people.c.platform, chat_people.c.user_id, chat_people.c.stage_name,
                                  chat_people.c.muted).where(
        sa.or_(chat_people.c.stage_name.is_not(None), chat_people.c.muted.is_(True)))).all()
    people = [{"person_id": str(uuid.uuid4()), "name": row.stage_name, "muted": bool(row.muted)} for row in rows]
    if people:
        op.bulk_insert(sa.table("people", sa.column("person_id", sa.String), sa.column("name", sa.String),
                                sa.column("muted", sa.Boolean)), people)
        op.bulk_insert(sa.table("person_identities", sa.column("platform", sa.String),
                                sa.column("user_id", sa.String), sa.column("person_id", sa.String)),
                       [{"platform": row.platform, "user_id": row.user_id, "person_id": person["person_id"]}
                        for row, person in zip(rows, people, strict=True)])


def downgrade() -> None:
    op.drop_table("favourites")
    op.drop_index("ix_link_attempts_attempted_at", "link_attempts")
    op.drop_index("ix_link_attempts_platform_user_id_attempted_at", "link_attempts")
    op.drop_table("link_attempts")
    op.drop_index("ix_link_codes_expires_at", "link_codes")
    op.drop_table("link_codes")
    op.drop_index("ix_person_identities_person_id", "person_identities")
    op.drop_table("person_identities")
    op.drop_table("people")
