"""What pressing a button does: request the song, cancel, "On my way", "Skip me this round", a KJ's Skip or Wait.

A press is honoured only if its choice exists, has not expired, belongs to the presser, and (for the
KJ's buttons) the presser is a KJ of the show; anything else is one friendly line and changes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from core.chat.buttons import token_of
from core.chat.directory import Choice
from core.chat.steps import Steps, command_id
from core.chat.vocabulary import Pressed, Reply
from core.rotation import CloseShow, RotationError, ShowState, upcoming

PressHandler = Callable[[Pressed, Choice], Awaitable[list[Reply]]]


class ButtonPresses:
    """Answers button presses; every action the conversation or the reminders put on a button is here."""

    def __init__(self, steps: Steps, more: Mapping[str, PressHandler] | None = None) -> None:
        """Work through the shared ``steps``; ``more`` are actions other rooms of the conversation own."""
        self._steps = steps
        self._actions: dict[str, PressHandler] = {
            "request": self._request,
            "cancel": self._cancel,
            "onmyway": self._on_my_way,
            "skipme": self._skip_me,
            "kjskip": self._kj_skip,
            "kjwait": self._kj_wait,
            "reopen": self._reopen,
            "keepopen": self._keep_open,
            **(more or {}),
        }

    async def handle(self, event: Pressed) -> list[Reply]:
        """Do what the pressed button stands for."""
        steps = self._steps
        token = token_of(event.data)
        choice = await steps.directory.get_choice(token) if token else None
        if choice is None or choice.expires_at <= steps.clock.now():
            raise steps.refuse("button.expired")
        if (choice.platform, choice.user_id) != event.person.key:
            raise steps.refuse("button.not_yours")
        action = self._actions.get(choice.action)
        if action is None:
            raise steps.refuse("button.expired")
        return await action(event, choice)

    async def _request(self, event: Pressed, choice: Choice) -> list[Reply]:
        # One rotation call: a closed show refuses the request itself.
        songs = await self._steps.songs.get_many([choice.arg])
        if not songs:
            raise self._steps.refuse("request.song_gone")
        return await self._steps.queue_song(event, choice.show_id, songs[0])

    async def _cancel(self, event: Pressed, choice: Choice) -> list[Reply]:
        state = await self._steps.open_state(choice.show_id)
        if state.now == choice.arg:
            # Called up and backing out: the turn is given back first, then the song.
            await self._steps.give_up_turn(event, state, choice.arg, suffix=":turn")
            state = await self._steps.rotation.state(choice.show_id)
        return await self._steps.withdraw(event, state, choice.arg)

    async def _on_my_way(self, event: Pressed, choice: Choice) -> list[Reply]:
        steps = self._steps
        state = await steps.open_state(choice.show_id)
        line = upcoming(state)
        if state.now != choice.arg and (not line or line[0] != choice.arg):
            raise steps.refuse("onmyway.over")
        await steps.confirmations.confirm(state.show_id, choice.arg, steps.clock.now())
        return [steps.tell(event, steps.say("onmyway.done"))]

    async def _skip_me(self, event: Pressed, choice: Choice) -> list[Reply]:
        steps = self._steps
        state = await steps.open_state(choice.show_id)
        await steps.give_up_turn(event, state, choice.arg)
        request = state.requests[choice.arg]
        return [steps.tell(event, steps.say("skipme.done", song=steps.say.song(request.song)))]

    async def _kj_skip(self, event: Pressed, choice: Choice) -> list[Reply]:
        steps = self._steps
        state = await steps.open_state(choice.show_id)
        name = await self._no_show_name(event, choice, state)
        try:
            return await steps.skip_called(event, state, choice.arg)
        except RotationError as error:
            if error.code == "conflict":
                raise steps.refuse("skip.not_next", name=name) from None
            raise

    async def _kj_wait(self, event: Pressed, choice: Choice) -> list[Reply]:
        state = await self._steps.open_state(choice.show_id)
        name = await self._no_show_name(event, choice, state)
        return [self._steps.tell(event, self._steps.say("wait.done", name=name))]

    async def _reopen(self, event: Pressed, choice: Choice) -> list[Reply]:
        """Close the room's open show (``choice.show_id``) and open a new one named ``choice.arg``."""
        steps = self._steps
        if not await steps.directory.is_kj(choice.show_id, event.person):
            raise steps.refuse("only_kj")
        await steps.check_may_open(event.person)
        state = await steps.rotation.state(choice.show_id)
        if not state.closed:
            await steps.rotation.execute(choice.show_id, CloseShow(command_id(event) + ":close"))
        return await steps.open_show(event, choice.arg)

    async def _keep_open(self, event: Pressed, choice: Choice) -> list[Reply]:
        steps = self._steps
        state = await steps.open_state(choice.show_id)
        return [steps.tell(event, steps.say("open.kept", show=steps.say.quoted(state.name), code=state.code))]

    async def _no_show_name(self, event: Pressed, choice: Choice, state: ShowState) -> str:
        """The name of the singer a KJ's no-show button is about; refuses anyone but a KJ."""
        steps = self._steps
        if not await steps.directory.is_kj(choice.show_id, event.person):
            raise steps.refuse("only_kj")
        request = state.requests.get(choice.arg)
        if request is None:
            raise steps.refuse("button.expired")
        return state.singers[request.singer_id].name
