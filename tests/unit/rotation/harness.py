"""A tiny driver for the pure domain: keeps a stream, decides commands at a ticking clock, reads titles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.rotation import (
    AdvanceQueue,
    BlockSinger,
    BumpSinger,
    Command,
    Event,
    MoveRequest,
    OpenShow,
    PauseSinger,
    RemoveRequest,
    RequestSong,
    ResumeSinger,
    ShowSettings,
    ShowState,
    SingerRef,
    SkipSinger,
    SongRef,
    UnblockSinger,
    Undo,
    VoidPerformance,
    WithdrawRequest,
    decide,
    evolve,
    fold,
    queue_view,
    upcoming,
)

START = datetime(2026, 3, 14, 20, 0, tzinfo=UTC)


def singer(name: str) -> SingerRef:
    """A chat singer whose user id is their name."""
    return SingerRef("telegram", name, name)


class Show:
    """One show driven command by command; songs are named by their title, which is also their id."""

    def __init__(self, settings: ShowSettings | None = None) -> None:
        self.state = ShowState()
        self.events: list[Event] = []
        self.now = START
        self._commands = 0
        self.do(OpenShow(self._command_id(), "show-1", "Friday night", "K7QX", settings or ShowSettings()))

    def _command_id(self) -> str:
        self._commands += 1
        return f"c{self._commands}"

    def do(self, command: Command) -> list[Event]:
        events = decide(self.state, command, self.now)
        for event in events:
            self.state = evolve(self.state, event)
        self.events.extend(events)
        self.now += timedelta(seconds=1)
        return events

    def request(self, who: str, title: str, duration: int | None = 180) -> list[Event]:
        return self.do(
            RequestSong(self._command_id(), singer(who), SongRef(title, title, "Artist", duration), title)
        )

    def request_as(self, who: str, title: str, request_id: str) -> list[Event]:
        return self.do(
            RequestSong(self._command_id(), singer(who), SongRef(title, title, "Artist"), request_id)
        )

    def walk_in(self, name: str, title: str) -> list[Event]:
        """A singer without a phone, known by name only, asks the KJ for ``title``."""
        return self.do(RequestSong(self._command_id(), SingerRef(None, None, name), SongRef(title, title, "Artist"),
                                   title, f"walkin-{name}"))

    def singer_id(self, who: str) -> str:
        return self.state.singer_keys[singer(who).key]

    def advance(self) -> list[Event]:
        return self.do(AdvanceQueue(self._command_id()))

    def skip(self, request_id: str | None = None) -> list[Event]:
        return self.do(SkipSinger(self._command_id(), request_id))

    def skip_now(self, request_id: str | None = None) -> list[Event]:
        return self.do(VoidPerformance(self._command_id(), request_id))

    def pause(self, who: str) -> list[Event]:
        return self.do(PauseSinger(self._command_id(), self.singer_id(who)))

    def resume(self, who: str) -> list[Event]:
        return self.do(ResumeSinger(self._command_id(), self.singer_id(who)))

    def block(self, who: str) -> list[Event]:
        return self.do(BlockSinger(self._command_id(), self.singer_id(who)))

    def unblock(self, who: str) -> list[Event]:
        return self.do(UnblockSinger(self._command_id(), self.singer_id(who)))

    def move(self, title: str, position: int) -> list[Event]:
        return self.do(MoveRequest(self._command_id(), title, position))

    def bump(self, who: str) -> list[Event]:
        return self.do(BumpSinger(self._command_id(), self.singer_id(who)))

    def remove(self, title: str) -> list[Event]:
        return self.do(RemoveRequest(self._command_id(), title))

    def withdraw(self, who: str, title: str) -> list[Event]:
        return self.do(WithdrawRequest(self._command_id(), singer(who), title))

    def undo(self) -> list[Event]:
        return self.do(Undo(self._command_id()))

    def title(self, request_id: str) -> str:
        return self.state.requests[request_id].song.title

    def upcoming(self) -> list[str]:
        return [self.title(r) for r in upcoming(self.state)]

    def now_singing(self) -> str | None:
        return self.title(self.state.now) if self.state.now else None

    def view(self) -> tuple[str | None, list[str]]:
        view = queue_view(self.state, self.now)
        return (view.now.song.title if view.now else None, [s.song.title for s in view.upcoming])

    def replayed(self) -> ShowState:
        return fold(self.events)
