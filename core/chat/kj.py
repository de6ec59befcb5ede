"""What KJs say: open and close the show, move it on, skip, pause and resume singers, remove, move, undo,
add a co-KJ and change settings. ``/open`` and ``/redeem`` may be said by anyone: ``/open`` asks
``core.chat.opening`` whether this person may open shows; the router checks the rest.
"""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

from core.chat.buttons import ButtonOption
from core.chat.opening import Redeemed
from core.chat.parsing import mention
from core.chat.routing import Asked, CommandSpec, Who
from core.chat.steps import Steps, command_id, number
from core.chat.vocabulary import Reply
from core.rotation import (
    ActionUndone,
    AdvanceQueue,
    BlockSinger,
    ChangeShowSettings,
    CloseShow,
    InvalidSettings,
    MoveRequest,
    PauseSinger,
    QueueMoved,
    QueueView,
    RemoveRequest,
    ResumeSinger,
    ShowSettings,
    ShowState,
    Slot,
    UnblockSinger,
    Undo,
    upcoming,
)

SHOW_NAME_MAX = 80
INVITE_CODE_MAX = 40
_REDEEMED = {
    Redeemed.DONE: "redeem.done",
    Redeemed.ALREADY: "redeem.already",
    Redeemed.UNKNOWN: "redeem.unknown",
    Redeemed.USED: "redeem.used",
    Redeemed.EXPIRED: "redeem.expired",
}
SETTING_NAMES = tuple(f.name for f in fields(ShowSettings))


