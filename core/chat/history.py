"""``/history``: what was sung so far tonight, short: how many songs, and the latest of them with who sang."""

from __future__ import annotations

from core.chat.routing import Asked, CommandSpec, Who
from core.chat.steps import Steps
from core.chat.vocabulary import Reply
from core.projections import PerformanceLog
from core.rotation import SongRef

# The latest songs listed; the count says how many there were in all.
SHOWN = 10


class HistoryCommands:
    """``/history`` for anyone taking part in a show (its room, or their current show)."""

    def __init__(self, steps: Steps, performances: PerformanceLog) -> None:
        """Read what was sung from ``performances`` (the Performances view)."""
        self._steps = steps
        self._performances = performances

    def commands(self) -> list[CommandSpec]:
        """This room's part of the command table."""
        return [CommandSpec("history", Who.SINGER, self.history)]

    async def history(self, ask: Asked) -> list[Reply]:
        """``/history``: the songs sung so far (in a closed show: that night's), the latest ``SHOWN`` of them."""
        steps, say = self._steps, self._steps.say
        state = await steps.rotation.state(ask.show)
        show = say.quoted(state.name)
        sung = [p for p in await self._performances.of_show(ask.show) if p.outcome == "sung"]
        if not sung:
            return [steps.tell(ask.event, say("history.none.closed" if state.closed else "history.none", show=show))]
        if state.closed:
            title = "history.title.closed.one" if len(sung) == 1 else "history.title.closed.many"
        else:
            title = "history.title.tonight.one" if len(sung) == 1 else "history.title.tonight.many"
        lines = [say(title, count=len(sung), show=show)]
        first = max(0, len(sung) - SHOWN)
        if first:
            lines.append(say("history.earlier", count=first))
        for n, p in enumerate(sung[first:], start=first + 1):
            song = SongRef(p.song_id, p.title, p.artist, p.duration)
            lines.append(say("history.line", n=n, entry=say.entry(p.singer_name, song)))
        return [steps.tell(ask.event, "\n".join(lines))]
