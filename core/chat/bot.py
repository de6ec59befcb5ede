"""``ChatBot``: every rule of the karaoke conversation, the same on Telegram, Slack and the console.

An adapter turns a platform update into a ``Said`` or ``Pressed`` and calls ``handle``; it renders
the ``Reply`` values that come back. Nothing here knows a platform.

Idempotency: command ids sent to the rotation are derived from ``(platform, update_key)``, so a
redelivered update is answered from the record instead of being applied again. Directory writes
(joining, naming, binding) are idempotent upserts.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from core.catalog import Song
from core.catalog.search import CatalogSearch, FoundSong, QueryTooLong, SearchNotReady
from core.chat import texts
from core.chat.directory import ChatDirectory, Choice
from core.chat.parsing import MAX_MESSAGE, clean, mention, parse_command, stage_name_problem
from core.chat.vocabulary import Button, ChatEvent, Person, Pressed, Reply, Said
from core.clock import Clock
from core.rotation import (
    ActionUndone,
    AdvanceQueue,
    ChangeShowSettings,
    CloseShow,
    InvalidSettings,
    LimitReached,
    MoveRequest,
    PauseSinger,
    QueueMoved,
    QueueView,
    RemoveRequest,
    ResumeSinger,
    RotationError,
    RotationService,
    ShowSettings,
    ShowState,
    SingerRef,
    SkipMyTurn,
    SkipSinger,
    Slot,
    SongAlreadyQueued,
    SongRef,
    Undo,
    WithdrawRequest,
    upcoming,
)

logger = logging.getLogger(__name__)

CHOICES = 5
# Search hits below this score are noise (a query of random letters still "matches" something faintly).
MIN_SCORE = 45.0
SHOW_NAME_MAX = 80
_UNDO_LABELS = {
    "advance": "/next", "skip": "/skip", "pause": "pause", "resume": "resume",
    "move": "move", "remove": "removal", "bump": "bump",
}


class SongLookup(Protocol):
    """Fetches catalog songs by id (the catalog's store fits: ``SqlSongStore.get_many``)."""

    async def get_many(self, song_ids: Sequence[str]) -> list[Song]:
        """The songs among ``song_ids`` that exist."""
        ...


class Confirmations(Protocol):
    """Where a singer's "On my way" is recorded (the reminders' notice store fits)."""

    async def confirm(self, show_id: str, request_id: str, now: datetime) -> bool:
        """Record that the singer of ``request_id`` is coming; True if a no-show check was pending."""
        ...


class _NoConfirmations:
    async def confirm(self, show_id: str, request_id: str, now: datetime) -> bool:
        return False


class Refusal(Exception):
    """A request that changes nothing, answered with one friendly line (raised inside the bot only)."""

    def __init__(self, text: str) -> None:
        """Carry the line to tell the person."""
        super().__init__(text)
        self.text = text


def _new_token() -> str:
    return secrets.token_urlsafe(12)


CommandHandler = Callable[[Said, str], Awaitable[list[Reply]]]


class ChatBot:
    """The conversation core: answers each chat event with replies, driving the rotation and search."""

    def __init__(
        self,
        rotation: RotationService,
        search: CatalogSearch,
        songs: SongLookup,
        directory: ChatDirectory,
        clock: Clock,
        *,
        bot_username: str | None = None,
        new_token: Callable[[], str] = _new_token,
        choice_lifetime: timedelta = timedelta(hours=2),
        confirmations: Confirmations | None = None,
    ) -> None:
        """Wire the bot; ``bot_username`` makes it ignore ``/cmd@otherbot``; ``new_token`` names button choices."""
        self._rotation = rotation
        self._search = search
        self._songs = songs
        self._directory = directory
        self._clock = clock
        self._bot_username = bot_username.lower() if bot_username else None
        self._new_token = new_token
        self._choice_lifetime = choice_lifetime
        self._confirmations = confirmations or _NoConfirmations()
        self._commands: dict[str, CommandHandler] = {
            "start": self._start, "join": self._join, "request": self._request_command,
            "search": self._search_command, "queue": self._queue, "mysongs": self._mysongs,
            "cancel": self._cancel, "name": self._name, "help": self._help,
            "open": self._open, "close": self._close, "next": self._next, "skip": self._skip,
            "pause": self._pause, "resume": self._resume, "remove": self._remove, "move": self._move,
            "undo": self._undo, "kj": self._kj, "settings": self._settings,
            "mute": self._mute, "unmute": self._unmute,
        }

    async def handle(self, event: ChatEvent) -> list[Reply]:
        """Answer one chat event. Never raises: refusals and failures come back as one friendly line.

        Messages from bots and chatter in groups that is not a command get no reply at all.
        """
        if event.person.is_bot:
            return []
        try:
            await self._directory.remember_person(event.person)
            if event.room.private:
                await self._directory.remember_private_room(event.person, event.room)
            if isinstance(event, Pressed):
                return await self._pressed(event)
            return await self._said(event)
        except Refusal as refusal:
            return [_tell(event, refusal.text)]
        except RotationError as error:
            return [_tell(event, texts.refusal(error))]
        except Exception:
            logger.exception("chat update %s from %s failed", event.update_key, event.person.platform)
            return [_tell(event, texts.SORRY)]

    # --- routing -------------------------------------------------------------------------------

    async def _said(self, event: Said) -> list[Reply]:
        # Cleaning a bounded prefix is enough to tell a command from chatter; longer text is refused below.
        text = clean(event.text[: 4 * MAX_MESSAGE])
        command = parse_command(text)
        if command is None and not event.room.private:
            return []  # group chatter is not for the bot, however long
        if len(event.text) > MAX_MESSAGE:
            raise Refusal(texts.TOO_LONG)
        if command is None:
            if not text:
                raise Refusal("Send /help to see what I can do.")
            return await self._plain_private(event, text)
        if command.bot and self._bot_username and command.bot.lower() != self._bot_username:
            return []  # addressed to another bot in the group
        handler = self._commands.get(command.name)
        if handler is None:
            shown = f"/{command.name}" if command.name else "that"
            raise Refusal(f"I don't know {texts.quoted(shown, 30)[1:-1]}. Try /help.")
        return await handler(event, command.args)

    async def _plain_private(self, event: Said, text: str) -> list[Reply]:
        if await self._show_id(event) is None:
            if 4 <= len(text) <= 8 and text.replace("-", "").isalnum() and await self._rotation.find_show(text):
                return await self._join(event, text)
            raise Refusal(texts.NOT_JOINED)
        return await self._request_command(event, text)

    async def _show_id(self, event: ChatEvent) -> str | None:
        if not event.room.private:
            bound = await self._directory.show_of_room(event.room)
            if bound is not None:
                if await self._directory.current_show(event.person) != bound:
                    await self._directory.set_current_show(event.person, bound)
                return bound
        return await self._directory.current_show(event.person)

    async def _open_show(self, event: ChatEvent) -> ShowState:
        show_id = await self._show_id(event)
        if show_id is None:
            raise Refusal(texts.NOT_JOINED)
        state = await self._rotation.state(show_id)
        if state.closed:
            raise Refusal(texts.CLOSED)
        return state

    async def _kj_show(self, event: ChatEvent) -> ShowState:
        state = await self._open_show(event)
        if not await self._directory.is_kj(state.show_id, event.person):
            raise Refusal(texts.ONLY_KJ)
        return state

    async def _singer(self, person: Person) -> SingerRef:
        name = await self._directory.stage_name(person) or _display_name(person)
        return SingerRef(person.platform, person.user_id, name)

    # --- singers -------------------------------------------------------------------------------

    async def _start(self, event: Said, args: str) -> list[Reply]:
        if args:
            return await self._join(event, args)
        return [_tell(event, "Hi! I run karaoke nights. Send /join CODE with the code on the screen, "
                             "then /request <song>. /help lists everything.")]

    async def _join(self, event: Said, args: str) -> list[Reply]:
        code = args.strip()
        if not code:
            raise Refusal("Send /join followed by the code on the screen, e.g. /join K7QX2.")
        show_id = await self._rotation.find_show(code) if len(code) <= 16 else None
        if show_id is None:
            raise Refusal(f"No open show has the code {texts.quoted(code, 16)}. Check the screen and try again.")
        await self._directory.set_current_show(event.person, show_id)
        state = await self._rotation.state(show_id)
        return [_tell(event, f"You're in {texts.quoted(state.name)}! Request a song with /request <title or artist>.")]

    async def _request_command(self, event: Said, args: str) -> list[Reply]:
        state = await self._open_show(event)
        if not args:
            raise Refusal("Tell me what to sing: /request <title or artist>.")
        found = await self._find(args)
        if not found.items:
            raise Refusal(f"No song matched {texts.quoted(args)}. Try the artist's name or fewer words.")
        if found.confident:
            return await self._queue_song(event, state, found.items[0].song)
        buttons = await self._choices(event, state.show_id, found.items)
        return [_tell(event, f"Which one did you mean by {texts.quoted(args)}? Pick one:", buttons)]

    async def _search_command(self, event: Said, args: str) -> list[Reply]:
        if not args:
            raise Refusal("Tell me what to look for: /search <title or artist>.")
        found = await self._find(args)
        if not found.items:
            raise Refusal(f"No song matched {texts.quoted(args)}. Try the artist's name or fewer words.")
        show_id = await self._show_id(event)
        state = await self._rotation.state(show_id) if show_id else None
        if state is None or state.closed:
            lines = [f"{i}. {texts.song_text(_ref(f.song))}" for i, f in enumerate(found.items, start=1)]
            return [_tell(event, "\n".join(["Songs I found:", *lines, "Join a show with /join CODE to sing one."]))]
        buttons = await self._choices(event, state.show_id, found.items)
        return [_tell(event, f"Songs matching {texts.quoted(args)} — press one to sign up:", buttons)]

    async def _queue(self, event: Said, args: str) -> list[Reply]:
        state = await self._open_show(event)
        view = await self._rotation.queue(state.show_id)
        if view.now is None and not view.upcoming:
            return [_tell(event, "The queue is empty. Be the first: /request <song>.")]
        lines = []
        if view.now is not None:
            lines.append(f"Now singing: {texts.sung_text(view.now.singer.name, view.now.song)}")
        for slot in view.upcoming:
            wait = texts.wait_text(slot.eta_seconds)
            lines.append(f"{slot.position}. {texts.sung_text(slot.singer.name, slot.song)} · "
                         + (f"next, {wait}" if slot.position == 1 else wait))
        return [_tell(event, "\n".join(lines))]

    async def _mysongs(self, event: Said, args: str) -> list[Reply]:
        state = await self._open_show(event)
        mine = await self._rotation.my_requests(state.show_id, await self._singer(event.person))
        if not mine:
            return [_tell(event, "You have no songs waiting. /request one!")]
        lines = ["Your songs:"]
        options = []
        for index, own in enumerate(mine, start=1):
            where = "paused" if own.position is None or own.eta_seconds is None else (
                f"{texts.ordinal(own.position)}, {texts.wait_text(own.eta_seconds)}")
            lines.append(f"{index}. {texts.song_text(own.song)} · {where}")
            options.append(("cancel", own.request_id, f"Cancel {index}"))
        lines.append("/cancel n takes one back.")
        return [_tell(event, "\n".join(lines), await self._buttons(event, state.show_id, options))]

    async def _cancel(self, event: Said, args: str) -> list[Reply]:
        state = await self._open_show(event)
        mine = await self._rotation.my_requests(state.show_id, await self._singer(event.person))
        if not mine:
            raise Refusal("You have no songs waiting to cancel.")
        index = _number(args, default=len(mine))
        if index is None or not 1 <= index <= len(mine):
            raise Refusal(f"Pick a number from 1 to {len(mine)} as listed in /mysongs, e.g. /cancel 1.")
        return await self._withdraw(event, state, mine[index - 1].request_id)

    async def _name(self, event: Said, args: str) -> list[Reply]:
        problem = stage_name_problem(args)
        if problem is not None:
            raise Refusal(problem)
        await self._directory.set_stage_name(event.person, args)
        text = f"You'll be shown as {texts.quoted(args)}."
        show_id = await self._show_id(event)
        if show_id is not None:
            state = await self._rotation.state(show_id)
            singer_id = state.singer_keys.get(event.person.key)
            if singer_id is not None and state.singers[singer_id].name != args:
                text += f" Tonight's queue keeps showing you as {texts.quoted(state.singers[singer_id].name)}."
        return [_tell(event, text)]

    async def _mute(self, event: Said, args: str) -> list[Reply]:
        await self._directory.set_muted(event.person, True)
        return [_tell(event, "Reminders are off: I won't tell you when your turn is coming. /unmute turns them "
                             "back on.")]

    async def _unmute(self, event: Said, args: str) -> list[Reply]:
        await self._directory.set_muted(event.person, False)
        return [_tell(event, "Reminders are on: I'll tell you when your turn is coming.")]

    async def _help(self, event: Said, args: str) -> list[Reply]:
        return [_tell(event, texts.SINGER_HELP + "\n" + texts.KJ_HELP)]

    # --- KJs ------------------------------------------------------------------------------------

    async def _open(self, event: Said, args: str) -> list[Reply]:
        name = args or "Karaoke night"
        if len(name) > SHOW_NAME_MAX:
            raise Refusal(f"A show name is at most {SHOW_NAME_MAX} characters.")
        if not event.room.private:
            bound = await self._directory.show_of_room(event.room)
            if bound is not None:
                state = await self._rotation.state(bound)
                if not state.closed:
                    if await self._directory.is_kj(bound, event.person):
                        return [_announce(event, _opened_text(state.name, state.code, private=False))]
                    raise Refusal(f"This room already has an open show, {texts.quoted(state.name)}. "
                                  f"Join it with /join {state.code}.")
        started = await self._rotation.open_show(_command_id(event), name)
        if not event.room.private:
            await self._directory.bind_room(event.room, started.show_id)
        await self._directory.add_kj(started.show_id, event.person)
        await self._directory.set_current_show(event.person, started.show_id)
        return [_announce(event, _opened_text(name, started.code, private=event.room.private))]

    async def _close(self, event: Said, args: str) -> list[Reply]:
        state = await self._kj_show(event)
        await self._rotation.execute(state.show_id, CloseShow(_command_id(event)))
        return [_announce(event, f"{texts.quoted(state.name)} is closed. Thanks for singing, everyone!")]

    async def _next(self, event: Said, args: str) -> list[Reply]:
        state = await self._kj_show(event)
        if state.now is None and not upcoming(state):
            raise Refusal("Nobody is singing or waiting yet.")
        result = await self._rotation.execute(state.show_id, AdvanceQueue(_command_id(event)))
        if not isinstance(result, QueueMoved):
            raise TypeError(f"the rotation answered {result!r}")
        view = await self._rotation.queue(state.show_id)
        if result.started_request_id is None:
            return [_announce(event, "That was the last song. The queue is empty for now — /request more!")]
        return [_announce(event, _now_singing(await self._rotation.state(state.show_id), result.started_request_id,
                                              view))]

    async def _skip(self, event: Said, args: str) -> list[Reply]:
        state = await self._kj_show(event)
        view = await self._rotation.queue(state.show_id)
        if not view.upcoming:
            raise Refusal("Nobody is waiting to be called.")
        return await self._skip_called(event, state, view.upcoming[0].request_id)

    async def _skip_called(self, event: ChatEvent, state: ShowState, request_id: str) -> list[Reply]:
        """Skip the called singer of ``request_id`` (/skip, or Skip on a no-show prompt) and say what happened."""
        result = await self._rotation.execute(state.show_id, SkipSinger(_command_id(event), request_id))
        if not isinstance(result, QueueMoved):
            raise TypeError(f"the rotation answered {result!r}")
        after = await self._rotation.state(state.show_id)
        text = ""
        if result.skipped_request_id is not None:
            skipped = after.requests[result.skipped_request_id]
            text = f"Skipped {after.singers[skipped.singer_id].name} ({skipped.song.title}) — they keep their songs. "
        if result.started_request_id is None:
            return [_announce(event, text + "Nobody else is waiting.")]
        view = await self._rotation.queue(state.show_id)
        return [_announce(event, text + _now_singing(after, result.started_request_id, view))]

    async def _pause(self, event: Said, args: str) -> list[Reply]:
        return await self._pause_or_resume(event, args, pause=True)

    async def _resume(self, event: Said, args: str) -> list[Reply]:
        return await self._pause_or_resume(event, args, pause=False)

    async def _pause_or_resume(self, event: Said, args: str, *, pause: bool) -> list[Reply]:
        state = await self._kj_show(event)
        word = "pause" if pause else "resume"
        singer_id = await self._find_singer(event, state, args, word)
        singer = state.singers[singer_id]
        if singer.paused == pause:
            raise Refusal(f"{singer.name} is {'already paused' if pause else 'not paused'}.")
        command = PauseSinger(_command_id(event), singer_id) if pause else ResumeSinger(_command_id(event), singer_id)
        await self._rotation.execute(state.show_id, command)
        if pause:
            return [_announce(event, f"Paused {singer.name}: they keep their place. /resume {singer.name} brings "
                                     "them back.")]
        return [_announce(event, f"{singer.name} is back in the rotation.")]

    async def _remove(self, event: Said, args: str) -> list[Reply]:
        state = await self._kj_show(event)
        view = await self._rotation.queue(state.show_id)
        slot = _slot_at(view, args, "/remove")
        await self._rotation.execute(state.show_id, RemoveRequest(_command_id(event), slot.request_id))
        return [_announce(event, f"Removed {texts.song_text(slot.song)} ({slot.singer.name}) from the queue.")]

    async def _move(self, event: Said, args: str) -> list[Reply]:
        state = await self._kj_show(event)
        view = await self._rotation.queue(state.show_id)
        parts = args.split()
        usage = f"Use /move n m with numbers from 1 to {len(view.upcoming)} as in /queue, e.g. /move 3 1."
        if len(parts) != 2 or not view.upcoming:
            raise Refusal(usage if view.upcoming else "Nobody is waiting, so there's nothing to move.")
        slot = _slot_at(view, parts[0], "/move")
        target = _number(parts[1])
        if target is None or not 1 <= target <= len(view.upcoming):
            raise Refusal(usage)
        await self._rotation.execute(state.show_id, MoveRequest(_command_id(event), slot.request_id, target))
        return [_announce(event, f"Moved {slot.singer.name}'s {slot.song.title} to {texts.ordinal(target)} place.")]

    async def _undo(self, event: Said, args: str) -> list[Reply]:
        state = await self._kj_show(event)
        result = await self._rotation.execute(state.show_id, Undo(_command_id(event)))
        label = _UNDO_LABELS.get(result.action, result.action) if isinstance(result, ActionUndone) else "action"
        after = await self._rotation.state(state.show_id)
        text = f"Undid the last {label}."
        if after.now is not None:
            now = after.requests[after.now]
            text += f" Now singing: {texts.sung_text(after.singers[now.singer_id].name, now.song)}."
        return [_announce(event, text)]

    async def _kj(self, event: Said, args: str) -> list[Reply]:
        state = await self._kj_show(event)
        handle = mention(args)
        if not handle:
            raise Refusal("Who should help? /kj @username")
        person = await self._directory.find_person(event.person.platform, handle)
        if person is None:
            raise Refusal(f"I don't know @{handle[:40]} yet. Ask them to send me a message first, then try again.")
        await self._directory.add_kj(state.show_id, person)
        return [_announce(event, f"@{person.username or handle} is now a KJ of {texts.quoted(state.name)} too.")]

    async def _settings(self, event: Said, args: str) -> list[Reply]:
        state = await self._kj_show(event)
        current = state.settings
        names = [f.name for f in fields(ShowSettings)]
        if not args:
            shown = ", ".join(f"{name} {_setting_text(getattr(current, name))}" for name in names)
            return [_tell(event, f"Settings: {shown}. Change one with /settings <key> <value>.")]
        parts = args.split()
        if len(parts) != 2 or parts[0].lower() not in names:
            raise Refusal(f"Use /settings <key> <value>; keys: {', '.join(names)}.")
        key, raw = parts[0].lower(), parts[1]
        value = _setting_value(getattr(current, key), raw)
        if value is None:
            raise Refusal(f"{raw[:20]} isn't a valid value for {key}.")
        try:
            changes: dict[str, Any] = {key: value}
            settings = replace(current, **changes)
        except InvalidSettings as error:
            raise Refusal(error.message + ".") from None
        await self._rotation.execute(state.show_id, ChangeShowSettings(_command_id(event), settings))
        return [_announce(event, f"Setting changed: {key} is now {_setting_text(value)}.")]

    # --- buttons ------------------------------------------------------------------------------

    async def _pressed(self, event: Pressed) -> list[Reply]:
        token = event.data.removeprefix("c:") if event.data.startswith("c:") else None
        choice = await self._directory.get_choice(token) if token else None
        if choice is None or choice.expires_at <= self._clock.now():
            raise Refusal(texts.EXPIRED_BUTTON)
        if (choice.platform, choice.user_id) != event.person.key:
            raise Refusal(texts.NOT_YOUR_BUTTON)
        state = await self._rotation.state(choice.show_id)
        if state.closed:
            raise Refusal(texts.CLOSED)
        if choice.action == "request":
            songs = await self._songs.get_many([choice.arg])
            if not songs:
                raise Refusal("That song is no longer in the catalog. Try /request again.")
            return await self._queue_song(event, state, songs[0])
        if choice.action == "cancel":
            if state.now == choice.arg:
                # Called up and backing out: the turn is given back first, then the song.
                await self._give_up_turn(event, state, choice.arg, suffix=":turn")
                state = await self._rotation.state(choice.show_id)
            return await self._withdraw(event, state, choice.arg)
        if choice.action == "onmyway":
            return await self._on_my_way(event, state, choice.arg)
        if choice.action == "skipme":
            await self._give_up_turn(event, state, choice.arg)
            request = state.requests[choice.arg]
            return [_tell(event, f"OK, you sit this round out. {texts.song_text(request.song)} stays in your list.")]
        if choice.action in ("kjskip", "kjwait"):
            return await self._no_show_answer(event, state, choice.action, choice.arg)
        raise Refusal(texts.EXPIRED_BUTTON)

    async def _on_my_way(self, event: Pressed, state: ShowState, request_id: str) -> list[Reply]:
        line = upcoming(state)
        if state.now != request_id and (not line or line[0] != request_id):
            raise Refusal("That call is over — see /mysongs for where you are now.")
        await self._confirmations.confirm(state.show_id, request_id, self._clock.now())
        return [_tell(event, "Great, see you at the stage!")]

    async def _give_up_turn(self, event: Pressed, state: ShowState, request_id: str, suffix: str = "") -> None:
        singer = await self._singer(event.person)
        try:
            await self._rotation.execute(state.show_id, SkipMyTurn(_command_id(event) + suffix, singer, request_id))
        except RotationError as error:
            if error.code in ("not-found", "conflict"):
                raise Refusal("That song isn't waiting any more. See /mysongs.") from None
            raise

    async def _no_show_answer(self, event: Pressed, state: ShowState, action: str, request_id: str) -> list[Reply]:
        if not await self._directory.is_kj(state.show_id, event.person):
            raise Refusal(texts.ONLY_KJ)
        request = state.requests.get(request_id)
        if request is None:
            raise Refusal(texts.EXPIRED_BUTTON)
        name = state.singers[request.singer_id].name
        if action == "kjwait":
            return [_tell(event, f"OK, {name} keeps their place. /skip if they don't turn up.")]
        try:
            return await self._skip_called(event, state, request_id)
        except RotationError as error:
            if error.code == "conflict":
                raise Refusal(f"{name} is no longer next, so there's nobody to skip.") from None
            raise

    async def _choices(self, event: ChatEvent, show_id: str, items: Sequence[FoundSong]) -> tuple[Button, ...]:
        options = [("request", found.song.song_id, texts.song_text(_ref(found.song))) for found in items]
        return await self._buttons(event, show_id, options)

    async def _buttons(
        self, event: ChatEvent, show_id: str, options: Sequence[tuple[str, str, str]]
    ) -> tuple[Button, ...]:
        """Buttons for (action, arg, label) options, their choices stored together in one write."""
        expires = self._clock.now() + self._choice_lifetime
        choices = [
            Choice(self._new_token(), event.person.platform, event.person.user_id, show_id, action, arg, expires)
            for action, arg, _ in options
        ]
        if choices:
            await self._directory.save_choices(choices)
        return tuple(
            Button(label if len(label) <= 60 else label[:59] + "…", f"c:{choice.token}")
            for choice, (_, _, label) in zip(choices, options, strict=True)
        )

    # --- shared steps ---------------------------------------------------------------------------

    async def _find(self, query: str) -> _Found:
        try:
            result = await self._search.search(query, CHOICES)
        except SearchNotReady:
            raise Refusal(texts.SEARCH_NOT_READY) from None
        except QueryTooLong:
            raise Refusal(texts.TOO_LONG) from None
        items = tuple(found for found in result.items if found.score >= MIN_SCORE)
        return _Found(items, result.confident and bool(items))

    async def _queue_song(self, event: ChatEvent, state: ShowState, song: Song) -> list[Reply]:
        singer = await self._singer(event.person)
        ref = _ref(song)
        try:
            result = await self._rotation.request_song(state.show_id, _command_id(event), singer, ref)
        except LimitReached:
            limit = state.settings.max_pending
            raise Refusal(f"You already have {limit} song{'' if limit == 1 else 's'} waiting — that's the limit. "
                          "/cancel one or sing first!") from None
        except SongAlreadyQueued:
            raise Refusal(f"{texts.song_text(ref)} is already in tonight's queue. How about another one?") from None
        mine = await self._rotation.my_requests(state.show_id, singer)
        own = next((r for r in mine if r.request_id == result.request_id), None)
        if own is None or own.position is None or own.eta_seconds is None:
            text = f"Queued {texts.song_text(ref)}. You're paused right now; the KJ will bring you back."
        elif own.position == 1:
            text = f"Queued {texts.song_text(ref)}. You're next, {texts.wait_text(own.eta_seconds)}."
        else:
            text = (f"Queued {texts.song_text(ref)}. You're {texts.ordinal(own.position)}, "
                    f"{texts.wait_text(own.eta_seconds)}.")
        if result.already_sung_tonight:
            text += " (Heads up: it was already sung tonight.)"
        return [_announce(event, text)]

    async def _withdraw(self, event: ChatEvent, state: ShowState, request_id: str) -> list[Reply]:
        singer = await self._singer(event.person)
        request = state.requests.get(request_id)
        try:
            await self._rotation.execute(state.show_id, WithdrawRequest(_command_id(event), singer, request_id))
        except RotationError as error:
            if error.code in ("not-found", "conflict"):
                raise Refusal("That song isn't waiting any more. See /mysongs.") from None
            raise
        title = texts.song_text(request.song) if request else "your song"
        return [_tell(event, f"Cancelled {title}.")]

    async def _find_singer(self, event: ChatEvent, state: ShowState, args: str, verb: str) -> str:
        wanted = mention(args)
        if not wanted:
            raise Refusal(f"Who? /{verb} @singer (a stage name, @username or number in /queue).")
        if wanted.isdigit():
            view = await self._rotation.queue(state.show_id)
            slots = ([view.now] if view.now else []) + list(view.upcoming)
            slot = next((s for s in slots if s.position == int(wanted)), None)
            if slot is None:
                raise Refusal(f"There's no number {wanted[:6]} in /queue.")
            return slot.singer.singer_id
        folded = wanted.casefold()
        for singer in state.singers.values():
            if singer.name.casefold() == folded:
                return singer.singer_id
        person = await self._directory.find_person(event.person.platform, wanted)
        if person is not None:
            singer_id = state.singer_keys.get(person.key)
            if singer_id is not None:
                return singer_id
        raise Refusal(f"I can't find a singer called {texts.quoted(wanted, 40)} in this show.")


@dataclass(frozen=True, slots=True)
class _Found:
    items: tuple[FoundSong, ...]
    confident: bool


def _command_id(event: ChatEvent) -> str:
    return f"chat:{event.person.platform}:{event.update_key}"


def _tell(event: ChatEvent, text: str, buttons: tuple[Button, ...] = ()) -> Reply:
    # In a group only the asker needs refusals, lists and menus; a private chat is private anyway.
    return Reply(event.room, event.person, text, buttons, ephemeral=not event.room.private)


def _announce(event: ChatEvent, text: str) -> Reply:
    return Reply(event.room, event.person, text)


def _ref(song: Song) -> SongRef:
    return SongRef(song.song_id, song.title, song.artist, song.duration)


def _display_name(person: Person) -> str:
    name = clean(person.name)[:40].strip()
    return name or person.username or "Singer"


def _number(text: str, default: int | None = None) -> int | None:
    text = text.strip()
    if not text:
        return default
    return int(text) if text.isdigit() and len(text) <= 6 else None


def _slot_at(view: QueueView, args: str, verb: str) -> Slot:
    if not view.upcoming:
        raise Refusal("Nobody is waiting in the queue.")
    index = _number(args.split()[0] if args.split() else "")
    if index is None or not 1 <= index <= len(view.upcoming):
        raise Refusal(f"Use {verb} with a number from 1 to {len(view.upcoming)} as in /queue.")
    return view.upcoming[index - 1]


def _opened_text(name: str, code: str, *, private: bool) -> str:
    if private:
        return (f"{texts.quoted(name)} is open and you're its KJ. Join code: {code} — put it on the screen; "
                f"singers send /join {code} to me.")
    return (f"{texts.quoted(name)} is open! Join code: {code}. Sign up right here with /request <song>, "
            f"or send /join {code} to me in private.")


def _now_singing(state: ShowState, request_id: str, view: QueueView) -> str:
    request = state.requests[request_id]
    text = f"Now singing: {texts.sung_text(state.singers[request.singer_id].name, request.song)}."
    if view.upcoming:
        text += f" Up next: {view.upcoming[0].singer.name}."
    return text


def _setting_text(value: object) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def _setting_value(current: object, raw: str) -> object | None:
    if isinstance(current, bool):
        return {"on": True, "true": True, "yes": True, "off": False, "false": False, "no": False}.get(raw.lower())
    if isinstance(current, int):
        return int(raw) if raw.isdigit() and len(raw) <= 6 else None
    return raw.lower()
