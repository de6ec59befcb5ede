"""FakeSlack: a loopback stand-in for the Slack Web API, response_url endpoints and Slack's signed deliveries.

Usage::

    async with FakeSlack() as slack:
        client = AsyncWebClient(token=slack.token, base_url=slack.base_url)
        app = AsyncApp(client=client, signing_secret=slack.signing_secret)   # token comes from the client
        ...
        delivery = await slack.deliver(f"{app_url}/slack/events", "command", text="request Wonderwall")
        [post] = await slack.wait_for_posted("C0GENERAL")

Request bodies (slack_sdk 3.x AsyncWebClient): methods with blocks/attachments/views (chat.postMessage,
chat.postEphemeral, chat.update, views.open, ...) post ``application/json``; most others (auth.test,
conversations.open, ...) POST with their arguments in the *query string* and an empty body; a few
(users.info, users.list) use GET with a query string. The fake merges query string, form and JSON bodies.
"""

# The brief asks for explicit ``timeout=`` arguments on the wait helpers.
# ruff: noqa: ASYNC109
from __future__ import annotations

import copy
import hashlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from tests.standins import signing
from tests.standins._server import Fault, LoopbackServer
from tests.standins.telegram_api import max_in_window

DEFAULT_TOKEN = "xoxb-1111-2222-fakekaraoketoken"
DEFAULT_SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
RESPONSE_URL_MAX_USES = 5
# chat.postMessage: about 1 message a second per channel (Slack's documented limit).
POST_MESSAGE_PER_CHANNEL_PER_SECOND = 1
# Messages through the Web API overall in a minute: the cap the service keeps (core.delivery.limits.SLACK).
WEB_API_MESSAGES_PER_MINUTE = 50


