"""``/api/v1/people``: erasing a person on request (admin only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from api.auth import AdminDep
from api.deps import EraserDep
from api.errors import AUTH_RESPONSES, ERROR_RESPONSES, NOT_FOUND_RESPONSES, not_found

router = APIRouter(prefix="/people", tags=["people"])

Platform = Annotated[str, Path(pattern=r"^[a-z]{1,20}$", description="telegram, slack or console")]
# Any printable id a platform uses; control characters never are one (and PostgreSQL refuses NUL).
# One pattern holds the length too: schema tools generate from a pattern and a length together badly.
UserId = Annotated[str, Path(pattern=r"^[^\x00-\x1f\x7f]{1,200}$",
                              description="the person's id on that platform")]


@router.delete("/{platform}/{user_id}", status_code=204, dependencies=[AdminDep],
               responses={**ERROR_RESPONSES, **AUTH_RESPONSES, **NOT_FOUND_RESPONSES})
async def forget_person(platform: Platform, user_id: UserId, eraser: EraserDep) -> Response:
    """Forget a person everywhere: their waiting songs leave open queues; their names and platform ids
    leave the chat directory, deliveries, reminders and every show's event log (which keeps an anonymous
    singer, so history and counts stay). 404 when nothing is known about them."""
    if await eraser.forget(platform, user_id) is None:
        raise not_found("Person")
    return Response(status_code=204)
