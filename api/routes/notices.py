"""A show's reminders as stored: what was planned, for whom, and how it ended (sent, dropped, refused...)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from api.auth import AdminDep
from api.errors import AUTH_RESPONSES, ERROR_RESPONSES, ErrorEnvelope, not_found
from api.schemas import UtcTimestamp
from core.rotation import NotFound, RotationService
from storage.notices import SqlNoticeStore

router = APIRouter(
    prefix="/shows",
    tags=["reminders"],
    responses={**ERROR_RESPONSES, 404: {"model": ErrorEnvelope, "description": "No such show"}},
)


def _notices(request: Request) -> SqlNoticeStore:
    store: SqlNoticeStore = request.app.state.container.notices
    return store


def _rotation(request: Request) -> RotationService:
    service: RotationService = request.app.state.container.rotation
    return service


class NoticeOut(BaseModel):
    """One reminder: its kind, whom it concerns, when it was due and how it ended."""

    kind: Literal["up", "next", "heads_up", "soon", "no_show", "undelivered", "scan"] | str
    request_id: str | None
    singer: str | None
    song: str | None
    status: str
    due_at: UtcTimestamp
    settled_at: UtcTimestamp | None
    detail: str | None


class NoticeList(BaseModel):
    """Every reminder of a show, in the order they were planned."""

    items: list[NoticeOut]


@router.get("/{show_id}/notices", response_model=NoticeList, dependencies=[AdminDep], responses=AUTH_RESPONSES)
async def show_notices(
    show_id: uuid.UUID,
    rotation: Annotated[RotationService, Depends(_rotation)],
    store: Annotated[SqlNoticeStore, Depends(_notices)],
) -> NoticeList:
    """The show's reminders (KJ only: it says who was reached and who could not be)."""
    try:
        state = await rotation.state(str(show_id))
    except NotFound:
        raise not_found("show") from None
    items = []
    for row in await store.all(str(show_id)):
        request = state.requests.get(row["request_id"]) if row["request_id"] else None
        items.append(NoticeOut(
            kind=row["kind"],
            request_id=row["request_id"],
            singer=state.singers[request.singer_id].name if request else None,
            song=f"{request.song.title} — {request.song.artist}" if request else None,
            status=row["status"],
            due_at=row["due_at"],
            settled_at=row["settled_at"],
            detail=row["detail"],
        ))
    return NoticeList(items=items)
