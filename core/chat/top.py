"""``/top``: the songs sung most tonight (in the room's open show) and ever (in this deployment)."""

from __future__ import annotations

from core.chat.routing import Asked, CommandSpec, Who
from core.chat.steps import Steps
from core.chat.vocabulary import Reply
from core.rotation import SongRef
from core.stats import SongCount

TOP_SHOWN = 5


class TopSongs:
    """The ``/top`` command."""

    def __init__(self, steps: Steps) -> None:
        """Work through the shared ``steps``."""
        self._steps = steps

    def commands(self) -> list[CommandSpec]:
        """``/top``: anyone, in a show or not."""
        return [CommandSpec("top", Who.ANYONE, self.top)]

    async def top(self, ask: Asked) -> list[Reply]:
        """Tonight's most sung songs when the room (or the asker) is in an open show, then the most sung ever."""
        steps = self._steps
        stats = steps.stats
        ever = await stats.top_songs(limit=TOP_SHOWN) if stats is not None else []
        if not ever:
            return [steps.tell(ask.event, steps.say("top.none"))]
        lines: list[str] = []
        show_id = await steps.show_id(ask.event)
        state = await steps.rotation.state(show_id) if show_id else None
        if stats is not None and state is not None and not state.closed:
            tonight = await stats.top_songs(show_id=state.show_id, limit=TOP_SHOWN)
            lines += [steps.say("top.tonight"), *self._lines(tonight)] if tonight else [steps.say("top.tonight.none")]
        lines += [steps.say("top.all"), *self._lines(ever)]
        return [steps.tell(ask.event, "\n".join(lines))]

    def _lines(self, songs: list[SongCount]) -> list[str]:
        say = self._steps.say
        return [say("top.line", n=n, song=say.song(SongRef(s.song_id, s.title, s.artist)),
                    times=say("top.times.one") if s.count == 1 else say("top.times.many", count=s.count))
                for n, s in enumerate(songs, start=1)]