class SlackApiFailure(Exception):
    """Raised inside a method handler to answer ``{"ok": false, "error": ...}`` (HTTP 200, like Slack)."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


@dataclass
class SlackCall:
    """One Web API call as the fake received it."""

    method: str
    params: dict[str, Any]
    token: str | None
    time: float  # time.monotonic()
    http_method: str = "POST"
    content_type: str = ""
    ok: bool = True
    status: int = 200
    response: dict[str, Any] | None = None
    error: str | None = None


@dataclass
class ResponsePost:
    """A POST the app made to a response_url handed out by :meth:`FakeSlack.response_url`."""

    url: str
    body: dict[str, Any]
    time: float


@dataclass
class Delivery:
    """What the app under test answered to a delivered (signed) request."""

    status: int
    text: str
    headers: dict[str, str]
    elapsed: float  # seconds; Slack gives up after 3 s
    response_url: str | None = None
    body: bytes = b""
    timestamp: int = 0  # the signed X-Slack-Request-Timestamp it was sent with

    def json(self) -> Any:
        return json.loads(self.text)


class FakeSlack(LoopbackServer):
    """Slack Web API stand-in on 127.0.0.1:<port 0>; see the module docstring."""

    def __init__(self, token: str = DEFAULT_TOKEN, *, signing_secret: str = DEFAULT_SIGNING_SECRET,
                 team_id: str = signing.DEFAULT_TEAM_ID, bot_user_id: str = signing.DEFAULT_BOT_USER_ID,
                 bot_id: str = signing.DEFAULT_BOT_ID) -> None:
        super().__init__()
        self.token = token
        self.signing_secret = signing_secret
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.calls: list[SlackCall] = []
        self.responses: list[ResponsePost] = []
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}  # (channel, ts) -> current message
        self.posted: list[dict[str, Any]] = []  # every chat.postMessage message, in order (with "channel")
        self.ephemerals: list[dict[str, Any]] = []
        self.views: list[dict[str, Any]] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.missing_channels: set[str] = set()  # channel ids that answer channel_not_found
        self._ts = itertools.count(1)
        self._response_ids = itertools.count(1)
        self._response_uses: dict[str, int] = {}
        self._expired: set[str] = set()
        self._response_faults: dict[str, tuple[int, str]] = {}
        self._view_ids = itertools.count(1)

    # -- URLs ------------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """Pass to ``AsyncWebClient(base_url=...)``; ends with ``/api/`` like ``https://slack.com/api/``."""
        return f"{self.origin}/api/"

    def response_url(self) -> str:
        """A fresh response_url on the fake (usable 5 times, like Slack's)."""
        url = f"{self.origin}/response/{next(self._response_ids)}"
        self._response_uses[url] = 0
        return url

    def expire_response_url(self, url: str) -> None:
        """From now on ``url`` answers like one older than 30 minutes (404 ``expired_url``)."""
        self._expired.add(url)

    def fail_response_url_next(self, url: str, status: int = 500, text: str = "internal_error") -> None:
        """The next post to ``url`` is answered ``status`` with ``text`` and not shown (nor counted as a use)."""
        self._response_faults[url] = (status, text)

    def _make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle)
        app.router.add_post("/response/{id}", self._handle_response)
        return app

    # -- directory -------------------------------------------------------------------------------
    def add_user(self, user_id: str, name: str, *, real_name: str | None = None, display_name: str = "",
                 tz: str = "Europe/London", is_admin: bool = False, is_bot: bool = False) -> dict[str, Any]:
        # As Slack has it: ``display_name`` is empty unless the person set one; then the real name is shown.
        user = {"id": user_id, "team_id": self.team_id, "name": name, "deleted": False, "real_name": real_name or name,
                "tz": tz, "tz_offset": 0, "is_admin": is_admin, "is_owner": False, "is_bot": is_bot,
                "profile": {"real_name": real_name or name, "display_name": display_name}}
        self.users[user_id] = user
        return copy.deepcopy(user)

    @staticmethod
    def dm_channel_for(user_id: str) -> str:
        """The D… channel id conversations.open returns for ``user_id`` (stable)."""
        return "D" + hashlib.sha1(user_id.encode()).hexdigest()[:10].upper()

    # -- faults ----------------------------------------------------------------------------------
    def fail_next(self, method: str = "*", error: str = "channel_not_found", *, status: int = 200,
                  retry_after: int | None = None, network_error: bool = False, times: int = 1,
                  channel: str | None = None) -> None:
        """Make the next ``times`` calls of ``method`` fail: ``{"ok": false, "error": error}`` (HTTP 200 like Slack),
        or with ``status=429`` a rate limit (HTTP 429, ``Retry-After``), or ``network_error=True`` (connection
        closed without an answer). ``channel`` restricts the fault to calls for that channel."""
        if network_error:
            fault = Fault(method=method, network_error=True, times=times)
        elif status == 429:
            retry_after = 1 if retry_after is None else retry_after
            fault = Fault(method=method, status=429, body={"ok": False, "error": "ratelimited"},
                          headers={"Retry-After": str(retry_after)}, times=times)
        else:
            fault = Fault(method=method, status=status, body={"ok": False, "error": error}, times=times)
        if channel is not None:
            fault.match = lambda p: p.get("channel") == channel
        self._add_fault(fault)

    def rate_limit_next(self, method: str = "*", retry_after: int = 1, times: int = 1) -> None:
        self.fail_next(method, status=429, retry_after=retry_after, times=times)

    def drop_connection_next(self, method: str = "*", times: int = 1) -> None:
        self.fail_next(method, network_error=True, times=times)

    # -- what the app did ------------------------------------------------------------------------
    def calls_to(self, method: str) -> list[SlackCall]:
        return [c for c in self.calls if c.method == method]

    def posted_to(self, channel: str) -> list[dict[str, Any]]:
        return [copy.deepcopy(m) for m in self.posted if m["channel"] == channel]

    async def wait_for_posted(self, channel: str, count: int = 1, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Wait until ``count`` chat.postMessage messages reached ``channel``; returns all of them."""
        await self._wait_until(lambda: len(self.posted_to(channel)) >= count, timeout,
                               f"{count} message(s) posted to {channel}")
        return self.posted_to(channel)

    async def wait_for_call(self, method: str, count: int = 1, timeout: float = 5.0,
                            where: Callable[[SlackCall], bool] | None = None) -> list[SlackCall]:
        def matching() -> list[SlackCall]:
            return [c for c in self.calls if c.method == method and (where is None or where(c))]

        await self._wait_until(lambda: len(matching()) >= count, timeout, f"{count} {method} call(s)")
        return matching()

    def responses_to(self, url: str | None = None) -> list[dict[str, Any]]:
        return [copy.deepcopy(r.body) for r in self.responses if url is None or r.url == url]

    async def wait_for_response(self, url: str | None = None, count: int = 1,
                                timeout: float = 5.0) -> list[dict[str, Any]]:
        """Wait until ``count`` posts reached ``url`` (any response_url when None); returns their JSON bodies."""
        await self._wait_until(lambda: len(self.responses_to(url)) >= count, timeout,
                               f"{count} response_url post(s) to {url or 'any response_url'}")
        return self.responses_to(url)

    def rate_violations(self) -> list[str]:
        """Human-readable breaches of the message limits, from the calls Slack took: chat.postMessage at most
        1 a second per channel, and at most 50 Web API messages (postMessage, postEphemeral) in any minute.
        Posts to response_urls are not Web API calls and count for neither."""
        messages = [c for c in self.calls if c.ok and c.method in ("chat.postMessage", "chat.postEphemeral")]
        problems = []
        per_channel: dict[str, list[float]] = {}
        for call in messages:
            if call.method == "chat.postMessage":
                per_channel.setdefault(str(call.params.get("channel")), []).append(call.time)
        for channel, times in per_channel.items():
            n = max_in_window(times, 1.0)
            if n > POST_MESSAGE_PER_CHANNEL_PER_SECOND:
                problems.append(f"channel {channel}: {n} chat.postMessage within 1 s "
                                f"(limit {POST_MESSAGE_PER_CHANNEL_PER_SECOND})")
        n = max_in_window([c.time for c in messages], 60.0)
        if n > WEB_API_MESSAGES_PER_MINUTE:
            problems.append(f"overall: {n} Web API messages within 60 s (limit {WEB_API_MESSAGES_PER_MINUTE})")
        return problems

    # -- inbound: Slack -> app -------------------------------------------------------------------
    async def deliver(self, app_url: str, kind: str = "command", *, bad_signature: bool = False,
                      stale: bool = False, retry_num: int | None = None, retry_reason: str = "http_timeout",
                      body: bytes | None = None, content_type: str | None = None, timeout: float = 10.0,
                      **fields: Any) -> Delivery:
        """POST a signed request to the app like Slack does and return its answer.

        ``kind``: ``"command"`` (fields → :func:`signing.slash_command_body`), ``"block_actions"`` (fields →
        :func:`signing.block_actions_payload`), ``"event"`` (``event=<dict>`` or ``text=...`` plus envelope fields →
        :func:`signing.event_callback`), ``"url_verification"``, or ``"raw"`` with ``body``/``content_type``.
        Commands and interactions get a fresh response_url on this fake unless one is given (see
        ``Delivery.response_url``). ``bad_signature`` signs with the wrong secret; ``stale`` dates the request
        10 minutes back; ``retry_num`` adds ``X-Slack-Retry-Num``/``X-Slack-Retry-Reason`` (a redelivery).
        """
        response_url: str | None = None
        if kind == "command":
            response_url = fields.setdefault("response_url", self.response_url())
            fields.setdefault("team_id", self.team_id)
            body, content_type = signing.slash_command_body(**fields), "application/x-www-form-urlencoded"
        elif kind == "block_actions":
            response_url = fields.setdefault("response_url", self.response_url())
            fields.setdefault("team_id", self.team_id)
            payload = signing.block_actions_payload(**fields)
            body, content_type = signing.interactivity_body(payload), "application/x-www-form-urlencoded"
        elif kind == "event":
            event = fields.pop("event", None)
            if event is None:
                event = signing.message_event(fields.pop("text", ""), **{
                    k: fields.pop(k) for k in ("user", "channel", "channel_type", "ts", "event_type") if k in fields})
            fields.setdefault("team_id", self.team_id)
            fields.setdefault("bot_user_id", self.bot_user_id)
            body, content_type = json.dumps(signing.event_callback(event, **fields)).encode(), "application/json"
        elif kind == "url_verification":
            body, content_type = json.dumps(signing.url_verification(**fields)).encode(), "application/json"
        elif kind == "raw":
            if body is None:
                raise ValueError("kind='raw' needs body=")
            content_type = content_type or "application/json"
        else:
            raise ValueError(f"unknown kind {kind!r}")
        timestamp = int(time.time()) - (600 if stale else 0)
        secret = self.signing_secret + ("-wrong" if bad_signature else "")
        headers = {"Content-Type": content_type, "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
                   **signing.sign(secret, body, timestamp)}
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason
        started = time.monotonic()
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session, \
                session.post(app_url, data=body, headers=headers) as response:
            text = await response.text()
            return Delivery(status=response.status, text=text, headers=dict(response.headers),
                            elapsed=time.monotonic() - started, response_url=response_url, body=body,
                            timestamp=timestamp)

    # -- HTTP plumbing ---------------------------------------------------------------------------
    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if not request.body_exists:
            return params
        if request.content_type == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                params.update(body)
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    params[key] = {"filename": value.filename, "size": len(value.file.read())}
                else:
                    params[key] = value
        return params

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        params = await self._read_params(request)
        auth = request.headers.get("Authorization", "")
        token = auth[len("Bearer "):] if auth.startswith("Bearer ") else params.pop("token", None)
        call = SlackCall(method=method, params=params, token=token, time=time.monotonic(),
                         http_method=request.method, content_type=request.content_type)
        self.calls.append(call)
        try:
            if not token:
                raise SlackApiFailure("not_authed")
            if token != self.token:
                raise SlackApiFailure("invalid_auth")
            fault = self._take_fault(method, params)
            if fault is not None:
                call.ok, call.status = False, fault.status
                if fault.network_error:
                    call.error = "network error (connection dropped)"
                    self._notify()
                    return self._drop_connection(request)
                assert fault.body is not None
                call.error, call.response = fault.body["error"], fault.body
                self._notify()
                return web.json_response(fault.body, status=fault.status or 200, headers=fault.headers)
            handler = _HANDLERS.get(method)
            if handler is None:
                raise SlackApiFailure("unknown_method")
            result = handler(self, params)
        except SlackApiFailure as failure:
            body = {"ok": False, "error": failure.error}
            call.ok, call.error, call.response = False, failure.error, body
            self._notify()
            return web.json_response(body)
        response = {"ok": True, **result}
        call.response = response
        self._notify()
        return web.json_response(response)

    async def _handle_response(self, request: web.Request) -> web.StreamResponse:
        url = f"{self.origin}/response/{request.match_info['id']}"
        if url not in self._response_uses:
            return web.Response(status=404, text="no_service")
        if url in self._expired:
            return web.Response(status=404, text="expired_url")
        if url in self._response_faults:
            status, text = self._response_faults.pop(url)
            return web.Response(status=status, text=text)
        self._response_uses[url] += 1
        if self._response_uses[url] > RESPONSE_URL_MAX_USES:
            return web.Response(status=404, text="used_url")
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            return web.Response(status=400, text="invalid_payload")
        self.responses.append(ResponsePost(url=url, body=body, time=time.monotonic()))
        self._notify()
        return web.Response(text="ok")

    # -- method implementations ------------------------------------------------------------------
    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    def _channel(self, params: dict[str, Any]) -> str:
        channel = params.get("channel")
        if not channel or channel in self.missing_channels:
            raise SlackApiFailure("channel_not_found")
        if str(channel).startswith(("U", "W")):  # posting to a user id lands in the DM with the app
            return self.dm_channel_for(str(channel))
        return str(channel)

    @staticmethod
    def _json_field(params: dict[str, Any], key: str) -> Any:
        value = params.get(key)
        if isinstance(value, str) and value[:1] in "[{":
            try:
                return json.loads(value)
            except ValueError as error:
                raise SlackApiFailure(f"invalid_{key}") from error
        return value

    def _message_content(self, params: dict[str, Any]) -> dict[str, Any]:
        text = params.get("text")
        blocks = self._json_field(params, "blocks")
        attachments = self._json_field(params, "attachments")
        if not text and not blocks and not attachments:
            raise SlackApiFailure("no_text")
        if blocks is not None and (not isinstance(blocks, list) or len(blocks) > 50):
            raise SlackApiFailure("invalid_blocks")
        content: dict[str, Any] = {"text": text or ""}
        if blocks:
            content["blocks"] = blocks
        if attachments:
            content["attachments"] = attachments
        return content

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": "https://karaoke-test.slack.com/", "team": "Karaoke Test", "user": "karaokebot",
                "team_id": self.team_id, "user_id": self.bot_user_id, "bot_id": self.bot_id,
                "is_enterprise_install": False}

    def _post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params)
        content = self._message_content(params)
        ts = self._next_ts()
        message = {"type": "message", "user": self.bot_user_id, "bot_id": self.bot_id, "team": self.team_id,
                   "ts": ts, **content}
        if params.get("thread_ts"):
            message["thread_ts"] = str(params["thread_ts"])
        self.messages[(channel, ts)] = message
        self.posted.append({**copy.deepcopy(message), "channel": channel})
        return {"channel": channel, "ts": ts, "message": copy.deepcopy(message)}

    def _post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params)
        if not params.get("user"):
            raise SlackApiFailure("user_not_found")
        content = self._message_content(params)
        ts = self._next_ts()
        self.ephemerals.append({"channel": channel, "user": params["user"], "ts": ts, **content})
        return {"message_ts": ts}

    def _update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params)
        ts = str(params.get("ts") or "")
        message = self.messages.get((channel, ts))
        if message is None:
            raise SlackApiFailure("message_not_found")
        if message.get("user") != self.bot_user_id:
            raise SlackApiFailure("cant_update_message")
        content = self._message_content(params)
        message.update(content)
        if "blocks" not in content and params.get("blocks") is not None:
            message.pop("blocks", None)  # blocks=[] clears them
        message["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        return {"channel": channel, "ts": ts, "text": message["text"], "message": copy.deepcopy(message)}

    def _delete(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params)
        ts = str(params.get("ts") or "")
        if self.messages.pop((channel, ts), None) is None:
            raise SlackApiFailure("message_not_found")
        return {"channel": channel, "ts": ts}

    def _conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        users = params.get("users")
        if params.get("channel"):
            return {"channel": {"id": params["channel"]}, "no_op": True, "already_open": True}
        if not users:
            raise SlackApiFailure("users_list_not_supplied")
        ids = [u.strip() for u in str(users).split(",") if u.strip()]
        if len(ids) != 1:
            channel_id = "G" + hashlib.sha1(",".join(sorted(ids)).encode()).hexdigest()[:10].upper()
        else:
            channel_id = self.dm_channel_for(ids[0])
        return {"channel": {"id": channel_id}, "no_op": False, "already_open": False}

    def _conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params)
        return {"channel": {"id": channel, "name": channel.lower(), "is_channel": channel.startswith("C"),
                            "is_im": channel.startswith("D"), "is_private": channel.startswith(("G", "D"))}}

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(params.get("user") or ""))
        if user is None:
            raise SlackApiFailure("user_not_found")
        return {"user": copy.deepcopy(user)}

    def _views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("trigger_id") and not params.get("interactivity_pointer"):
            raise SlackApiFailure("invalid_arguments")
        view = self._json_field(params, "view")
        if not isinstance(view, dict) or view.get("type") not in ("modal", "home"):
            raise SlackApiFailure("invalid_arguments")
        stored = {**view, "id": f"V{next(self._view_ids):010d}", "team_id": self.team_id, "hash": self._next_ts(),
                  "app_id": signing.DEFAULT_APP_ID, "bot_id": self.bot_id}
        self.views.append(stored)
        return {"view": copy.deepcopy(stored)}

    def _views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("user_id"):
            raise SlackApiFailure("invalid_arguments")
        view = self._json_field(params, "view")
        if not isinstance(view, dict) or view.get("type") != "home":
            raise SlackApiFailure("invalid_arguments")
        stored = {**view, "id": f"V{next(self._view_ids):010d}", "team_id": self.team_id, "hash": self._next_ts(),
                  "app_id": signing.DEFAULT_APP_ID, "bot_id": self.bot_id, "user_id": params["user_id"]}
        self.views.append(stored)
        return {"view": copy.deepcopy(stored)}

    def _ok(self, params: dict[str, Any]) -> dict[str, Any]:
        return {}


_HANDLERS: dict[str, Callable[[FakeSlack, dict[str, Any]], dict[str, Any]]] = {
    "auth.test": FakeSlack._auth_test,
    "chat.postMessage": FakeSlack._post_message,
    "chat.postEphemeral": FakeSlack._post_ephemeral,
    "chat.update": FakeSlack._update,
    "chat.delete": FakeSlack._delete,
    "conversations.open": FakeSlack._conversations_open,
    "conversations.info": FakeSlack._conversations_info,
    "users.info": FakeSlack._users_info,
    "views.open": FakeSlack._views_open,
    "views.push": FakeSlack._views_open,
    "views.publish": FakeSlack._views_publish,
    "reactions.add": FakeSlack._ok,
    "api.test": FakeSlack._ok,
}
