"""``ReminderTicker``: turns due notices into messages, once, on whichever instance claims them first.

Each run claims due notices (the store leases them, so instances never share one), looks at the
show as it stands *now*, and settles every notice in one write together with the messages it
causes: a notice that no longer holds (the singer already sang, withdrew, was skipped, or the show
closed) is dropped rather than sent late. The outbox's keys derive from the notice's key, so a
notice settled twice after a crash still queues each message once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from core.chat import ButtonMaker, ButtonOption, ChatDirectory, Messages, Person, Reach, Reply, Room
from core.chat.buttons import new_token
from core.clock import Clock, Scheduler
from core.delivery import DIRECT_MESSAGES, Outgoing
from core.reminders.plan import (
    HEADS_UP,
    NEXT,
    NO_SHOW,
    SCAN,
    SINGER_KINDS,
    SOON,
    UNDELIVERED,
    UP,
    no_show_due,
    notice_key,
    plan_notices,
    stale_reason,
)
from core.reminders.ports import DueNotice, NoticeStore
from core.repeat import Repeat
from core.rotation import (
    NotFound,
    Notice,
    RotationError,
    RotationService,
    ShowState,
    SkipSinger,
)
from core.rotation.queue import upcoming_slots
from core.rotation.state import Singer

logger = logging.getLogger(__name__)

MESSAGE_PREFIX = "notice:"
FAILURE_LOOKBACK = timedelta(minutes=10)
BATCH = 100


class ReminderTicker:
    """Settles due notices into outbox messages for singers and KJs."""

    def __init__(
        self,
        notices: NoticeStore,
        rotation: RotationService,
        directory: ChatDirectory,
        clock: Clock,
        *,
        direct_platforms: frozenset[str] = DIRECT_MESSAGES,
        new_token: Callable[[], str] = new_token,
        button_lifetime: timedelta = timedelta(hours=2),
        messages: Messages | None = None,
        scheduler: Scheduler | None = None,
        tick_seconds: float = 1.0,
        due: asyncio.Event | None = None,
        messages_queued: asyncio.Event | None = None,
    ) -> None:
        """``direct_platforms`` can message a person who never opened a private chat (Slack DMs).

        Once started, ``scheduler`` settles due notices every ``tick_seconds`` (time-based reminders,
        no-show checks, other instances' notices), ``due`` (set when this process stored a notice due at
        once) settles them without waiting for the tick, and ``messages_queued`` is set after settling.
        """
        self._notices = notices
        self._rotation = rotation
        self._directory = directory
        self._clock = clock
        self._direct = direct_platforms
        self._buttons = ButtonMaker(directory, clock, new_token=new_token, lifetime=button_lifetime)
        self._say = messages or Messages()
        self._reported: set[str] = set()
        self._scheduler = scheduler
        self._tick_seconds = tick_seconds
        self._queued = messages_queued
        # In-process runs take turns; across instances the store's leases keep notices apart.
        self._turn = asyncio.Lock()
        self._follower = Repeat("reminders-follower", self._follow, idle_seconds=None, wake=due) if due else None

    def start(self) -> None:
        """Settle due notices from now on: on every tick, and at once when told some are due."""
        if self._scheduler is not None:
            self._scheduler.every(self._tick_seconds, self._tick, name="reminders")
        if self._follower is not None:
            self._follower.start()

    async def stop(self) -> None:
        """Stop following due notices (the scheduler's owner stops the ticks)."""
        if self._follower is not None:
            await self._follower.stop()

    async def settle_due(self) -> None:
        """Settle every notice due now, a batch at a time."""
        async with self._turn:
            while True:
                claimed = await self.run_once(BATCH)
                if claimed and self._queued is not None:
                    self._queued.set()
                if claimed < BATCH:
                    return

    async def _tick(self) -> None:
        # A run already going (woken by this process's own appends) covers this tick, so the job
        # returns at once rather than queueing behind it.
        if self._turn.locked():
            return
        try:
            await self.settle_due()
        except Exception:
            logger.warning("settling due reminders failed; retrying at the next tick", exc_info=True)

    async def _follow(self) -> bool:
        await self.settle_due()
        return False

    async def run_once(self, limit: int = BATCH) -> int:
        """Settle up to ``limit`` due notices; returns how many were claimed."""
        now = self._clock.now()
        await self._report_failures(now)
        due = await self._notices.claim_due(now, limit)
        shows: dict[str, list[DueNotice]] = {}
        for notice in due:
            shows.setdefault(notice.show_id, []).append(notice)
        # Shows are settled concurrently, each show's notices in order.
        await asyncio.gather(*(self._settle_show(show_id, notices) for show_id, notices in shows.items()))
        return len(due)

    async def _settle_show(self, show_id: str, notices: list[DueNotice]) -> None:
        for notice in notices:
            try:
                await self._settle(notice, show_id)
            except Exception as error:
                logger.exception("notice %s failed", notice.key)
                delay = timedelta(seconds=min(300, 2 ** notice.attempts))
                await self._notices.release(notice.notice_id, self._clock.now() + delay, repr(error))

    # --- one notice -----------------------------------------------------------------------------

    async def _settle(self, notice: DueNotice, show_id: str) -> None:
        now = self._clock.now()
        try:
            state = await self._rotation.state(show_id)
        except NotFound:
            await self._notices.settle(notice.notice_id, "dropped", [], [], now, "no such show")
            return
        if notice.kind == SCAN:
            # ETAs shrink as time passes: plan again now, which also reschedules the scan.
            await self._notices.settle(notice.notice_id, "done", [], plan_notices(state, (), now), now)
            return
        reason = stale_reason(state, notice.kind, notice.request_id, notice.key, now)
        own_skip_possible = reason is None or reason == "the singer was skipped since"
        if notice.kind == NO_SHOW and state.settings.auto_skip and own_skip_possible:
            # "Skipped since" may be our own skip from a run that died before settling: the rotation
            # answers a repeated command id from its record, and refuses a skip the KJ made meanwhile.
            await self._auto_skip(notice, state)
            return
        if reason is not None:
            await self._notices.settle(notice.notice_id, "dropped", [], [], now, reason)
            return
        if notice.kind in SINGER_KINDS:
            await self._tell_singer(notice, state)
        elif notice.kind == NO_SHOW:
            await self._prompt_kjs(notice, state)
        elif notice.kind == UNDELIVERED:
            await self._report_to_kjs(notice, state)
        else:
            await self._notices.settle(notice.notice_id, "dropped", [], [], now, f"unknown kind {notice.kind}")

    async def _tell_singer(self, notice: DueNotice, state: ShowState) -> None:
        now = self._clock.now()
        assert notice.request_id is not None
        request = state.requests[notice.request_id]
        singer = state.singers[request.singer_id]
        follow_ups: list[Notice] = []
        if notice.kind == NEXT:
            # The called singer has the show's timeout to confirm or start, counted from this call;
            # the check is stored with the call, so one exists exactly when the call was settled.
            skips = int(notice.key.rsplit(":", 1)[1])
            key = notice_key(state.show_id, notice.request_id, NO_SHOW, skips)
            follow_ups.append(Notice(key, state.show_id, notice.request_id, NO_SHOW, no_show_due(state, now)))
        reach = await self._reach(singer)
        if reach is not None and reach.muted:
            await self._notices.settle(notice.notice_id, "muted", [], follow_ups, now)
            return
        text = self._singer_text(notice.kind, state, notice.request_id, now)
        options = []
        if notice.kind in (UP, NEXT):
            options = [ButtonOption(action, notice.request_id, self._say(key)) for action, key in (
                ("onmyway", "remind.button.on_my_way"), ("skipme", "remind.button.skip_me"),
                ("cancel", "remind.button.cancel"))]
        person = _person_of(singer, reach)
        reply = await self._reply_to(state, person, reach, text, options) if person else None
        if reply is None:
            await self._notices.settle(notice.notice_id, "unreachable", [], follow_ups, now,
                                       "no chat to reach them in")
            return
        message = Outgoing(f"{MESSAGE_PREFIX}{notice.key}", singer_platform(singer), reply, {"notice": notice.key})
        await self._notices.settle(notice.notice_id, "sent", [message], follow_ups, now)

    def _singer_text(self, kind: str, state: ShowState, request_id: str, now: datetime) -> str:
        say = self._say
        song = say.song(state.requests[request_id].song)
        slot = next((s for s in upcoming_slots(state, now) if s.request_id == request_id), None)
        wait = say.wait(slot.eta_seconds if slot else 0)
        if kind == UP:
            return say("remind.up", song=song)
        if kind == NEXT:
            return say("remind.next", song=song, wait=wait)
        if kind == HEADS_UP:
            place = say.ordinal(slot.position) if slot else say("remind.heads_up.near")
            return say("remind.heads_up", place=place, song=song, wait=wait)
        if kind == SOON:
            return say("remind.soon", song=song, wait=wait)
        raise ValueError(kind)

    async def _prompt_kjs(self, notice: DueNotice, state: ShowState) -> None:
        assert notice.request_id is not None
        say = self._say
        request = state.requests[notice.request_id]
        name = state.singers[request.singer_id].name
        minutes = max(1, round(state.settings.no_show_timeout_seconds / 60))
        text = say("remind.no_show", name=name, song=say.song(request.song), minutes=minutes)
        options = [ButtonOption("kjskip", notice.request_id, say("remind.no_show.skip", name=name[:40])),
                   ButtonOption("kjwait", notice.request_id, say("remind.no_show.wait"))]
        await self._settle_with_kj_messages(notice, state, text, options)

    async def _report_to_kjs(self, notice: DueNotice, state: ShowState) -> None:
        say = self._say
        name = say("remind.undelivered.someone")
        if notice.request_id is not None and notice.request_id in state.requests:
            name = state.singers[state.requests[notice.request_id].singer_id].name
        reason = (notice.detail or say("remind.undelivered.refused"))[:200]
        await self._settle_with_kj_messages(notice, state, say("remind.undelivered", name=name, reason=reason), [])

    async def _auto_skip(self, notice: DueNotice, state: ShowState) -> None:
        now = self._clock.now()
        assert notice.request_id is not None
        try:
            await self._rotation.execute(state.show_id, SkipSinger(f"noshow:{notice.key}", notice.request_id))
        except RotationError as error:
            await self._notices.settle(notice.notice_id, "dropped", [], [], now, f"auto-skip refused: {error}")
            return
        request = state.requests[notice.request_id]
        singer = state.singers[request.singer_id]
        minutes = max(1, round(state.settings.no_show_timeout_seconds / 60))
        song = self._say.song(request.song)
        kj_text = self._say("remind.auto_skipped.kj", name=singer.name, minutes=minutes, song=song)
        messages = await self._kj_messages(notice, state, kj_text, [])
        reach = await self._reach(singer)
        person = _person_of(singer, reach)
        told = self._say("remind.auto_skipped.singer", song=song)
        singer_reply = await self._reply_to(state, person, reach, told, []) if person else None
        if singer_reply is not None:
            messages.append(Outgoing(f"{MESSAGE_PREFIX}{notice.key}:singer", singer_platform(singer), singer_reply))
        await self._notices.settle(notice.notice_id, "skipped", messages, [], now)

    # --- recipients ----------------------------------------------------------------------------

    async def _settle_with_kj_messages(
        self, notice: DueNotice, state: ShowState, text: str, options: Sequence[ButtonOption]
    ) -> None:
        messages = await self._kj_messages(notice, state, text, options)
        status = "sent" if messages else "unreachable"
        await self._notices.settle(notice.notice_id, status, messages, [], self._clock.now())

    async def _kj_messages(
        self, notice: DueNotice, state: ShowState, text: str, options: Sequence[ButtonOption]
    ) -> list[Outgoing]:
        """One message per KJ: privately where possible, else once in the show's room on their platform."""
        messages: list[Outgoing] = []
        rooms_used: set[tuple[str, str]] = set()
        for platform, user_id in await self._directory.kjs_of(state.show_id):
            reach = await self._directory.reach(platform, user_id)
            person = reach.person if reach else Person(platform, user_id, "KJ")
            reply = await self._reply_to(state, person, reach, text, options)
            if reply is None or (reply.room is not None and not reply.room.private and reply.room.key in rooms_used):
                continue
            if reply.room is not None and not reply.room.private:
                rooms_used.add(reply.room.key)
            # Keyed by the KJ, so a settle repeated after a crash queues each KJ's message once.
            messages.append(Outgoing(f"{MESSAGE_PREFIX}{notice.key}:kj:{platform}:{user_id}", platform, reply))
        return messages

    async def _reach(self, singer: Singer) -> Reach | None:
        if singer.platform is None or singer.user_id is None:
            return None
        return await self._directory.reach(singer.platform, singer.user_id)

    async def _reply_to(
        self,
        state: ShowState,
        person: Person,
        reach: Reach | None,
        text: str,
        options: Sequence[ButtonOption],
    ) -> Reply | None:
        """A reply to ``person``: their private chat, else a DM where the platform allows one, else a
        mention in the show's room on their platform; None if there is no way to reach them."""
        buttons = await self._buttons.make(person, state.show_id, options)
        if reach is not None and reach.private_room is not None:
            return Reply(reach.private_room, person, text, buttons)
        if person.platform in self._direct:
            return Reply(None, person, text, buttons)
        room = next((r for r in await self._directory.rooms_of(state.show_id) if r.platform == person.platform), None)
        if room is None:
            return None
        return Reply(Room(room.platform, room.room_id, False), person, text, buttons, mention=True)


    # --- failures ------------------------------------------------------------------------------

    async def _report_failures(self, now: datetime) -> None:
        """Turn singers' notices the platform refused for good into an ``undelivered`` notice for the KJs."""
        failed = await self._notices.failed_messages(MESSAGE_PREFIX, now - FAILURE_LOOKBACK)
        reports: list[Notice] = []
        for message in failed:
            if message.key in self._reported:
                continue
            self._reported.add(message.key)
            parts = message.context.get("notice", "").split(":")
            if len(parts) != 4 or parts[2] not in SINGER_KINDS or not parts[3].isdigit():
                continue
            show_id, request_id, _, skips = parts
            key = notice_key(show_id, request_id, UNDELIVERED, int(skips))
            reports.append(Notice(key, show_id, request_id, UNDELIVERED, now, detail=message.reason[:200]))
        if reports:
            await self._notices.add(reports, now)
        if len(self._reported) > 100_000:
            self._reported.clear()


def _person_of(singer: Singer, reach: Reach | None) -> Person | None:
    """The chat person behind a singer (as last seen, if they wrote to the bot); None for a walk-in."""
    if singer.platform is None or singer.user_id is None:
        return None
    return reach.person if reach else Person(singer.platform, singer.user_id, singer.name)


def singer_platform(singer: Singer) -> str:
    """The platform a singer is on (walk-ins have none and are never messaged)."""
    if singer.platform is None:
        raise ValueError("a walk-in has no platform")
    return singer.platform
