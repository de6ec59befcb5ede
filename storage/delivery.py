"""``SqlInbox`` and ``SqlOutbox``: updates stored before they are acknowledged, replies sent exactly once.

Claiming takes a lease: the rows' ``available_at`` moves into the future, so a worker that dies
leaves them to be claimed again when the lease runs out. On PostgreSQL several instances claim at
once with ``FOR UPDATE SKIP LOCKED``; SQLite has one writer, so claims queue in-process. A claim is
one statement (the rows picked in a CTE, leased by an ``UPDATE ... RETURNING``), and batches are
stored, finished and marked sent with one statement each: round trips, not rows, are what cost.
"""

from __future__ import annotations

import asyncio
import contextlib
import zlib
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Integer,
    Select,
    Table,
    Update,
    any_,
    bindparam,
    func,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.chat import ChatEvent
from core.clock import Clock, Monotonic
from core.delivery import (
    InboxItem,
    OutboxItem,
    Outgoing,
    answers_press,
    bucket_of,
    event_from_json,
    event_to_json,
    reply_from_json,
    reply_to_json,
)
from core.wakeups import INBOX, NOTICES, OUTBOX, Wakeups
from storage.notify import Announcer, pg_channel
from storage.tables import inbox, outbox

_ROWS_PER_STATEMENT = 200


class _Store:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._postgres = engine.dialect.name == "postgresql"
        self._dialect = postgresql if self._postgres else sqlite
        self._turn: Any = contextlib.nullcontext() if self._postgres else asyncio.Lock()
        # One statement is atomic by itself and needs no BEGIN and COMMIT round trips around it.
        self._single = engine.execution_options(isolation_level="AUTOCOMMIT")

    def _lockable(self, query: Select[Any]) -> Select[Any]:
        return query.with_for_update(skip_locked=True) if self._postgres else query

    def _claim_of(self, table: Table, *due: ColumnElement[bool], returning: Sequence[Any]) -> Update:
        """The claim of ``table``'s rows that are ``due`` and available at ``:claim_now``: at most ``:claim_limit``,
        in id order, leased until ``:claim_until``. Built once per store: a claim runs per batch, and a statement
        built per call costs its construction and cache key every time."""
        picked = self._lockable(
            select(table.c.item_id)
            .where(*due, table.c.available_at <= bindparam("claim_now"))
            .order_by(table.c.item_id)
            .limit(bindparam("claim_limit"))
        ).cte("picked")
        return (
            update(table).where(table.c.item_id == picked.c.item_id)
            .values(available_at=bindparam("claim_until"), attempts=table.c.attempts + 1)
            .returning(*returning)
        )

    @contextlib.asynccontextmanager
    async def _write(self) -> Any:
        async with self._turn, self._engine.begin() as conn:
            yield conn

    @contextlib.asynccontextmanager
    async def _alone(self) -> Any:
        """A connection for one statement that is atomic by itself: on PostgreSQL without BEGIN and COMMIT
        (two of the three round trips of a claim, at one claim per batch), on SQLite in the one writer's turn."""
        if self._postgres:
            async with self._single.connect() as conn:
                yield conn
        else:
            async with self._write() as conn:
                yield conn