class KjCommands:
    """The KJs' commands; each answers with replies or raises a ``Refusal``."""

    def __init__(self, steps: Steps) -> None:
        """Work through the shared ``steps``."""
        self._steps = steps

    def commands(self) -> list[CommandSpec]:
        """The KJs' part of the command table."""
        return [
            CommandSpec("open", Who.ANYONE, self.open),
            CommandSpec("close", Who.KJ, self.close),
            CommandSpec("next", Who.KJ, self.next),
            CommandSpec("skip", Who.KJ, self.skip),
            CommandSpec("pause", Who.KJ, self.pause),
            CommandSpec("resume", Who.KJ, self.resume),
            CommandSpec("block", Who.KJ, self.block),
            CommandSpec("unblock", Who.KJ, self.unblock),
            CommandSpec("remove", Who.KJ, self.remove),
            CommandSpec("move", Who.KJ, self.move),
            CommandSpec("undo", Who.KJ, self.undo),
            CommandSpec("kj", Who.KJ, self.add_kj),
            CommandSpec("settings", Who.KJ, self.settings),
            CommandSpec("redeem", Who.ANYONE, self.redeem),
        ]

    async def open(self, ask: Asked) -> list[Reply]:
        """``/open [name]``: a new show, bound to this group; the opener is its KJ."""
        steps = self._steps
        event = ask.event
        await steps.check_may_open(event.person)
        name = ask.args or steps.say("open.default_name")
        if len(name) > SHOW_NAME_MAX:
            raise steps.refuse("open.too_long", max=SHOW_NAME_MAX)
        if not event.room.private:
            bound = await steps.directory.show_of_room(event.room)
            if bound is not None:
                state = await steps.rotation.state(bound)
                if not state.closed:
                    if not await steps.directory.is_kj(bound, event.person):
                        raise steps.refuse("open.taken", show=steps.say.quoted(state.name), code=state.code)
                    # One open show per room: the KJ decides what happens to the one already open.
                    old = steps.say.quoted(state.name)
                    buttons = await steps.buttons.make(event.person, bound, [
                        ButtonOption("reopen", name, steps.say("open.replace.button", old=old)),
                        ButtonOption("keepopen", "", steps.say("open.keep.button", old=old)),
                    ])
                    return [steps.tell(event, steps.say("open.replace", old=old, new=steps.say.quoted(name)), buttons)]
        return await steps.open_show(event, name)

    async def redeem(self, ask: Asked) -> list[Reply]:
        """``/redeem CODE``: a KJ invite from the operator is used up, and its redeemer may open shows."""
        steps = self._steps
        code = ask.args.strip()
        if not code or len(code) > INVITE_CODE_MAX:
            raise steps.refuse("redeem.usage" if not code else "redeem.unknown")
        outcome = await steps.opening.redeem(ask.event.person, code, steps.clock.now())
        return [steps.tell(ask.event, steps.say(_REDEEMED[outcome]))]

    async def close(self, ask: Asked) -> list[Reply]:
        """``/close``: the show ends and accepts nothing more.

        Its rooms hear the goodbye from the reminders (so do singers whose songs were still waiting),
        so in the show's own room there is nothing more to say; elsewhere the KJ is told it is done.
        """
        steps = self._steps
        await steps.rotation.execute(ask.show, CloseShow(command_id(ask.event)))
        if not ask.event.room.private and await steps.directory.show_of_room(ask.event.room) == ask.show:
            return []
        return [steps.tell(ask.event, steps.say("close.done", show=steps.say.quoted(ask.kj_state.name)))]

    async def next(self, ask: Asked) -> list[Reply]:
        """``/next``: the current song ends and the next singer starts."""
        steps = self._steps
        state = ask.kj_state
        if state.now is None and not upcoming(state):
            raise steps.refuse("next.empty")
        result = await steps.rotation.execute(ask.show, AdvanceQueue(command_id(ask.event)))
        if not isinstance(result, QueueMoved):
            raise TypeError(f"the rotation answered {result!r}")
        view = await steps.rotation.queue(ask.show)
        if result.started_request_id is None:
            return [steps.proclaim(ask.event, steps.say("next.last"))]
        after = await steps.rotation.state(ask.show)
        return [steps.proclaim(ask.event, steps.now_singing(after, result.started_request_id, view))]

    async def skip(self, ask: Asked) -> list[Reply]:
        """``/skip``: pass over the called singer; ``/skip now``: the one at the mic never came."""
        steps = self._steps
        if ask.args.strip().lower() == "now":
            return await steps.void_current(ask.event, ask.kj_state)
        view = await steps.rotation.queue(ask.show)
        if not view.upcoming:
            raise steps.refuse("skip.nobody")
        return await steps.skip_called(ask.event, ask.kj_state, view.upcoming[0].request_id)

    async def pause(self, ask: Asked) -> list[Reply]:
        """``/pause @singer``: pass them over, keeping their place."""
        return await self._pause_or_resume(ask, pause=True)

    async def resume(self, ask: Asked) -> list[Reply]:
        """``/resume @singer``: back in the rotation at their place."""
        return await self._pause_or_resume(ask, pause=False)

    async def _pause_or_resume(self, ask: Asked, *, pause: bool) -> list[Reply]:
        steps = self._steps
        state = ask.kj_state
        singer_id = await self._find_singer(ask, state, "pause" if pause else "resume")
        singer = state.singers[singer_id]
        if singer.paused == pause:
            raise steps.refuse("pause.already" if pause else "pause.not_paused", name=singer.name)
        cid = command_id(ask.event)
        await steps.rotation.execute(ask.show, PauseSinger(cid, singer_id) if pause else ResumeSinger(cid, singer_id))
        return [steps.announce(ask.event, steps.say("pause.done" if pause else "resume.done", name=singer.name))]

    async def block(self, ask: Asked) -> list[Reply]:
        """``/block @singer``: the show takes no more songs from them, and their waiting ones leave the queue."""
        steps = self._steps
        state = ask.kj_state
        singer_id = await self._find_singer(ask, state, "block")
        name = state.singers[singer_id].name
        if singer_id in state.blocked:
            raise steps.refuse("block.already", name=name)
        waiting = len(state.pending_of(singer_id))
        await steps.rotation.execute(ask.show, BlockSinger(command_id(ask.event), singer_id))
        taken = "" if not waiting else steps.say("block.taken.one" if waiting == 1 else "block.taken.many",
                                                 count=waiting)
        return [steps.announce(ask.event, steps.say("block.done", name=name, taken=taken))]

    async def unblock(self, ask: Asked) -> list[Reply]:
        """``/unblock @singer``: they may request songs again."""
        steps = self._steps
        state = ask.kj_state
        singer_id = await self._find_singer(ask, state, "unblock")
        name = state.singers[singer_id].name
        if singer_id not in state.blocked:
            raise steps.refuse("block.not_blocked", name=name)
        await steps.rotation.execute(ask.show, UnblockSinger(command_id(ask.event), singer_id))
        return [steps.announce(ask.event, steps.say("unblock.done", name=name))]

    async def remove(self, ask: Asked) -> list[Reply]:
        """``/remove n``: song n of /queue leaves the queue."""
        steps = self._steps
        view = await steps.rotation.queue(ask.show)
        slot = self._slot_at(view, ask.args, "/remove")
        await steps.rotation.execute(ask.show, RemoveRequest(command_id(ask.event), slot.request_id))
        return [steps.announce(ask.event, steps.say("remove.done", song=steps.say.song(slot.song),
                                                     name=slot.singer.name))]

    async def move(self, ask: Asked) -> list[Reply]:
        """``/move n m``: song n of /queue goes to place m."""
        steps = self._steps
        view = await steps.rotation.queue(ask.show)
        parts = ask.args.split()
        if not view.upcoming:
            raise steps.refuse("move.nobody")
        if len(parts) != 2:
            raise steps.refuse("move.usage", count=len(view.upcoming))
        slot = self._slot_at(view, parts[0], "/move")
        target = number(parts[1])
        if target is None or not 1 <= target <= len(view.upcoming):
            raise steps.refuse("move.usage", count=len(view.upcoming))
        await steps.rotation.execute(ask.show, MoveRequest(command_id(ask.event), slot.request_id, target))
        return [steps.announce(ask.event, steps.say("move.done", name=slot.singer.name, title=slot.song.title,
                                                     place=steps.say.ordinal(target)))]

    async def undo(self, ask: Asked) -> list[Reply]:
        """``/undo``: the last KJ action is taken back."""
        steps = self._steps
        result = await steps.rotation.execute(ask.show, Undo(command_id(ask.event)))
        key = f"undo.action.{result.action}" if isinstance(result, ActionUndone) else "undo.action"
        after = await steps.rotation.state(ask.show)
        text = steps.say("undo.done", action=steps.say(key))
        if after.now is not None:
            now = after.requests[after.now]
            text += steps.say("undo.now_singing", entry=steps.say.entry(after.singers[now.singer_id].name, now.song))
        return [steps.proclaim(ask.event, text)]

    async def add_kj(self, ask: Asked) -> list[Reply]:
        """``/kj @user``: another person helps run the show."""
        steps = self._steps
        handle = mention(ask.args)
        if not handle:
            raise steps.refuse("kj.usage")
        person = await steps.directory.find_person(ask.event.person.platform, handle)
        if person is None:
            raise steps.refuse("kj.unknown", handle=handle[:40])
        await steps.directory.add_kj(ask.show, person)
        return [steps.announce(ask.event, steps.say("kj.done", handle=person.username or handle,
                                                     show=steps.say.quoted(ask.kj_state.name)))]

    async def settings(self, ask: Asked) -> list[Reply]:
        """``/settings [key value]``: list the show's settings, or change one."""
        steps = self._steps
        current = ask.kj_state.settings
        if not ask.args:
            shown = ", ".join(f"{name} {self._setting_text(getattr(current, name))}" for name in SETTING_NAMES)
            return [steps.tell(ask.event, steps.say("settings.list", settings=shown))]
        parts = ask.args.split()
        if len(parts) != 2 or parts[0].lower() not in SETTING_NAMES:
            raise steps.refuse("settings.usage", keys=", ".join(SETTING_NAMES))
        key, raw = parts[0].lower(), parts[1]
        value = _setting_value(getattr(current, key), raw)
        if value is None:
            raise steps.refuse("settings.bad_value", value=raw[:20], key=key)
        try:
            changes: dict[str, Any] = {key: value}
            settings = replace(current, **changes)
        except InvalidSettings as error:
            raise steps.refuse("settings.refused", reason=error.message) from None
        await steps.rotation.execute(ask.show, ChangeShowSettings(command_id(ask.event), settings))
        return [steps.announce(ask.event, steps.say("settings.done", key=key, value=self._setting_text(value)))]

    def _setting_text(self, value: object) -> str:
        return self._steps.say.switch(value) if isinstance(value, bool) else str(value)

    def _slot_at(self, view: QueueView, args: str, verb: str) -> Slot:
        steps = self._steps
        if not view.upcoming:
            raise steps.refuse("slot.nobody")
        index = number(args.split()[0] if args.split() else "")
        if index is None or not 1 <= index <= len(view.upcoming):
            raise steps.refuse("slot.usage", verb=verb, count=len(view.upcoming))
        return view.upcoming[index - 1]

    async def _find_singer(self, ask: Asked, state: ShowState, verb: str) -> str:
        """The singer a KJ names: by number in /queue, stage name or @username."""
        steps = self._steps
        wanted = mention(ask.args)
        if not wanted:
            raise steps.refuse("singer.who", verb=verb)
        if wanted.isdigit():
            view = await steps.rotation.queue(state.show_id)
            slots = ([view.now] if view.now else []) + list(view.upcoming)
            slot = next((s for s in slots if s.position == int(wanted)), None)
            if slot is None:
                raise steps.refuse("singer.no_number", number=wanted[:6])
            return slot.singer.singer_id
        folded = wanted.casefold()
        for singer_id in state.rotation:
            if state.singers[singer_id].name.casefold() == folded:
                return singer_id
        person = await steps.directory.find_person(ask.event.person.platform, wanted)
        if person is not None:
            found = state.singer_of(await steps.singer(person))
            if found is not None:
                return found
        raise steps.refuse("singer.unknown", name=steps.say.quoted(wanted, 40))


def _setting_value(current: object, raw: str) -> object | None:
    if isinstance(current, bool):
        return {"on": True, "true": True, "yes": True, "off": False, "false": False, "no": False}.get(raw.lower())
    if isinstance(current, int):
        return int(raw) if raw.isdigit() and len(raw) <= 6 else None
    return raw.lower()
