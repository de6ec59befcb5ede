"""Reading a show's reminders back: each notice with the singer and song it was about, however it ended."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.reminders.ports import NoticeStore
from core.rotation import RotationService, SongRef


@dataclass(frozen=True, slots=True)
class NoticeEntry:
    """One reminder of a show: its kind, whom and what it concerned, when it was due and how it ended."""

    kind: str
    request_id: str | None
    singer: str | None
    song: SongRef | None
    status: str
    due_at: datetime
    settled_at: datetime | None
    detail: str | None


class NoticeLog:
    """The reminders of a show as KJs read them back."""

    def __init__(self, notices: NoticeStore, rotation: RotationService) -> None:
        """Read ``notices`` and name their singers and songs from the ``rotation``."""
        self._notices = notices
        self._rotation = rotation

    async def of_show(self, show_id: str) -> list[NoticeEntry]:
        """Every reminder of the show in the order planned; raises ``NotFound`` for an unknown show."""
        state = await self._rotation.state(show_id)
        entries = []
        for stored in await self._notices.of_show(show_id):
            request = state.requests.get(stored.request_id) if stored.request_id else None
            entries.append(NoticeEntry(
                kind=stored.kind,
                request_id=stored.request_id,
                singer=state.singers[request.singer_id].name if request else None,
                song=request.song if request else None,
                status=stored.status,
                due_at=stored.due_at,
                settled_at=stored.settled_at,
                detail=stored.detail,
            ))
        return entries