class SqlInbox(_Store):
    """Implements ``core.delivery.Inbox``. ``arrived`` is set whenever this process stores an update.

    ``clock`` stamps when an update arrived (and so when it may first be claimed).
    """

    def __init__(self, engine: AsyncEngine, clock: Clock) -> None:
        super().__init__(engine)
        self._clock = clock
        self.arrived = asyncio.Event()
        self._claim = self._claim_of(inbox, inbox.c.handled_at.is_(None),
                                     returning=(inbox.c.item_id, inbox.c.event, inbox.c.context, inbox.c.attempts))

    async def put(self, event: ChatEvent, context: Mapping[str, str] | None = None) -> bool:
        return (await self.put_many([(event, context or {})]))[0]

    async def put_many(self, events: Sequence[tuple[ChatEvent, Mapping[str, str]]]) -> list[bool]:
        """One transaction for the whole batch (a poller's ``getUpdates`` page): stored whole or not at all."""
        if not events:
            return []
        now = self._clock.now()
        rows: dict[tuple[str, str], dict[str, Any]] = {}
        for event, context in events:
            # A key twice in one batch is stored once, from its first copy, like a redelivery.
            rows.setdefault((event.room.platform, event.update_key), {
                "platform": event.room.platform, "update_key": event.update_key, "event": event_to_json(event),
                "context": dict(context), "received_at": now, "available_at": now, "attempts": 0,
            })
        stored: set[tuple[str, str]] = set()
        async with self._alone() if len(rows) <= _ROWS_PER_STATEMENT else self._write() as conn:
            statement = (
                self._dialect.insert(inbox)
                .on_conflict_do_nothing(index_elements=["platform", "update_key"])
                .returning(inbox.c.platform, inbox.c.update_key)
            )
            if self._postgres:
                # Other instances' workers wake at commit; only rows really stored announce.
                statement = statement.returning(func.pg_notify(pg_channel(INBOX), inbox.c.platform))
            for chunk in _chunks(list(rows.values())):
                # The rows as parameter sets (one multi-row statement per chunk, "insertmanyvalues"), so the
                # statement is compiled once per process: rows written into .values() are never cached.
                stored.update((r.platform, r.update_key) for r in await conn.execute(statement, chunk))
        if stored:
            self.arrived.set()
        flags = []
        for event, _ in events:
            key = (event.room.platform, event.update_key)
            flags.append(key in stored)
            stored.discard(key)  # a later copy in the same batch is a repeat
        return flags

    async def claim(self, limit: int, now: datetime, lease_seconds: float = 60) -> list[InboxItem]:
        leased = {"claim_now": now, "claim_limit": limit, "claim_until": now + timedelta(seconds=lease_seconds)}
        async with self._alone() as conn:
            rows = sorted((await conn.execute(self._claim, leased)).all(), key=lambda r: r.item_id)
        return [InboxItem(r.item_id, event_from_json(r.event), dict(r.context), r.attempts) for r in rows]

    async def finish(self, item_id: int, replies: Sequence[Outgoing], now: datetime) -> None:
        await self.finish_many([(item_id, replies)], now)

    async def finish_many(self, finished: Sequence[tuple[int, Sequence[Outgoing]]], now: datetime) -> None:
        if not finished:
            return
        ids = [item_id for item_id, _ in finished]
        handled = update(inbox).where(inbox.c.item_id.in_(ids)).values(handled_at=now)
        replies = [reply for _, replies in finished for reply in replies]
        if self._postgres and len({reply.key for reply in replies}) <= _ROWS_PER_STATEMENT:
            # One statement, atomic by itself: the updates marked handled in a CTE of the replies' insert.
            # A round trip instead of four (BEGIN, insert, update, COMMIT) for every batch the worker finishes.
            # The ids as one array parameter: an IN list would expand, which rows given as parameter sets forbid.
            handled = (update(inbox).where(inbox.c.item_id == any_(literal(ids, postgresql.ARRAY(Integer))))
                       .values(handled_at=now))
            async with self._single.connect() as conn:
                if replies:
                    await _enqueue(conn, self._dialect, replies, now, also=handled.cte("handled"))
                else:
                    await conn.execute(handled)
            return
        async with self._write() as conn:
            await _enqueue(conn, self._dialect, replies, now)
            await conn.execute(handled)

    async def release(self, item_id: int, error: str, retry_at: datetime) -> None:
        async with self._alone() as conn:
            await conn.execute(
                update(inbox).where(inbox.c.item_id == item_id).values(available_at=retry_at, last_error=error[:500])
            )

    async def pending(self) -> int:
        """Updates stored but not yet handled."""
        async with self._engine.connect() as conn:
            rows = await conn.execute(select(inbox.c.item_id).where(inbox.c.handled_at.is_(None)))
            return len(rows.all())


def _outbox_rows(replies: Sequence[Outgoing], now: datetime) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for item in replies:
        chat, group = bucket_of(item.reply, answers_press(item))
        rows.setdefault(item.key, {
            "key": item.key, "platform": item.platform, "chat": chat, "is_group": group,
            "reply": reply_to_json(item.reply), "context": dict(item.context), "created_at": now,
            "available_at": now, "attempts": 0,
        })
    return list(rows.values())


