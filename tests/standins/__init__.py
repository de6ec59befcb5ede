"""Loopback stand-ins for the chat platforms, so end-to-end tests drive the real client libraries.

- :class:`FakeTelegram` — Telegram Bot API (for python-telegram-bot): ``tests.standins.telegram_api``
- :class:`FakeSlack` — Slack Web API + response_url + signed inbound delivery (for slack_sdk / slack_bolt):
  ``tests.standins.slack_api``; request signing helpers live in ``tests.standins.signing``
- :func:`serve_asgi` — run an ASGI app (e.g. a Bolt handler mounted in Starlette/FastAPI) on a loopback port
"""

from tests.standins.asgi import serve_asgi
from tests.standins.slack_api import FakeSlack
from tests.standins.telegram_api import FakeTelegram

__all__ = ["FakeSlack", "FakeTelegram", "serve_asgi"]
