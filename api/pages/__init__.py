"""The browser pages: the venue screen, the KJ dashboard, the singers' songbook and what was sung.

Server-rendered HTML with a small script and stylesheet each, served from ``/static`` (the content policy
allows no inline ones); no front-end build. They read and write only through the public API (``/api/v1``),
so the event log shows every KJ action.
"""

from api.pages import history
from api.pages.routes import router

__all__ = ["history", "router"]
