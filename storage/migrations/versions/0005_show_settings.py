"""Shows keep their current settings beside their events, so a list of shows folds no stream.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_events = sa.table(
    "show_events",
    sa.column("show_id", sa.Uuid(as_uuid=False)),
    sa.column("seq", sa.Integer()),
    sa.column("type", sa.String()),
    sa.column("payload", sa.JSON()),
)
_shows = sa.table("shows", sa.column("show_id", sa.Uuid(as_uuid=False)), sa.column("settings", sa.JSON()))


def upgrade() -> None:
    # Nullable because SQLite adds a NOT NULL column only with a default; every show has settings.
    op.add_column("shows", sa.Column("settings", sa.JSON(), nullable=True))
    # Each show's settings are those of its last ShowOpened or ShowSettingsChanged event.
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_events.c.show_id, _events.c.payload)
        .where(_events.c.type.in_(["ShowOpened", "ShowSettingsChanged"]))
        .order_by(_events.c.show_id, _events.c.seq)
    )
    latest = {str(row.show_id): row.payload["settings"] for row in rows}
    for show_id, settings in latest.items():
        connection.execute(sa.update(_shows).where(_shows.c.show_id == show_id).values(settings=settings))
    op.create_index("ix_shows_status_created_at", "shows", ["status", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_shows_status_created_at", table_name="shows")
    op.drop_column("shows", "settings")
