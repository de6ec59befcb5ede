"""What singers say: join, request, search, see the queue and their songs, cancel, name themselves, mute."""

from __future__ import annotations

from core.chat.buttons import ButtonOption
from core.chat.parsing import STAGE_NAME_MAX, stage_name_problem
from core.chat.routing import Asked, CommandSpec, Who
from core.chat.steps import Found, Steps, command_id, number, song_ref
from core.chat.vocabulary import Reply, Said
from core.rotation import RenameSinger, SongRef, queue_view, singer_requests

JOIN_CODE_MAX = 16
EARLIER_SHOWN = 3


class SingerCommands:
    """The singers' commands; each answers with replies or raises a ``Refusal``."""

    def __init__(self, steps: Steps) -> None:
        """Work through the shared ``steps``."""
        self._steps = steps

    def commands(self) -> list[CommandSpec]:
        """The singers' part of the command table."""
        return [
            CommandSpec("start", Who.ANYONE, self.start),
            CommandSpec("join", Who.ANYONE, self.join),
            CommandSpec("request", Who.SINGER, self.request),
            CommandSpec("search", Who.ANYONE, self.search),
            CommandSpec("queue", Who.SINGER, self.queue),
            CommandSpec("mysongs", Who.ANYONE, self.my_songs),
            CommandSpec("cancel", Who.SINGER, self.cancel),
            CommandSpec("name", Who.ANYONE, self.name),
            CommandSpec("mute", Who.ANYONE, self.mute),
            CommandSpec("unmute", Who.ANYONE, self.unmute),
            CommandSpec("help", Who.ANYONE, self.help),
        ]

    async def plain_private(self, event: Said, text: str) -> list[Reply]:
        """Words without a command in a private chat: a join code before joining, a request after."""
        steps = self._steps
        show_id = await steps.show_id(event)
        if show_id is None:
            if 4 <= len(text) <= 8 and text.replace("-", "").isalnum() and await steps.rotation.find_show(text):
                return await self.join(Asked(event, text))
            raise steps.refuse("not_joined")
        return await self.request(Asked(event, text, show_id))

    async def start(self, ask: Asked) -> list[Reply]:
        """``/start`` (Telegram's first message, or a deep link carrying a join code)."""
        if ask.args:
            return await self.join(ask)
        return [self._steps.tell(ask.event, self._steps.say("start"))]

    async def join(self, ask: Asked) -> list[Reply]:
        """``/join CODE``: this person takes part in that show from now on."""
        steps = self._steps
        code = ask.args.strip()
        if not code:
            raise steps.refuse("join.usage")
        show_id = await steps.rotation.find_show(code) if len(code) <= JOIN_CODE_MAX else None
        if show_id is None:
            raise steps.refuse("join.unknown", code=steps.say.quoted(code, JOIN_CODE_MAX))
        await steps.directory.set_current_show(ask.event.person, show_id)
        state = await steps.rotation.state(show_id)
        return [steps.tell(ask.event, steps.say("join.done", show=steps.say.quoted(state.name)))]

    async def request(self, ask: Asked) -> list[Reply]:
        """``/request words``: a confident match is queued at once (one rotation call), else choices."""
        steps = self._steps
        found = await self._found(ask, "request.usage")
        if found.confident:
            return await steps.queue_song(ask.event, ask.show, found.items[0].song)
        await steps.open_state(ask.show)  # no buttons for a closed show
        buttons = await steps.choices(ask.event, ask.show, found.items)
        return [steps.tell(ask.event, steps.say("request.pick", query=steps.say.quoted(ask.args)), buttons)]

    async def search(self, ask: Asked) -> list[Reply]:
        """``/search words``: buttons to sign up in an open show, else a plain list."""
        steps = self._steps
        found = await self._found(ask, "search.usage")
        show_id = await steps.show_id(ask.event)
        state = await steps.rotation.state(show_id) if show_id else None
        if state is None or state.closed:
            lines = [steps.say("search.found.line", n=i, song=steps.say.song(song_ref(f.song)))
                     for i, f in enumerate(found.items, start=1)]
            text = "\n".join([steps.say("search.found"), *lines, steps.say("search.found.join")])
            return [steps.tell(ask.event, text)]
        buttons = await steps.choices(ask.event, state.show_id, found.items)
        return [steps.tell(ask.event, steps.say("search.pick", query=steps.say.quoted(ask.args)), buttons)]

    async def _found(self, ask: Asked, usage: str) -> Found:
        """The songs the words after the command match; refuses no words (saying ``usage``) and no match."""
        steps = self._steps
        if not ask.args:
            raise steps.refuse(usage)
        found = await steps.find(ask.args)
        if not found.items:
            raise steps.refuse("search.none", query=steps.say.quoted(ask.args))
        return found

    async def queue(self, ask: Asked) -> list[Reply]:
        """``/queue``: who sings now and who comes next, with waits."""
        steps = self._steps
        # One read of the show: the view of the state that was checked to be open.
        view = queue_view(await steps.open_state(ask.show), steps.clock.now())
        if view.now is None and not view.upcoming:
            return [steps.tell(ask.event, steps.say("queue.empty"))]
        lines = []
        if view.now is not None:
            lines.append(steps.say("queue.now", entry=steps.say.entry(view.now.singer.name, view.now.song)))
        for slot in view.upcoming:
            key = "queue.line.next" if slot.position == 1 else "queue.line"
            lines.append(steps.say(key, position=slot.position, entry=steps.say.entry(slot.singer.name, slot.song),
                                   wait=steps.say.wait(slot.eta_seconds)))
        return [steps.tell(ask.event, "\n".join(lines))]

    async def my_songs(self, ask: Asked) -> list[Reply]:
        """``/mysongs``: the asker's waiting songs with place and wait, each with a Cancel button, and what they
        sang on earlier nights; outside an open show, what they have sung here, latest first."""
        steps = self._steps
        show_id = await steps.show_id(ask.event)
        state = await steps.rotation.state(show_id) if show_id is not None else None
        if show_id is None or state is None or state.closed:
            sung = await self._sung(ask, None, "mysongs.sung")
            if not sung:
                raise steps.refuse("not_joined" if show_id is None else "closed")
            return [steps.tell(ask.event, "\n".join([*sung, steps.say("mysongs.no_show")]))]
        ask = Asked(ask.event, ask.args, show_id)
        # Their waiting songs and the song at the mic from the one read of the show above.
        singer_id = state.singer_of(await steps.singer(ask.event.person))
        mine = singer_requests(state, singer_id, steps.clock.now()) if singer_id is not None else ()
        earlier = await self._sung(ask, show_id, "mysongs.earlier")
        # At the mic: their song is no longer waiting, and "no songs waiting" alone would read as lost.
        singing = []
        if state.now is not None and singer_id is not None:
            playing = state.requests[state.now]
            if state.now_known_as(playing.singer_id) == singer_id:
                singing.append(steps.say("mysongs.singing", song=steps.say.song(playing.song)))
        if not mine:
            return [steps.tell(ask.event, "\n".join([*singing, steps.say("mysongs.none"), *earlier]))]
        lines = [*singing, steps.say("mysongs.title")]
        options = []
        for index, own in enumerate(mine, start=1):
            if own.position is None or own.eta_seconds is None:
                where = steps.say("mysongs.paused")
            elif own.position == 1:
                # As the queue and the "You're next" message say it.
                where = steps.say("mysongs.next", wait=steps.say.wait(own.eta_seconds))
            else:
                where = steps.say("mysongs.where", place=steps.say.ordinal(own.position),
                                  wait=steps.say.wait(own.eta_seconds))
            lines.append(steps.say("mysongs.line", n=index, song=steps.say.song(own.song), where=where))
            options.append(ButtonOption("cancel", own.request_id, steps.say("mysongs.cancel_button", n=index)))
        lines.append(steps.say("mysongs.hint"))
        buttons = await steps.buttons.make(ask.event.person, ask.show, options)
        return [steps.tell(ask.event, "\n".join([*lines, *earlier]), buttons)]

    async def _sung(self, ask: Asked, except_show: str | None, heading: str) -> list[str]:
        """The asker's songs sung in other shows than ``except_show``, the latest first (a few lines under
        ``heading``), or nothing."""
        steps = self._steps
        if steps.stats is None:
            return []
        person = await steps.person(ask.event.person)
        sung = await steps.stats.sung_recently(person.person_id, except_show=except_show, limit=EARLIER_SHOWN)
        if not sung:
            return []
        return [steps.say(heading), *(
            steps.say("mysongs.earlier.line", song=steps.say.song(SongRef(p.song_id, p.title, p.artist)),
                      day=steps.say.day(p.finished_at)) for p in sung)]

    async def cancel(self, ask: Asked) -> list[Reply]:
        """``/cancel [n]``: take back song n of /mysongs; with several waiting and no number, ask which."""
        steps = self._steps
        state = await steps.open_state(ask.show)
        mine = await steps.rotation.my_requests(ask.show, await steps.singer(ask.event.person))
        if not mine:
            raise steps.refuse("cancel.none")
        if not ask.args.strip() and len(mine) > 1:
            options = [ButtonOption("cancel", own.request_id, steps.say("cancel.button", song=steps.say.song(own.song)))
                       for own in mine]
            buttons = await steps.buttons.make(ask.event.person, ask.show, options)
            return [steps.tell(ask.event, steps.say("cancel.which"), buttons)]
        index = number(ask.args, default=len(mine))
        if index is None or not 1 <= index <= len(mine):
            raise steps.refuse("cancel.usage", count=len(mine))
        return await steps.withdraw(ask.event, state, mine[index - 1].request_id)

    async def name(self, ask: Asked) -> list[Reply]:
        """``/name stage name``: what the queue and the screen show for this person, tonight and after."""
        steps = self._steps
        problem = stage_name_problem(ask.args)
        if problem is not None:
            raise steps.refuse(problem, max=STAGE_NAME_MAX)
        person = await steps.person(ask.event.person)
        await steps.people.store.set_name(person.person_id, ask.args)
        show_id = await steps.show_id(ask.event)
        if show_id is not None:
            state = await steps.rotation.state(show_id)
            singer = await steps.singer(ask.event.person)
            singer_id = state.singer_of(singer)
            if not state.closed and singer_id is not None and state.singers[singer_id].name != ask.args:
                await steps.rotation.execute(show_id, RenameSinger(command_id(ask.event), singer, ask.args))
                return [steps.tell(ask.event, steps.say("name.done.tonight", name=steps.say.quoted(ask.args)))]
        return [steps.tell(ask.event, steps.say("name.done", name=steps.say.quoted(ask.args)))]

    async def mute(self, ask: Asked) -> list[Reply]:
        """``/mute``: no more reminders for this person, whichever of their accounts they would reach."""
        person = await self._steps.person(ask.event.person)
        await self._steps.people.store.set_muted(person.person_id, True)
        return [self._steps.tell(ask.event, self._steps.say("mute.done"))]

    async def unmute(self, ask: Asked) -> list[Reply]:
        """``/unmute``: reminders again."""
        person = await self._steps.person(ask.event.person)
        await self._steps.people.store.set_muted(person.person_id, False)
        return [self._steps.tell(ask.event, self._steps.say("unmute.done"))]

    async def help(self, ask: Asked) -> list[Reply]:
        """``/help``: what the asker may do: a singer's commands, and a KJ's too for a KJ of their show."""
        steps = self._steps
        show_id = await steps.show_id(ask.event)
        kj = show_id is not None and await steps.directory.is_kj(show_id, ask.event.person)
        return [steps.tell(ask.event, steps.say("help.singer") + "\n" + steps.say("help.kj" if kj else "help.open"))]
