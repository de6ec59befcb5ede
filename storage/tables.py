"""The schema, as SQLAlchemy Core tables. Migrations in ``storage/migrations`` create it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
    false,
    text,
)
from sqlalchemy.engine import Dialect


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both databases (SQLite keeps no zone, so we put it back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

songs = Table(
    "songs",
    metadata,
    Column("song_id", Uuid(as_uuid=False), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("artist", String(200), nullable=False),
    # Case-folded copies: sorting and contains-filtering behave the same on both databases.
    Column("title_key", String(400), nullable=False),
    Column("artist_key", String(400), nullable=False),
    Column("match_key", String(900), nullable=False),
    Column("duration", Integer, nullable=True),
    Column("media_bucket", String(200), nullable=True),
    Column("media_key", String(1024), nullable=True),
    Column("year", Integer, nullable=True),
    Column("language", String(100), nullable=True),
    Column("tags", JSON, nullable=False),
    Column("duet", Boolean, nullable=False),
    Column("explicit", Boolean, nullable=False),
    Column("external_id", String(200), nullable=True, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index(None, "match_key"),
    Index(None, "title_key", "song_id"),
    Index(None, "artist_key", "song_id"),
    Index(None, "created_at", "song_id"),
    Index(None, "updated_at", "song_id"),
)

catalog_changes = Table(
    "catalog_changes",
    metadata,
    # Every catalog write appends here in the same transaction, so each instance's
    # search index can follow changes made through any other instance.
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("song_id", Uuid(as_uuid=False), nullable=False),
    Column("changed_at", UtcDateTime, nullable=False),
)

shows = Table(
    "shows",
    metadata,
    # A projection of each show's ShowOpened/ShowClosed events, kept in the same transaction as
    # the events; ``version`` (= last seq) is the optimistic-concurrency guard for appends.
    Column("show_id", Uuid(as_uuid=False), primary_key=True),
    Column("code", String(8), nullable=False),
    Column("name", String(200), nullable=False),
    Column("status", String(10), nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("closed_at", UtcDateTime, nullable=True),
    # The current settings (from ShowOpened and ShowSettingsChanged), so listing shows folds no stream.
    # Always set; nullable only because SQLite adds a NOT NULL column to a table only with a default.
    Column("settings", JSON, nullable=True),
    # Two open shows never share a join code; closed shows free theirs.
    Index(
        "uq_shows_open_code",
        "code",
        unique=True,
        sqlite_where=text("status = 'open'"),
        postgresql_where=text("status = 'open'"),
    ),
    Index(None, "created_at"),
    Index(None, "status", "created_at"),
)

show_events = Table(
    "show_events",
    metadata,
    # The append-only log: one stream per show, seq 1, 2, 3... without gaps.
    Column("show_id", Uuid(as_uuid=False), ForeignKey("shows.show_id"), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("type", String(60), nullable=False),
    Column("payload", JSON, nullable=False),
    # Set on the first event of each command's batch; a repeated command finds it here.
    Column("command_id", String(200), nullable=True),
    Column("occurred_at", UtcDateTime, nullable=False),
    UniqueConstraint("show_id", "command_id", name="uq_show_events_show_id_command_id"),
)

chat_people = Table(
    "chat_people",
    metadata,
    Column("platform", String(20), primary_key=True),
    Column("user_id", String(200), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("username", String(200), nullable=True),
    # Case-folded username, for "/pause @Alice" lookups that behave the same on both databases.
    Column("username_key", String(200), nullable=True),
    Column("is_bot", Boolean, nullable=False),
    Column("stage_name", String(200), nullable=True),
    Column("current_show", String(64), nullable=True),
    # The person's private chat with the bot, once they opened one; reminders go there first.
    Column("private_room", String(200), nullable=True),
    Column("muted", Boolean, nullable=False, server_default=false()),
    Index(None, "platform", "username_key"),
)

people = Table(
    "people",
    metadata,
    # A person: the name they chose (or a walk-in's name), and whether their reminders are muted. Their
    # identities are in ``person_identities``; a walk-in has none.
    Column("person_id", String(64), primary_key=True),
    Column("name", String(200), nullable=True),
    Column("muted", Boolean, nullable=False, server_default=false()),
)

person_identities = Table(
    "person_identities",
    metadata,
    # Each chat identity belongs to exactly one person; linking moves identities between people.
    Column("platform", String(20), primary_key=True),
    Column("user_id", String(200), primary_key=True),
    Column("person_id", String(64), nullable=False),
    Index(None, "person_id"),
)

link_codes = Table(
    "link_codes",
    metadata,
    # One-time codes to link an identity to a person: only the SHA-256 of the code is kept. Using one is a
    # conditional update (unused and unexpired), so it links once across instances.
    Column("code_hash", String(64), primary_key=True),
    Column("person_id", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime, nullable=True),
    Index(None, "expires_at"),
)

link_attempts = Table(
    "link_attempts",
    metadata,
    # Codes tried per identity lately, to limit guessing; rows older than the window are deleted as new come.
    Column("attempt_id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(20), nullable=False),
    Column("user_id", String(200), nullable=False),
    Column("attempted_at", UtcDateTime, nullable=False),
    Index(None, "platform", "user_id", "attempted_at"),
    Index(None, "attempted_at"),
)

web_joins = Table(
    "web_joins",
    metadata,
    # Where each web session joined its show from: a keyed hash of the address (never the address). While the
    # KJ has blocked a singer who joined a show from an address, new sessions from it take numbered slots.
    Column("session_id", String(64), primary_key=True),
    Column("show_id", String(64), nullable=False),
    Column("address_key", String(64), nullable=False),
    Column("joined_at", UtcDateTime, nullable=False),
    Column("slot", Integer, nullable=True),
    Index(None, "show_id", "address_key"),
    UniqueConstraint("show_id", "address_key", "slot", name="uq_web_joins_show_id_address_key_slot"),
)

favourites = Table(
    "favourites",
    metadata,
    # Songs a person marked with /fav; the song's title and artist are kept so the list survives catalog edits.
    Column("fav_id", Integer, primary_key=True, autoincrement=True),
    Column("person_id", String(64), nullable=False),
    Column("song_id", String(64), nullable=False),
    Column("title", String(200), nullable=False),
    Column("artist", String(200), nullable=False),
    Column("duration", Integer, nullable=True),
    Column("added_at", UtcDateTime, nullable=False),
    UniqueConstraint("person_id", "song_id", name="uq_favourites_person_id_song_id"),
)

chat_rooms = Table(
    "chat_rooms",
    metadata,
    Column("platform", String(20), primary_key=True),
    Column("room_id", String(200), primary_key=True),
    Column("show_id", String(64), nullable=False),
)

chat_kjs = Table(
    "chat_kjs",
    metadata,
    Column("show_id", String(64), primary_key=True),
    Column("platform", String(20), primary_key=True),
    Column("user_id", String(200), primary_key=True),
)

chat_choices = Table(
    "chat_choices",
    metadata,
    Column("token", String(64), primary_key=True),
    Column("platform", String(20), nullable=False),
    Column("user_id", String(200), nullable=False),
    Column("show_id", String(64), nullable=False),
    Column("action", String(20), nullable=False),
    Column("arg", String(200), nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
)

inbox = Table(
    "inbox",
    metadata,
    # Every inbound chat update, stored before the platform is told we have it.
    Column("item_id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(20), nullable=False),
    Column("update_key", String(200), nullable=False),
    Column("event", JSON, nullable=False),
    Column("context", JSON, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("available_at", UtcDateTime, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("handled_at", UtcDateTime, nullable=True),
    Column("last_error", String(500), nullable=True),
    UniqueConstraint("platform", "update_key", name="uq_inbox_platform_update_key"),
    Index(None, "handled_at", "available_at"),
)

outbox = Table(
    "outbox",
    metadata,
    # Every reply to send; ``key`` makes queueing idempotent, so a re-handled update sends once.
    Column("item_id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(300), nullable=False, unique=True),
    Column("platform", String(20), nullable=False),
    Column("chat", String(250), nullable=False),
    Column("is_group", Boolean, nullable=False),
    Column("reply", JSON, nullable=False),
    Column("context", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("available_at", UtcDateTime, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("sent_at", UtcDateTime, nullable=True),
    Column("failed_at", UtcDateTime, nullable=True),
    Column("last_error", String(500), nullable=True),
    # Sent through a free channel (a Slack command's response_url): not counted against the rate limits.
    Column("free_of_limits", Boolean, nullable=False, server_default=false()),
    Index(None, "platform", "sent_at", "failed_at", "available_at"),
    Index(None, "failed_at"),
)

notices = Table(
    "notices",
    metadata,
    # What to tell singers and KJs about a show, written in the same transaction as the events that
    # cause it; ``key`` (show, request, kind, skips) makes each notice happen once.
    Column("notice_id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(300), nullable=False, unique=True),
    Column("show_id", String(64), nullable=False),
    Column("request_id", String(64), nullable=True),
    Column("kind", String(20), nullable=False),
    # pending → sent | dropped | muted | confirmed | unreachable; or suppressed from the start.
    Column("status", String(20), nullable=False),
    Column("due_at", UtcDateTime, nullable=False),
    # Due time, or the end of the lease of the ticker that claimed it.
    Column("available_at", UtcDateTime, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("detail", String(500), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("settled_at", UtcDateTime, nullable=True),
    # How many times the notice was stored again after it was withdrawn: each telling has its own messages.
    Column("revision", Integer, nullable=False, server_default=text("0")),
    # Only pending rows are ever claimed: a partial index stays small and settled rows leave it.
    Index("ix_notices_pending", "available_at", postgresql_where=text("status = 'pending'"),
          sqlite_where=text("status = 'pending'")),
)

kj_invites = Table(
    "kj_invites",
    metadata,
    # One-time KJ invites made with `karaoke kj invite`: only the SHA-256 of the code is kept. Redeeming
    # sets ``redeemed_at`` and the redeemer in one conditional update, so a code is used once across instances.
    Column("code_hash", String(64), primary_key=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("redeemed_at", UtcDateTime, nullable=True),
    Column("platform", String(20), nullable=True),
    Column("user_id", String(200), nullable=True),
)

kj_people = Table(
    "kj_people",
    metadata,
    # People who redeemed a KJ invite: they may open shows when opening is restricted.
    Column("platform", String(20), primary_key=True),
    Column("user_id", String(200), primary_key=True),
    Column("since", UtcDateTime, nullable=False),
)

admin_sessions = Table(
    "admin_sessions",
    metadata,
    # The KJ dashboard's sessions. Only a SHA-256 of the session id is kept: a copy of this table
    # opens no dashboard.
    Column("session_hash", String(64), primary_key=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Index(None, "expires_at"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    # Each Idempotency-Key (scoped by show and command kind) with a SHA-256 of the request it was first
    # used with, so the same key with another request is refused instead of answered with the first result.
    Column("key", String(400), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("show_id", String(64), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Index(None, "show_id"),
)

projections = Table(
    "projections",
    metadata,
    # Each read-side view built from the event log (core.projections), with the version of the code that built
    # it: a runner of a higher version clears the view and builds it again; claims hold this row shared,
    # a rebuild holds it exclusively.
    Column("name", String(60), primary_key=True),
    Column("version", Integer, nullable=False),
)

projection_positions = Table(
    "projection_positions",
    metadata,
    # Per view and show, the seq of the last event the view applied. A show's seqs commit in order (the
    # shows.version guard), so, unlike one position across every show, this never passes over an event that
    # commits late. Locked while a runner applies events; moved in the same transaction as their changes.
    Column("projection", String(60), primary_key=True),
    Column("show_id", Uuid(as_uuid=False), primary_key=True),
    Column("seq", Integer, nullable=False),
)

performances = Table(
    "performances",
    metadata,
    # The Performances view (core.projections.performances): one row per ended turn of a show, in the order of
    # the fold's history. Built from the event log and rebuilt at will (`karaoke projections rebuild`), so no
    # other table refers to it. The singer as they were then: a name, and a person when the log knew one.
    Column("show_id", Uuid(as_uuid=False), primary_key=True),
    Column("ordinal", Integer, primary_key=True),
    Column("request_id", String(64), nullable=False),
    Column("singer_id", String(64), nullable=False),
    Column("person_id", String(64), nullable=True),
    # Text from the log, kept whole whatever its length: a view never refuses what the log holds.
    Column("singer_name", String(), nullable=False),
    Column("song_id", String(64), nullable=False),
    Column("title", String(), nullable=False),
    Column("artist", String(), nullable=False),
    Column("duration", Integer, nullable=True),
    Column("requested_at", UtcDateTime, nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime, nullable=False),
    # sung | skipped | voided | no-show | unfinished
    Column("outcome", String(12), nullable=False),
    Column("wait_seconds", Integer, nullable=False),
    # The event that ended the turn.
    Column("seq", Integer, nullable=False),
    Index(None, "started_at"),
    Index(None, "person_id", "started_at"),
    Index(None, "song_id", "outcome"),
    # The name a song was last sung under (storage.stats): the newest of its rows, read backwards.
    Index(None, "song_id", "started_at"),
)

stats_counts = Table(
    "stats_counts",
    metadata,
    # The Performances view summed up (storage.stats), kept in the same transaction as the view's rows, so the
    # stats of a month, a year or all time read a few thousand rows instead of every performance. ``period`` is
    # 'all', a UTC year 'YYYY' or a UTC month 'YYYY-MM'; ``dimension`` one of song, artist, singer, hour, show,
    # total, and ``key`` the song id, the artist, the singer ('p:' person id, else 's:' singer id), the hour
    # '00'..'23', the show id, or ''.
    # No names: the singers' names are read from the view itself, so an erasure leaves nothing here to find.
    Column("period", String(7), primary_key=True),
    Column("dimension", String(8), primary_key=True),
    Column("key", String(), primary_key=True),
    Column("sung", Integer, nullable=False),
    Column("no_shows", Integer, nullable=False),
    Column("wait_seconds", BigInteger, nullable=False),
    # A period's most sung first, read off the index (the all-time top songs, /top, search's popularity, a
    # window's leaders in each period it spans).
    Index(None, "period", "dimension", "sung"),
    # A window's sums of given keys, or of every key of a dimension, from the index alone.
    Index(None, "period", "dimension", "key", "sung"),
)