async def _enqueue(conn: AsyncConnection, dialect: Any, replies: Sequence[Outgoing], now: datetime,
                   also: CTE | None = None) -> None:
    """Queue ``replies`` (a repeated key once); ``also``, a data-modifying CTE, rides on the first insert."""
    for chunk in _chunks(_outbox_rows(replies, now)):
        statement = dialect.insert(outbox).values(_OUTBOX_VALUES).on_conflict_do_nothing(index_elements=["key"])
        if also is not None:
            statement, also = statement.add_cte(also), None
        if dialect is postgresql:
            # The instance holding the platform's sending turn wakes at commit, whichever queued it;
            # rows already queued (a repeated key) announce nothing.
            statement = statement.returning(func.pg_notify(pg_channel(OUTBOX), outbox.c.platform))
        # The rows as parameter sets, not written into .values(): one multi-row statement all the same, compiled
        # once per process instead of once per batch (rows written into a statement are never cached).
        await conn.execute(statement, [{f"row_{name}": value for name, value in row.items()} for row in chunk])


# The outbox columns as parameters named apart from every column: a statement's CTE updating another table
# (the inbox's "handled") would otherwise take same-named parameters for values to set.
_OUTBOX_VALUES = {name: bindparam(f"row_{name}", type_=outbox.c[name].type)
                  for name in ("key", "platform", "chat", "is_group", "reply", "context", "created_at", "available_at",
                               "attempts")}


