"""``SqlErasure``: forgetting a person (``core.privacy.ErasureStore``) on SQLite and PostgreSQL.

The show event log is append-only everywhere else; this is the one sanctioned rewrite of stored
events, done on request so that a person's name and platform ids leave the history (which then keeps
an anonymous singer, by the rules of ``core.privacy.erase_person``).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Text, cast, delete, false, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.privacy import ANONYMOUS_NAME, erase_person, erased_command_id, names_to_scan
from core.rotation import fold
from core.rotation.codec import event_from_dict, event_to_dict
from core.rotation.events import SingerForgotten, SingerJoined, SingerRenamed, SongRequested
from storage.tables import (
    chat_choices,
    chat_kjs,
    chat_people,
    favourites,
    inbox,
    kj_invites,
    kj_people,
    link_attempts,
    link_codes,
    notices,
    outbox,
    people,
    person_identities,
    show_events,
    web_joins,
)

_IDS_PER_STATEMENT = 500


class Views(Protocol):
    """The read-side views built from the event log (``storage.projections.SqlProjectionStore``)."""

    async def restart_shows(self, conn: AsyncConnection, show_ids: Sequence[str]) -> None:
        """In ``conn``'s transaction: the views forget these shows and apply their (rewritten) streams again."""
        ...


class SqlErasure:
    """Implements ``core.privacy.ErasureStore``: everything in one transaction, so a failure leaves all as it was."""

    def __init__(self, engine: AsyncEngine, views: Views | None = None) -> None:
        """``views`` built from the event log forget the rewritten shows in the same transaction (and build them
        again from the rewritten events), so no view keeps a name the log no longer has."""
        self._engine = engine
        self._views = views

    async def shows_of(self, platform: str, user_id: str, person_id: str | None = None) -> list[str]:
        async with self._engine.connect() as conn:
            return await _shows_of(conn, platform, user_id, person_id)

    async def person_going(self, platform: str, user_id: str) -> str | None:
        async with self._engine.connect() as conn:
            return await _person_going(conn, platform, user_id)

    async def staying(self, platform: str, user_id: str, person_ids: Collection[str]) -> Mapping[str, str]:
        wanted = sorted(person_ids)
        if not wanted:
            return {}
        async with self._engine.connect() as conn:
            named = {row.person_id: row.name for row in await conn.execute(
                select(people.c.person_id, people.c.name).where(people.c.person_id.in_(wanted)))}
            others = (await conn.execute(
                select(person_identities.c.person_id, chat_people.c.name)
                .select_from(person_identities.outerjoin(chat_people, (
                    chat_people.c.platform == person_identities.c.platform)
                    & (chat_people.c.user_id == person_identities.c.user_id)))
                .where(person_identities.c.person_id.in_(wanted),
                       ~((person_identities.c.platform == platform) & (person_identities.c.user_id == user_id)))
                .order_by(person_identities.c.platform, person_identities.c.user_id))).all()
        kept: dict[str, str] = {}
        for row in others:
            if row.person_id in named and row.person_id not in kept:
                kept[row.person_id] = named[row.person_id] or row.name or ANONYMOUS_NAME
        return kept

    async def forget(self, platform: str, user_id: str, alias: str,
                     staying: Mapping[str, str] | None = None) -> Mapping[str, int]:
        staying = staying or {}
        counts = dict.fromkeys(
            ("people", "identities", "kj roles", "kj invites", "choices", "events", "notices", "inbox", "outbox",
             "web joins"), 0)
        async with self._engine.begin() as conn:
            person = (await conn.execute(select(chat_people).where(
                chat_people.c.platform == platform, chat_people.c.user_id == user_id))).first()
            names: list[str | None] = [user_id]
            rooms = [f"private:{user_id}"]
            if person is not None:
                names += [person.name, person.username, person.stage_name]
                if person.private_room:
                    rooms.append(f"private:{person.private_room}")
            going = await _person_going(conn, platform, user_id)
            counts["identities"] = await _forget_identity(conn, platform, user_id, names)

            requests: list[tuple[str, str]] = []
            shows_rewritten = await _shows_of(conn, platform, user_id, going)
            for show_id in shows_rewritten:
                changed, singer_names, their_requests = await _erase_in_show(conn, show_id, platform, user_id, alias,
                                                                              staying)
                counts["events"] += changed
                names += singer_names
                requests += [(show_id, r) for r in their_requests]
            counts["events"] += await _erase_command_ids(conn, user_id, alias)
            if self._views is not None:
                await self._views.restart_shows(conn, shows_rewritten)

            counts["people"] = await _deleted(conn, delete(chat_people).where(
                chat_people.c.platform == platform, chat_people.c.user_id == user_id))
            counts["kj roles"] = await _deleted(conn, delete(chat_kjs).where(
                chat_kjs.c.platform == platform, chat_kjs.c.user_id == user_id))
            # Who redeemed a KJ invite: they may no longer open shows, and the used invite keeps no trace of them.
            counts["kj roles"] += await _deleted(conn, delete(kj_people).where(
                kj_people.c.platform == platform, kj_people.c.user_id == user_id))
            counts["kj invites"] = await _deleted(conn, update(kj_invites).where(
                kj_invites.c.platform == platform, kj_invites.c.user_id == user_id).values(platform=None, user_id=None))
            counts["choices"] = await _deleted(conn, delete(chat_choices).where(
                chat_choices.c.platform == platform, chat_choices.c.user_id == user_id))
            if platform == "web":
                counts["web joins"] = await _deleted(conn, delete(web_joins).where(web_joins.c.session_id == user_id))
            for start in range(0, len(requests), _IDS_PER_STATEMENT):
                chunk = requests[start:start + _IDS_PER_STATEMENT]
                counts["notices"] += await _deleted(conn, delete(notices).where(or_(*(
                    (notices.c.show_id == show_id) & (notices.c.request_id == request_id)
                    for show_id, request_id in chunk))))

            # The name a person who stays is shown by is theirs, not this account's: it is not scanned for.
            scan = [name for name in names_to_scan(names) if name not in set(staying.values())]
            # Their own updates, and (once handled) anyone's update that names them.
            counts["inbox"] = await _deleted(conn, delete(inbox).where(or_(
                (inbox.c.platform == platform) & (inbox.c.event[("person", "user_id")].as_string() == user_id),
                inbox.c.handled_at.is_not(None) & _mentions(inbox.c.event, scan),
            )))
            # Replies to them or to their private chat, whatever their state; sent or failed ones naming them.
            counts["outbox"] = await _deleted(conn, delete(outbox).where(or_(
                (outbox.c.platform == platform) & or_(
                    outbox.c.chat.in_(rooms),
                    outbox.c.reply[("to_person", "user_id")].as_string() == user_id,
                    outbox.c.key.contains(f":{user_id}:", autoescape=True),
                ),
                or_(outbox.c.sent_at.is_not(None), outbox.c.failed_at.is_not(None))
                & _mentions(outbox.c.reply, scan),
            )))
        return counts


