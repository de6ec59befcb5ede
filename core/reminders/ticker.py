"""``ReminderTicker``: turns due notices into messages, once, on whichever instance claims them first.

Each run claims due notices (the store leases them, so instances never share one), looks at the
show as it stands *now*, and settles every notice in one write together with the messages it
causes: a notice that no longer holds (the singer already sang, withdrew, was skipped, or the show
closed) is dropped rather than sent late, and after a change that may have made something someone
was told untrue (an undo, a move, a pause, a skip...) a ``revise`` notice sends one short correction
where it is needed. The outbox's keys derive from the notice's key, so a notice settled twice after
a crash still queues each message once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from core.chat import ButtonMaker, ButtonOption, ChatDirectory, Messages
from core.chat.buttons import new_token
from core.clock import Clock, Scheduler
from core.delivery import DIRECT_MESSAGES, Outgoing
from core.people import PeopleStore
from core.reminders.corrections import Standing, broken_claims, standing
from core.reminders.plan import (
    CLOSED,
    FAREWELL,
    HEADS_UP,
    IDLE,
    NEXT,
    NO_SHOW,
    REMOVED,
    REVISE,
    SCAN,
    SINGER_KINDS,
    SOON,
    TURN_KINDS,
    UNDELIVERED,
    UP,
    idle_due,
    no_show_due,
    notice_key,
    plan_notices,
    show_key,
    skips_in,
    stale_reason,
    wait_told_with,
)
from core.reminders.ports import Correction, DueNotice, NoticeStore
from core.reminders.recipients import MESSAGE_PREFIX, Recipients
from core.repeat import NoOutages, Outages, Repeat
from core.rotation import (
    CloseShow,
    NotFound,
    Notice,
    RotationError,
    RotationService,
    ShowState,
    SkipSinger,
)
from core.rotation.queue import slot_of

logger = logging.getLogger(__name__)

FAILURE_LOOKBACK = timedelta(minutes=10)
BATCH = 100


def telling(notice: DueNotice) -> str:
    """The key of one telling of a notice: a notice stored again after it was withdrawn is a new telling
    (its ``revision`` counts them), while a settle repeated after a crash is the same one, so the
    messages and commands of each telling happen once."""
    return notice.key if notice.revision == 0 else f"{notice.key}#{notice.revision}"


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
        outages: Outages | None = None,
        people: PeopleStore | None = None,
    ) -> None:
        """``direct_platforms`` can message a person who never opened a private chat (Slack DMs).

        Once started, ``scheduler`` settles due notices every ``tick_seconds`` (time-based reminders,
        no-show checks, other instances' notices), ``due`` (set when this process stored a notice due at
        once) settles them without waiting for the tick, and ``messages_queued`` is set after settling.
        Failures that ``outages`` recognises (the database is down) are logged there, once per outage.
        ``people`` says whether a singer's person muted reminders, and which of their accounts to reach.
        """
        self._notices = notices
        self._rotation = rotation
        self._clock = clock
        buttons = ButtonMaker(directory, clock, new_token=new_token, lifetime=button_lifetime)
        self._to = Recipients(directory, buttons, direct_platforms, people)
        self._say = messages or Messages()
        self._reported: set[str] = set()
        self._scheduler = scheduler
        self._tick_seconds = tick_seconds
        self._queued = messages_queued
        # In-process runs take turns; across instances the store's leases keep notices apart.
        self._turn = asyncio.Lock()
        self._outages: Outages = outages or NoOutages()
        self._follower = (Repeat("reminders-follower", self._follow, idle_seconds=None, wake=due, outages=outages)
                          if due else None)

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
        except Exception as error:
            if not self._outages.absorbs(error):
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
        # Corrections first: a notice due at the same moment that a correction already says is not sent.
        for notice in sorted(notices, key=lambda n: n.kind != REVISE):
            try:
                await self._settle(notice, show_id)
            except Exception as error:
                if not self._outages.absorbs(error):
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
        elif notice.kind == REVISE:
            await self._revise(notice, state)
        elif notice.kind == FAREWELL:
            text = self._say("remind.farewell", show=self._say.quoted(state.name))
            messages = await self._to.to_rooms(telling(notice), state, text)
            await self._notices.settle(notice.notice_id, "sent" if messages else "unreachable", messages, [], now)
        elif notice.kind == IDLE:
            await self._idle(notice, state)
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
            key = notice_key(state.show_id, notice.request_id, NO_SHOW, skips_in(notice.key))
            follow_ups.append(Notice(key, state.show_id, notice.request_id, NO_SHOW, no_show_due(state, now)))
        reach = await self._to.reach(singer)
        if reach is not None and reach.muted and notice.kind in TURN_KINDS:
            await self._notices.settle(notice.notice_id, "muted", [], follow_ups, now)
            return
        options = []
        if notice.kind in (UP, NEXT):
            options = [ButtonOption(action, notice.request_id, self._say(key)) for action, key in (
                ("onmyway", "remind.button.on_my_way"), ("skipme", "remind.button.skip_me"),
                ("cancel", "remind.button.cancel"))]
        text = self._singer_text(notice.kind, state, notice.request_id, now)
        reply = await self._to.to_singer(state, singer, reach, text, options)
        if reply is None:
            await self._notices.settle(notice.notice_id, "unreachable", [], follow_ups, now,
                                       "no chat to reach them in")
            return
        assert singer.platform is not None
        message = Outgoing(f"{MESSAGE_PREFIX}{telling(notice)}", singer.platform, reply, {"notice": notice.key})
        if notice.kind in (HEADS_UP, NEXT):
            follow_ups += wait_told_with(state, notice.kind, notice.request_id, notice.key, now)
        await self._notices.settle(notice.notice_id, "sent", [message], follow_ups, now)

    def _singer_text(self, kind: str, state: ShowState, request_id: str, now: datetime) -> str:
        say = self._say
        request = state.requests[request_id]
        song = say.song(request.song)
        slot = slot_of(state, request_id, now)
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
        if kind == REMOVED:
            others = [r for r in state.pending_of(request.singer_id) if r != request_id]
            return say("remind.removed", song=song) + (say("remind.removed.others") if others else "")
        if kind == CLOSED:
            waiting = state.pending_of(request.singer_id)
            if len(waiting) == 1:
                return say("remind.closed.one", show=say.quoted(state.name), song=song)
            return say("remind.closed.many", show=say.quoted(state.name), count=len(waiting))
        raise ValueError(kind)

    async def _revise(self, notice: DueNotice, state: ShowState) -> None:
        """After a change: one correction to each singer who was told something it made untrue.

        ``detail`` "quiet:<request ids>" names requests whose singers made the change themselves
        (they know): their broken notices are only marked corrected.
        """
        now = self._clock.now()
        quiet = set((notice.detail or "").removeprefix("quiet:").split(",")) if notice.detail else set()
        corrections = []
        for broken in broken_claims(state, await self._notices.told(state.show_id), now):
            request = state.requests[broken.request_id]
            singer = state.singers[request.singer_id]
            where = standing(state, broken.request_id, notice.created_at, now)
            fresh_call = where.situation == "next" and any(n.kind == NEXT for n in broken.pending)
            if broken.request_id in quiet or fresh_call:
                # They know (they did it), or the "You're next" about to go out (with its buttons) says it.
                corrections.append(Correction(broken.notice_ids, ()))
                continue
            messages: tuple[Outgoing, ...] = ()
            reach = await self._to.reach(singer)
            if not (reach is not None and reach.muted):
                text = self._correction_text(state, broken.request_id, where, was_up=UP in broken.kinds,
                                             was_removed=REMOVED in broken.kinds)
                reply = await self._to.to_singer(state, singer, reach, text)
                if reply is not None and singer.platform is not None:
                    messages = (Outgoing(f"{MESSAGE_PREFIX}{notice.key}:fix:{broken.request_id}", singer.platform,
                                         reply),)
            # The correction tells their place and wait: a heads-up or "coming soon" due now would repeat it.
            superseded = tuple(n.notice_id for n in broken.pending if n.kind in (HEADS_UP, SOON))
            corrections.append(Correction(broken.notice_ids, messages, superseded))
        await self._notices.correct(notice.notice_id, corrections, now)

    def _correction_text(
        self, state: ShowState, request_id: str, where: Standing, *, was_up: bool, was_removed: bool
    ) -> str:
        say = self._say
        song = say.song(state.requests[request_id].song)
        if where.situation == "paused" or where.slot is None:
            return say("remind.fix.paused", song=song)
        wait = say.wait(where.slot.eta_seconds)
        place = say.ordinal(where.slot.position)
        if was_removed:
            return say("remind.fix.back", song=song, place=place, wait=wait)
        if where.voided:
            return say("remind.fix.voided", song=song, place=place, wait=wait)
        if where.passed_over:
            return say("remind.fix.passed_over", song=song, place=place, wait=wait)
        if where.situation == "next":
            return say("remind.fix.next", song=song, wait=wait)
        if was_up:
            return say("remind.fix.not_up", song=song, place=place, wait=wait)
        return say("remind.fix.place", song=song, place=place, wait=wait)

    async def _idle(self, notice: DueNotice, state: ShowState) -> None:
        """Close a show nobody touched for its ``idle_close_hours`` and tell its KJs; else look again later."""
        now = self._clock.now()
        due = idle_due(state)
        if due > now:
            again = Notice(show_key(state.show_id, IDLE), state.show_id, None, IDLE, due, reschedules=True)
            await self._notices.settle(notice.notice_id, "done", [], [again], now)
            return
        try:
            await self._rotation.execute(state.show_id, CloseShow(f"idle:{notice.key}"))
        except RotationError as error:
            await self._notices.settle(notice.notice_id, "dropped", [], [], now, f"closing refused: {error}")
            return
        hours = state.settings.idle_close_hours
        text = self._say("remind.idle_closed", show=self._say.quoted(state.name), hours=hours)
        messages = await self._to.to_kjs(telling(notice), state, text)
        await self._notices.settle(notice.notice_id, "sent", messages, [], now)

    def _waited_minutes(self, notice: DueNotice) -> int:
        # The check was stored when the singer was called: this is how long they have been called.
        return max(1, round((self._clock.now() - notice.created_at).total_seconds() / 60))

    async def _prompt_kjs(self, notice: DueNotice, state: ShowState) -> None:
        assert notice.request_id is not None
        say = self._say
        request = state.requests[notice.request_id]
        name = state.singers[request.singer_id].name
        text = say("remind.no_show", name=name, song=say.song(request.song), minutes=self._waited_minutes(notice))
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
        """Pass over a called singer who did not answer; the correction that follows the skip tells them."""
        now = self._clock.now()
        assert notice.request_id is not None
        try:
            await self._rotation.execute(state.show_id, SkipSinger(f"noshow:{telling(notice)}", notice.request_id))
        except RotationError as error:
            await self._notices.settle(notice.notice_id, "dropped", [], [], now, f"auto-skip refused: {error}")
            return
        request = state.requests[notice.request_id]
        singer = state.singers[request.singer_id]
        kj_text = self._say("remind.auto_skipped.kj", name=singer.name, minutes=self._waited_minutes(notice),
                            song=self._say.song(request.song))
        messages = await self._to.to_kjs(telling(notice), state, kj_text)
        await self._notices.settle(notice.notice_id, "skipped", messages, [], now)

    async def _settle_with_kj_messages(
        self, notice: DueNotice, state: ShowState, text: str, options: Sequence[ButtonOption]
    ) -> None:
        messages = await self._to.to_kjs(telling(notice), state, text, options)
        status = "sent" if messages else "unreachable"
        await self._notices.settle(notice.notice_id, status, messages, [], self._clock.now())

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
