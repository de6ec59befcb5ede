"""Regulars: ``/again`` (songs I sang on earlier nights), ``/fav`` (mark a song), ``/favs`` (my favourites) and
``/unfav n``. Both lists carry buttons to sign up for a song when the person is in an open show."""

from __future__ import annotations

from collections.abc import Sequence

from core.chat.buttons import ButtonOption
from core.chat.directory import Choice
from core.chat.routing import Asked, CommandSpec, Who
from core.chat.steps import Steps, number, song_ref
from core.chat.vocabulary import Pressed, Reply, Said
from core.rotation import ShowState, SongRef

AGAIN_SHOWN = 8
FAVS_SHOWN = 20


class Regulars:
    """The regulars' commands, and the ``fav`` button (a song picked from ``/fav words``)."""

    def __init__(self, steps: Steps) -> None:
        """Work through the shared ``steps``."""
        self._steps = steps

    def commands(self) -> list[CommandSpec]:
        """``/again``, ``/fav``, ``/favs``, ``/unfav``: anyone (in a show or not)."""
        return [
            CommandSpec("again", Who.ANYONE, self.again),
            CommandSpec("fav", Who.ANYONE, self.fav),
            CommandSpec("favs", Who.ANYONE, self.favs),
            CommandSpec("unfav", Who.ANYONE, self.unfav),
        ]

    async def again(self, ask: Asked) -> list[Reply]:
        """``/again``: the songs I sang on earlier nights, most recent first, with buttons to sign up again."""
        steps = self._steps
        person = await steps.person(ask.event.person)
        show_id = await steps.show_id(ask.event)
        state = await steps.rotation.state(show_id) if show_id else None
        tonight = state.show_id if state is not None and not state.closed else None
        history = steps.song_history
        past = await history.sung_by(person, tonight, AGAIN_SHOWN) if history is not None else ()
        if not past:
            return [steps.tell(ask.event, steps.say("again.none"))]
        return await self._offer(ask.event, show_id, [p.song for p in past], "again.pick", "again.list")

    async def favs(self, ask: Asked) -> list[Reply]:
        """``/favs``: my favourites, with buttons to sign up."""
        steps = self._steps
        person = await steps.person(ask.event.person)
        songs = (await steps.people.store.favourites(person.person_id))[:FAVS_SHOWN]
        if not songs:
            return [steps.tell(ask.event, steps.say("favs.none"))]
        return await self._offer(ask.event, await steps.show_id(ask.event), songs, "favs.pick", "favs.list")

    async def fav(self, ask: Asked) -> list[Reply]:
        """``/fav``: the song at the mic (else the last one sung) in my show; ``/fav words``: a song I name."""
        steps = self._steps
        if not ask.args:
            show_id = await steps.show_id(ask.event)
            state = await steps.rotation.state(show_id) if show_id else None
            song = _on_stage(state) if state is not None else None
            if song is None:
                raise steps.refuse("fav.usage")
            return await self._mark(ask.event, song)
        found = await steps.find(ask.args)
        if not found.items:
            raise steps.refuse("search.none", query=steps.say.quoted(ask.args))
        if found.confident:
            return await self._mark(ask.event, song_ref(found.items[0].song))
        options = [ButtonOption("fav", f.song.song_id, steps.say.song(song_ref(f.song))) for f in found.items]
        buttons = await steps.buttons.make(ask.event.person, await steps.show_id(ask.event) or "", options)
        return [steps.tell(ask.event, steps.say("fav.pick", query=steps.say.quoted(ask.args)), buttons)]

    async def unfav(self, ask: Asked) -> list[Reply]:
        """``/unfav n``: song n of /favs is no favourite any more."""
        steps = self._steps
        person = await steps.person(ask.event.person)
        songs = (await steps.people.store.favourites(person.person_id))[:FAVS_SHOWN]
        if not songs:
            raise steps.refuse("favs.none")
        index = number(ask.args)
        if index is None or not 1 <= index <= len(songs):
            raise steps.refuse("unfav.usage", count=len(songs))
        song = songs[index - 1]
        await steps.people.store.remove_favourite(person.person_id, song.song_id)
        return [steps.tell(ask.event, steps.say("unfav.done", song=steps.say.song(song)))]

    async def pressed_fav(self, event: Pressed, choice: Choice) -> list[Reply]:
        """The ``fav`` button: mark the song it names."""
        songs = await self._steps.songs.get_many([choice.arg])
        if not songs:
            raise self._steps.refuse("request.song_gone")
        return await self._mark(event, song_ref(songs[0]))

    async def _mark(self, event: Said | Pressed, song: SongRef) -> list[Reply]:
        steps = self._steps
        person = await steps.person(event.person)
        added = await steps.people.store.add_favourite(person.person_id, song, steps.clock.now())
        return [steps.tell(event, steps.say("fav.done" if added else "fav.already", song=steps.say.song(song)))]

    async def _offer(self, event: Said, show_id: str | None, songs: Sequence[SongRef], pick: str,
                     listed: str) -> list[Reply]:
        """The songs with a sign-up button each in an open show; else a numbered list and how to join."""
        steps = self._steps
        state = await steps.rotation.state(show_id) if show_id else None
        lines = [steps.say("search.found.line", n=i, song=steps.say.song(song))
                 for i, song in enumerate(songs, start=1)]
        if state is None or state.closed:
            return [steps.tell(event, "\n".join([steps.say(listed), *lines, steps.say("search.found.join")]))]
        options = [ButtonOption("request", song.song_id, steps.say.song(song)) for song in songs]
        buttons = await steps.buttons.make(event.person, state.show_id, options)
        return [steps.tell(event, "\n".join([steps.say(pick), *lines]), buttons)]


def _on_stage(state: ShowState) -> SongRef | None:
    """The song at the mic, else the last one sung, in the show."""
    if state.now is not None:
        return state.requests[state.now].song
    sung = [entry for entry in state.history if entry.outcome == "sung"]
    return sung[-1].song if sung else None
