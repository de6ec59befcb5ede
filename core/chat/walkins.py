"""Walk-ins: a KJ adds a singer without a phone, ``/add Maria africa toto`` (a name of several words in quotes:
``/add "Maria José" africa``).

The name is someone's in the show already when a singer of the show goes by it (a walk-in added before, or
a singer with a phone the KJ signs up for); otherwise it is a new walk-in: a person without identities, who
can link a phone later (``/link for NAME``). A confident search queues the song at once; else the KJ picks
from buttons.
"""

from __future__ import annotations

from core.chat.buttons import ButtonOption
from core.chat.directory import Choice
from core.chat.parsing import STAGE_NAME_MAX, stage_name_problem
from core.chat.routing import Asked, CommandSpec, Who
from core.chat.steps import Steps, command_id, song_ref
from core.chat.vocabulary import ChatEvent, Pressed, Reply
from core.rotation import ShowState, SingerRef

_QUOTES = {'"': '"', "“": "”", "'": "'", "«": "»"}


def split_name(args: str) -> tuple[str, str]:
    """``Maria africa toto`` → (``Maria``, ``africa toto``); a quoted name may have spaces."""
    args = args.strip()
    close = _QUOTES.get(args[:1])
    if close is not None:
        end = args.find(close, 1)
        if end > 0:
            return args[1:end].strip(), args[end + 1:].strip()
    name, _, rest = args.partition(" ")
    return name.strip(), rest.strip()


class WalkIns:
    """``/add`` and its ``addfor`` button."""

    def __init__(self, steps: Steps) -> None:
        """Work through the shared ``steps``."""
        self._steps = steps

    def commands(self) -> list[CommandSpec]:
        """``/add``, for the show's KJs."""
        return [CommandSpec("add", Who.KJ, self.add)]

    async def add(self, ask: Asked) -> list[Reply]:
        """``/add NAME song words``: sign NAME up for a song, queued at once when the search is sure."""
        steps = self._steps
        name, query = split_name(ask.args)
        if not name or not query:
            raise steps.refuse("add.usage")
        problem = stage_name_problem(name)
        if problem is not None:
            raise steps.refuse(problem, max=STAGE_NAME_MAX)
        found = await steps.find(query)
        if not found.items:
            raise steps.refuse("search.none", query=steps.say.quoted(query))
        if found.confident:
            singer = await self._singer(ask.event, ask.kj_state, name)
            return await steps.queue_song(ask.event, ask.show, found.items[0].song, for_singer=singer)
        options = [ButtonOption("addfor", f"{f.song.song_id}:{name}", steps.say.song(song_ref(f.song)))
                   for f in found.items]
        buttons = await steps.buttons.make(ask.event.person, ask.show, options)
        return [steps.tell(ask.event, steps.say("add.pick", name=name, query=steps.say.quoted(query)), buttons)]

    async def pressed(self, event: Pressed, choice: Choice) -> list[Reply]:
        """The ``addfor`` button: the KJ picked the song for the name."""
        steps = self._steps
        if not await steps.directory.is_kj(choice.show_id, event.person):
            raise steps.refuse("only_kj")
        song_id, _, name = choice.arg.partition(":")
        state = await steps.open_state(choice.show_id)
        songs = await steps.songs.get_many([song_id])
        if not songs:
            raise steps.refuse("request.song_gone")
        singer = await self._singer(event, state, name)
        return await steps.queue_song(event, choice.show_id, songs[0], for_singer=singer)

    async def _singer(self, event: ChatEvent, state: ShowState, name: str) -> SingerRef:
        """The singer of the show who goes by ``name``, else a new walk-in of that name (``People.walk_in``)."""
        return await self._steps.people.walk_in(state, name, command_id(event))
