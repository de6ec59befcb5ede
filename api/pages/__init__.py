"""The browser pages: the venue screen, the KJ dashboard, the singers' songbook and what was sung.

Server-rendered HTML with a small script and stylesheet each, served from ``/static`` (the content policy
allows no inline ones); no front-end build. They read and write only through the public API (``/api/v1``),
so the event log shows every KJ action.
"""

from fastapi import APIRouter

from api.pages import history, routes

router = APIRouter(include_in_schema=False)
router.include_router(routes.router)
router.include_router(history.router)

__all__ = ["router"]
