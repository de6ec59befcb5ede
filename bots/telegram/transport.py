"""``AiohttpRequest``: python-telegram-bot's HTTP layer on aiohttp instead of httpx.

PTB sends through a ``BaseRequest``; it ships one on httpx and invites others ("can be implemented via
different asyncio HTTP libraries"). This one exists for speed. Measured on this project's dev machine
(2,000 ``sendMessage`` calls to the stand-in Bot API in another process, 8 at a time, uvloop): httpx took
1.6-1.9 ms of CPU per call, aiohttp 0.22-0.31 ms. Most of httpx's time went into its connection pool:
before and after every request, httpcore asks each idle connection whether its socket is readable, and
anyio builds a fresh dictionary of socket attributes (with a ``getpeername`` system call) for each
question. At a burst of 600 updates that was about a quarter of the service's CPU.

aiohttp is already one of the service's dependencies (slack-sdk's async client sends through it).

What PTB asks of a request class, and how it is met:
- form fields as PTB prepares them (``RequestData.json_parameters``: values already JSON-encoded), sent
  url-encoded, or as multipart when there are files, as ``HTTPXRequest`` does;
- the timeouts of each call: connect, read (between bytes of the answer) and pool (waiting for a free
  connection), with PTB's defaults where a call passes none. aiohttp has no write timeout: a slow upload is
  bounded by the read timeout, which counts from when the request was written;
- any failure to talk to the server as ``NetworkError``, a timeout as ``TimedOut``; the HTTP status and
  body as they came, for PTB to turn into its errors (``RetryAfter``, ``Forbidden``, ...);
- an HTTP(S) proxy from ``HTTPS_PROXY``/``HTTP_PROXY``/``ALL_PROXY`` (and ``NO_PROXY``) in the environment, as
  httpx reads them. Looked up once per host, not with aiohttp's ``trust_env``: that reads the environment
  and ``~/.netrc`` again in a worker thread for every request.
"""

from __future__ import annotations

import logging
import urllib.request
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import aiohttp
from telegram import Bot
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

if TYPE_CHECKING:
    from telegram._utils.types import ODVInput  # the type of BaseRequest.do_request's timeouts

__all__ = ["AiohttpRequest", "telegram_bot"]

logger = logging.getLogger(__name__)

SENDS_POOL = 32  # connections for sends (the dispatcher keeps fewer than this on their way at once)


def telegram_bot(token: str, api_url: str) -> Bot:
    """The ``telegram.Bot`` the service talks through: Bot API at ``api_url`` (``https://api.telegram.org`` or a
    stand-in), sends on a pool of their own, ``getUpdates`` on one connection of its own (a long poll holds it).
    Not initialized: the caller enters it (``async with``)."""
    api = api_url.rstrip("/")
    return Bot(
        token, base_url=f"{api}/bot", base_file_url=f"{api}/file/bot",
        request=AiohttpRequest(connection_pool_size=SENDS_POOL, pool_timeout=10.0),
        get_updates_request=AiohttpRequest(connection_pool_size=1),
    )


class AiohttpRequest(BaseRequest):
    """A ``BaseRequest`` for ``telegram.Bot`` on an ``aiohttp.ClientSession`` with up to ``connection_pool_size``
    connections. Timeouts in seconds, None for none; the defaults are ``HTTPXRequest``'s."""

    __slots__ = ("_connect_timeout", "_media_write_timeout", "_pool_size", "_pool_timeout", "_proxies",
                 "_read_timeout", "_session")

    def __init__(self, connection_pool_size: int = 256, *, read_timeout: float | None = 5.0,
                 connect_timeout: float | None = 5.0, pool_timeout: float | None = 1.0,
                 media_write_timeout: float | None = 20.0) -> None:
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[tuple[str, str], str | None] = {}  # (scheme, host) -> its proxy from the environment

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            # A session belongs to the loop it is made in: made here, not in __init__.
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data is not None and request_data.contains_files
        read = _given(read_timeout, self._read_timeout)
        if files:
            # Uploads may take longer than a reply: the longer of the read and the media write timeout.
            write = _given(write_timeout, self._media_write_timeout)
            read = None if read is None or write is None else max(read, write)
        connect = _given(connect_timeout, self._connect_timeout)
        pool = _given(pool_timeout, self._pool_timeout)
        timeout = aiohttp.ClientTimeout(
            total=None, sock_read=read, sock_connect=connect,
            # aiohttp's "connect" covers waiting for a free connection and opening one.
            connect=None if pool is None or connect is None else pool + connect,
        )
        try:
            async with session.request(method, url, data=_body(request_data), timeout=timeout,
                                       proxy=self._proxy_for(url)) as response:
                body = await response.read()
        except TimeoutError as error:  # aiohttp's own timeouts are TimeoutErrors too
            raise TimedOut from error
        except aiohttp.ClientError as error:
            # Like HTTPXRequest: the library's class name, since some of its errors say nothing else.
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error
        # The URL holds the bot token: the log's redaction (karaoke.redact) scrubs it, as it did httpx's lines.
        logger.debug("Bot API %s %s: HTTP %d", method, url, response.status)
        return response.status, body

    def _proxy_for(self, url: str) -> str | None:
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "")
        if key not in self._proxies:
            self._proxies[key] = _environment_proxy(*key)
        return self._proxies[key]


def _environment_proxy(scheme: str, host: str) -> str | None:
    """The proxy the environment names for ``scheme``://``host`` (``NO_PROXY`` honoured), or None."""
    if urllib.request.proxy_bypass(host):
        return None
    proxies = urllib.request.getproxies()
    return proxies.get(scheme) or proxies.get("all")


def _given(value: ODVInput[float], default: float | None) -> float | None:
    """A call's timeout, or ``default`` where the call passed none (PTB's documented check)."""
    return default if value is BaseRequest.DEFAULT_NONE else value  # type: ignore[return-value]


def _body(request_data: RequestData | None) -> Any:
    """Form fields url-encoded (a dict), or multipart with the files; None without parameters."""
    if request_data is None:
        return None
    fields = request_data.json_parameters
    if not request_data.contains_files:
        return fields or None
    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form