async def _forget_identity(conn: AsyncConnection, platform: str, user_id: str, names: list[str | None]) -> int:
    """The identity leaves its person; a person left without identities goes too, with its favourites and
    codes (a walk-in that linked a phone and is now forgotten through it included). Adds the name to scan."""
    person_id = (await conn.execute(select(person_identities.c.person_id).where(
        person_identities.c.platform == platform, person_identities.c.user_id == user_id))).scalar()
    if person_id is None:
        return 0
    removed = await _deleted(conn, delete(person_identities).where(
        person_identities.c.platform == platform, person_identities.c.user_id == user_id))
    others = (await conn.execute(select(person_identities.c.user_id).where(
        person_identities.c.person_id == person_id).limit(1))).first()
    if others is None:
        names.append((await conn.execute(select(people.c.name).where(people.c.person_id == person_id))).scalar())
        removed += await _deleted(conn, delete(people).where(people.c.person_id == person_id))
        await conn.execute(delete(favourites).where(favourites.c.person_id == person_id))
        await conn.execute(delete(link_codes).where(link_codes.c.person_id == person_id))
    await conn.execute(delete(link_attempts).where(link_attempts.c.platform == platform,
                                                   link_attempts.c.user_id == user_id))
    return removed


async def _person_going(conn: AsyncConnection, platform: str, user_id: str) -> str | None:
    """The account's person when it is their last account."""
    person_id = (await conn.execute(select(person_identities.c.person_id).where(
        person_identities.c.platform == platform, person_identities.c.user_id == user_id))).scalar()
    if person_id is None:
        return None
    others = (await conn.execute(select(person_identities.c.user_id).where(
        person_identities.c.person_id == person_id,
        ~((person_identities.c.platform == platform) & (person_identities.c.user_id == user_id))).limit(1))).first()
    return None if others is not None else str(person_id)


