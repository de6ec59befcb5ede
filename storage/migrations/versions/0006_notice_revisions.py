"""Notices count how often they were told again, so each telling has messages of its own; open shows get
the timer that closes a show nobody touched for its idle hours.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.tables import UtcDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_shows = sa.table("shows", sa.column("show_id", sa.Uuid(as_uuid=False)), sa.column("status", sa.String()),
                  sa.column("created_at", UtcDateTime()))
_notices = sa.table(
    "notices", sa.column("key", sa.String()), sa.column("show_id", sa.String()), sa.column("request_id", sa.String()),
    sa.column("kind", sa.String()), sa.column("status", sa.String()), sa.column("due_at", UtcDateTime()),
    sa.column("available_at", UtcDateTime()), sa.column("attempts", sa.Integer()),
    sa.column("created_at", UtcDateTime()),
)


def upgrade() -> None:
    op.add_column("notices", sa.Column("revision", sa.Integer(), nullable=False, server_default="0"))
    # Shows opened before the idle timer existed get one, due at once: the ticker looks and, if the show
    # is not idle, sets it for the show's last activity plus its idle hours.
    connection = op.get_bind()
    opened = connection.execute(sa.select(_shows.c.show_id, _shows.c.created_at).where(_shows.c.status == "open"))
    rows = [{"key": f"{show_id}:-:idle:0", "show_id": str(show_id), "request_id": None, "kind": "idle",
             "status": "pending", "due_at": at, "available_at": at, "attempts": 0, "created_at": at}
            for show_id, at in opened]
    if rows:
        connection.execute(sa.insert(_notices), rows)


def downgrade() -> None:
    op.execute("DELETE FROM notices WHERE kind = 'idle'")
    with op.batch_alter_table("notices") as batch:
        batch.drop_column("revision")
