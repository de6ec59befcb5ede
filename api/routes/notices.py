"""A show's reminders as stored: what was planned, for whom, and how it ended (sent, dropped, refused...)."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from api.auth import AdminDep
from api.deps import NoticeLogDep
from api.errors import AUTH_RESPONSES, ERROR_RESPONSES, ErrorEnvelope, not_found
from api.schemas import UtcTimestamp
from core.reminders import NoticeEntry
from core.rotation import NotFound

router = APIRouter(
    prefix="/shows",
    tags=["reminders"],
    responses={**ERROR_RESPONSES, 404: {"model": ErrorEnvelope, "description": "No such show"}},
)


class NoticeOut(BaseModel):
    """One reminder: its kind, whom it concerns, when it was due and how it ended."""

    kind: Literal["up", "next", "heads_up", "soon", "removed", "closed", "no_show", "undelivered", "scan", "revise",
                  "farewell", "idle"] | str
    request_id: str | None
    singer: str | None
    song: str | None
    status: str
    due_at: UtcTimestamp
    settled_at: UtcTimestamp | None
    detail: str | None

    @classmethod
    def of(cls, entry: NoticeEntry) -> NoticeOut:
        song = entry.song
        return cls(
            kind=entry.kind, request_id=entry.request_id, singer=entry.singer,
            song=f"{song.title} — {song.artist}" if song else None, status=entry.status,
            due_at=entry.due_at, settled_at=entry.settled_at, detail=entry.detail,
        )


class NoticeList(BaseModel):
    """Every reminder of a show, in the order they were planned."""

    items: list[NoticeOut]


@router.get("/{show_id}/notices", response_model=NoticeList, dependencies=[AdminDep], responses=AUTH_RESPONSES)
async def show_notices(show_id: uuid.UUID, log: NoticeLogDep) -> NoticeList:
    """The show's reminders (KJ only: it says who was reached and who could not be)."""
    try:
        entries = await log.of_show(str(show_id))
    except NotFound:
        raise not_found("show") from None
    return NoticeList(items=[NoticeOut.of(entry) for entry in entries])