def _chunks(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    # Multi-row VALUES, kept well below SQLite's and asyncpg's limits on bound parameters per statement.
    return [rows[start:start + _ROWS_PER_STATEMENT] for start in range(0, len(rows), _ROWS_PER_STATEMENT)]


class SqlOutbox(_Store):
    """Implements ``core.delivery.Outbox``. A reply that failed for good is announced on ``NOTICES``: the
    reminders tell the KJs about singers they cannot reach."""

    def __init__(self, engine: AsyncEngine, wakeups: Wakeups | None = None) -> None:
        """``wakeups`` hears this store's announcements in-process (SQLite; PostgreSQL announces itself)."""
        super().__init__(engine)
        self._announce = Announcer(engine, wakeups)
        self._claim = self._claim_of(outbox, outbox.c.platform == bindparam("claim_platform"),
                                     outbox.c.sent_at.is_(None), outbox.c.failed_at.is_(None),
                                     returning=tuple(outbox.c))

    async def enqueue(self, replies: Sequence[Outgoing], now: datetime) -> None:
        """Queue replies not caused by an inbound update (reminders); a repeated key is queued once."""
        async with self._write() as conn:
            await _enqueue(conn, self._dialect, replies, now)

    async def claim(self, platform: str, limit: int, now: datetime, lease_seconds: float = 60) -> list[OutboxItem]:
        leased = {"claim_platform": platform, "claim_now": now, "claim_limit": limit,
                  "claim_until": now + timedelta(seconds=lease_seconds)}
        async with self._alone() as conn:
            rows = sorted((await conn.execute(self._claim, leased)).all(), key=lambda r: r.item_id)
        return [
            OutboxItem(item_id=r.item_id, key=r.key, platform=r.platform, reply=reply_from_json(r.reply),
                       context=dict(r.context), attempts=r.attempts, chat=r.chat, group=bool(r.is_group))
            for r in rows
        ]

    async def delivered(self, item_id: int, now: datetime) -> None:
        await self.delivered_many([item_id], now)

    async def delivered_many(self, item_ids: Sequence[int], now: datetime,
                             routes: Mapping[int, tuple[str, bool]] | None = None,
                             free_of_limits: Collection[int] = ()) -> None:
        if not item_ids:
            return
        free = [item_id for item_id in item_ids if item_id in free_of_limits]
        limited = [item_id for item_id in item_ids if item_id not in free_of_limits]
        async with self._alone() if not routes and not (free and limited) else self._write() as conn:
            for ids, is_free in ((limited, False), (free, True)):
                if ids:
                    await conn.execute(update(outbox).where(outbox.c.item_id.in_(ids))
                                       .values(sent_at=now, free_of_limits=is_free))
            if routes:
                # Sent elsewhere than queued (privately, or a press answer as a message): counted where it went.
                await conn.execute(
                    update(outbox).where(outbox.c.item_id == bindparam("routed_id"))
                    .values(chat=bindparam("routed_chat"), is_group=bindparam("routed_group")),
                    [{"routed_id": item_id, "routed_chat": chat, "routed_group": group}
                     for item_id, (chat, group) in routes.items()],
                )

    async def retry(self, item_id: int, at: datetime, reason: str) -> None:
        async with self._alone() as conn:
            await conn.execute(
                update(outbox).where(outbox.c.item_id == item_id).values(available_at=at, last_error=reason[:500])
            )

    async def postpone(self, item_id: int, at: datetime) -> None:
        async with self._alone() as conn:
            await conn.execute(
                update(outbox).where(outbox.c.item_id == item_id)
                .values(available_at=at, attempts=outbox.c.attempts - 1)
            )

    async def failed(self, item_id: int, reason: str, now: datetime) -> None:
        async with self._write() as conn:
            await conn.execute(
                update(outbox).where(outbox.c.item_id == item_id).values(failed_at=now, last_error=reason[:500])
            )
            await self._announce.within(conn, NOTICES, "")
        self._announce.after(NOTICES, "")

    async def recent_sends(self, platform: str, since: datetime) -> list[tuple[str, bool, datetime]]:
        # The rows of one coalesced message are settled in one write, with one stamp: one message, counted
        # once. Two messages to one chat never share a stamp (the dispatcher sends to a chat one at a time
        # and records each send before the next), so counting distinct stamps per chat counts messages.
        query = select(outbox.c.chat, outbox.c.is_group, outbox.c.sent_at).where(
            outbox.c.platform == platform, outbox.c.sent_at >= since, outbox.c.free_of_limits.is_(False)
        ).distinct()
        async with self._engine.connect() as conn:
            return [(r.chat, bool(r.is_group), r.sent_at) for r in await conn.execute(query)]


class SqlSendingTurn:
    """Implements ``core.delivery.SendingTurn``: one instance sends for each platform.

    On PostgreSQL the turn is a session advisory lock held on a connection of its own for as long as
    this process keeps it; if the process dies, its connection closes and another instance takes the
    turn at its next look. A held turn is checked at most once a second. SQLite serves one instance,
    which always has the turn.
    """

    CHECK_EVERY = 1.0

    def __init__(self, engine: AsyncEngine, monotonic: Monotonic) -> None:
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._monotonic = monotonic
        self._postgres = engine.dialect.name == "postgresql"
        self._held: dict[str, tuple[AsyncConnection, float]] = {}

    async def take(self, platform: str) -> bool:
        if not self._postgres:
            return True
        held = self._held.get(platform)
        now = self._monotonic()
        if held is not None:
            conn, checked = held
            if now - checked < self.CHECK_EVERY:
                return True
            try:
                await conn.execute(text("SELECT 1"))
                self._held[platform] = (conn, now)
                return True
            except Exception:
                # The connection (and with it the lock) is gone: try to take the turn afresh below.
                del self._held[platform]
                with contextlib.suppress(Exception):
                    await conn.close()
        conn = await self._engine.connect()
        try:
            key = zlib.crc32(f"karaoke:sending:{platform}".encode())
            taken = bool((await conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key})).scalar())
        except BaseException:
            await conn.close()
            raise
        if not taken:
            await conn.close()
            return False
        self._held[platform] = (conn, now)
        return True

    def holds(self, platform: str) -> bool:
        """Whether this process held ``platform``'s turn at its last look (no query)."""
        return not self._postgres or platform in self._held

    async def close(self) -> None:
        """Give up every turn (closing the connection releases its lock)."""
        held, self._held = self._held, {}
        for conn, _ in held.values():
            with contextlib.suppress(Exception):
                await conn.close()
