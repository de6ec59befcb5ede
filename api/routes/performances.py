"""A show's performances, from the Performances view: ``GET /shows/{id}/performances`` (JSON, public) and the CSV
the history answers with ``?format=csv``.

Public, so names only: the singer's name as they were shown then, the song, when, how it ended. No platform
ids, no person or singer ids. The CSV is safe to open in a spreadsheet: a cell that a spreadsheet would run
as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is prefixed with ``'``.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel

from api.deps import PerformancesDep, RotationDep
from api.errors import ERROR_RESPONSES, NOT_FOUND_RESPONSES, not_found
from api.schemas import UtcTimestamp
from core.projections import Performance
from core.rotation import NotFound, RotationService, ShowState

router = APIRouter(prefix="/shows", tags=["shows"], responses={**ERROR_RESPONSES, **NOT_FOUND_RESPONSES})

CSV_COLUMNS = ("n", "singer", "title", "artist", "outcome", "requested_utc", "started_utc", "finished_utc",
               "wait_seconds")
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class PerformedSinger(BaseModel):
    name: str


class PerformedSong(BaseModel):
    title: str
    artist: str
    duration: int | None


class PerformanceOut(BaseModel):
    n: int
    singer: PerformedSinger
    song: PerformedSong
    outcome: Literal["sung", "skipped", "voided", "no-show", "unfinished"]
    requested_at: UtcTimestamp
    started_at: UtcTimestamp
    finished_at: UtcTimestamp
    wait_seconds: int


class PerformancesOut(BaseModel):
    show_id: str
    name: str
    code: str
    closed: bool
    items: list[PerformanceOut]


async def show_state(rotation: RotationService, show_id: uuid.UUID) -> ShowState:
    """The show, or 404."""
    try:
        return await rotation.state(str(show_id))
    except NotFound:
        raise not_found("Show") from None


@router.get("/{show_id}/performances", response_model=PerformancesOut)
async def show_performances(
    show_id: uuid.UUID, rotation: RotationDep, performances: PerformancesDep
) -> PerformancesOut:
    """Every turn that ended, in order: sung, skipped (sat out), no-show (passed over), voided (``/skip now``),
    unfinished (at the mic when the show closed); by name only."""
    state = await show_state(rotation, show_id)
    rows = await performances.of_show(state.show_id)
    return PerformancesOut(
        show_id=state.show_id, name=state.name, code=state.code, closed=state.closed,
        items=[PerformanceOut(
            n=p.ordinal, singer=PerformedSinger(name=p.singer_name),
            song=PerformedSong(title=p.title, artist=p.artist, duration=p.duration), outcome=p.outcome,
            requested_at=p.requested_at, started_at=p.started_at, finished_at=p.finished_at,
            wait_seconds=p.wait_seconds,
        ) for p in rows],
    )


def cell(value: object) -> str:
    """One CSV cell as text, with a leading ``'`` where a spreadsheet would take the text for a formula."""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _utc(moment: datetime) -> str:
    # The form spreadsheets read as a date and time; the header says it is UTC.
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def performances_csv(rows: Sequence[Performance]) -> str:
    """A header row, then one row per performance (names only), for a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for p in rows:
        writer.writerow([cell(v) for v in (
            p.ordinal, p.singer_name, p.title, p.artist, p.outcome, _utc(p.requested_at), _utc(p.started_at),
            _utc(p.finished_at), p.wait_seconds)])
    return out.getvalue()


def csv_response(state: ShowState, rows: Sequence[Performance]) -> Response:
    """The CSV as a download named after the show's join code and opening day."""
    opened = f"-{state.opened_at:%Y-%m-%d}" if state.opened_at else ""
    name = f"history-{state.code}{opened}.csv"
    # A BOM first: spreadsheet programs then read the names as UTF-8 (Zoë, 李小龍), not as their local code page.
    return Response("\ufeff" + performances_csv(rows), media_type=CSV_MEDIA_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})
