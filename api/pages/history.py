"""``/history/{code}``: what was sung at a show, by whom and when, for anyone with the join code; live while the
show runs (it follows the show's stream and reads its performances again on every change).

The code finds the open show that has it, else the show that had it last, so a night's history stays up
after its close until the code is given to another show. Names only, as on every public page. The route joins
the pages' router (``api.pages.routes.router``).
"""

from __future__ import annotations

import re
from urllib.parse import quote

from fastapi.responses import HTMLResponse

from api.deps import PerformancesDep, RotationDep
from api.pages.render import Markup, json_script, render
from api.pages.routes import router
from core.projections import Performance
from core.rotation import NotFound

_CODE = re.compile(r"^[A-Za-z0-9 -]{1,20}$")
_NO_STORE = {"Cache-Control": "no-store"}


def summary(sung: list[Performance]) -> str:
    """``12 songs by 8 singers`` (what the page's script writes too)."""
    if not sung:
        return "No songs yet"
    people = len({p.singer_name for p in sung})
    return (f"{len(sung)} song{'' if len(sung) == 1 else 's'} by {people} singer{'' if people == 1 else 's'}")


def _row(p: Performance) -> Markup:
    return render("history_row.html", at=p.started_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                  time=p.started_at.strftime("%H:%M UTC"), singer=p.singer_name, title=p.title, artist=p.artist)


@router.get("/history/{code}", response_class=HTMLResponse)
async def history_page(code: str, rotation: RotationDep, performances: PerformancesDep) -> HTMLResponse:
    """The songs sung at the show, the latest first, and who sings now."""
    show_id = await performances.show_with_code(code) if _CODE.match(code) else None
    try:
        state = await rotation.state(show_id) if show_id is not None else None
    except NotFound:
        state = None
    if state is None:
        return HTMLResponse(render("not_found.html", code=code[:40]), status_code=404, headers=_NO_STORE)
    sung = [p for p in await performances.of_show(state.show_id) if p.outcome == "sung"]
    now = state.requests[state.now] if state.now is not None and not state.closed else None
    hidden, shown = Markup("hidden"), Markup("")
    return HTMLResponse(render(
        "history.html",
        name=state.name,
        closed="yes" if state.closed else "no",
        summary=summary(sung),
        ended_hidden=shown if state.closed else hidden,
        now_hidden=shown if now else hidden,
        now_singer=state.singers[now.singer_id].name if now else "",
        now_song=f"{now.song.title} · {now.song.artist}" if now else "",
        rows=Markup("".join(_row(p) for p in reversed(sung))),
        empty_hidden=hidden if sung else shown,
        csv=f"/api/v1/shows/{quote(state.show_id)}/history?format=csv",
        boot=json_script("boot", {"show_id": state.show_id, "code": state.code}),
    ), headers=_NO_STORE)