async def _shows_of(conn: AsyncConnection, platform: str, user_id: str, person_id: str | None = None) -> list[str]:
    payload = show_events.c.payload
    theirs = [(show_events.c.type == "SingerJoined") & (payload["platform"].as_string() == platform)
              & (payload["user_id"].as_string() == user_id)]
    if person_id is not None:
        theirs.append(show_events.c.type.in_(("SingerJoined", "SingersLinked", "SingerForgotten"))
                      & (payload["person_id"].as_string() == person_id))
    rows = await conn.execute(select(show_events.c.show_id).where(or_(*theirs)).distinct())
    return sorted(str(row.show_id) for row in rows)


async def _erase_in_show(conn: AsyncConnection, show_id: str, platform: str, user_id: str, alias: str,
                         staying: Mapping[str, str]) -> tuple[int, list[str], list[str]]:
    """Rewrite the show's events naming the person; their names (to scan for) and their request ids."""
    rows = (await conn.execute(
        select(show_events.c.seq, show_events.c.type, show_events.c.payload)
        .where(show_events.c.show_id == show_id).order_by(show_events.c.seq))).all()
    events = [(row.seq, event_from_dict(row.type, row.payload)) for row in rows]
    changed = erase_person(events, platform, user_id, alias, staying)
    # The account's singers, and those this erasure's forgetting named (a person going with the account).
    singers = {e.singer_id for _, e in events
               if (isinstance(e, SingerJoined) and e.platform == platform and e.user_id == user_id)
               or (isinstance(e, SingerForgotten) and e.user_id == alias)}
    names = [e.name for _, e in events
             if isinstance(e, SingerJoined | SingerRenamed | SingerForgotten) and e.singer_id in singers]
    # Songs now of a person who stays (the account's own singer, or the one it was linked into) are still
    # theirs: the reminders about them stay.
    state = fold(event for _, event in events)
    requests = [e.request_id for _, e in events if isinstance(e, SongRequested) and e.singer_id in singers
                and state.singers[state.requests[e.request_id].singer_id].person_id not in staying]
    for seq, event in changed:
        await conn.execute(update(show_events).where(show_events.c.show_id == show_id, show_events.c.seq == seq)
                           .values(payload=event_to_dict(event)[1]))
    return len(changed), names, requests


async def _erase_command_ids(conn: AsyncConnection, user_id: str, alias: str) -> int:
    # In every show: a KJ, say, never sang but their button presses name them in command ids.
    rows = (await conn.execute(select(show_events.c.show_id, show_events.c.seq, show_events.c.command_id).where(
        show_events.c.command_id.contains(f":{user_id}", autoescape=True)))).all()
    changed = 0
    for row in rows:
        new = erased_command_id(row.command_id, user_id, alias)
        if new != row.command_id:
            await conn.execute(update(show_events).where(
                show_events.c.show_id == row.show_id, show_events.c.seq == row.seq).values(command_id=new))
            changed += 1
    return changed


def _mentions(column: Any, names: Sequence[str]) -> ColumnElement[bool]:
    """The JSON ``column``'s text contains one of ``names``, as typed or as JSON escapes it."""
    spelled = {form for name in names for form in (name, json.dumps(name)[1:-1])}
    if not spelled:
        return false()
    as_text = cast(column, Text)
    return or_(*(as_text.contains(form, autoescape=True) for form in sorted(spelled)))


async def _deleted(conn: AsyncConnection, statement: Any) -> int:
    return int((await conn.execute(statement)).rowcount or 0)
