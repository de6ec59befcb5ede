"""FakeTelegram: a loopback stand-in for the Telegram Bot API, for driving the real python-telegram-bot.

Usage::

    async with FakeTelegram() as tg:
        app = Application.builder().token(tg.token).base_url(tg.base_url).base_file_url(tg.base_file_url).build()
        alice = tg.user(1001, "Alice", "alice")
        tg.push_message(None, alice, "/start")          # private chat with Alice
        [reply] = await tg.wait_for_sent(alice["id"])

URLs: PTB builds ``f"{base_url}{token}/{method}"`` when ``base_url`` has no ``{token}`` placeholder, so
``tg.base_url`` is ``http://127.0.0.1:<port>/bot`` (exactly like the default ``https://api.telegram.org/bot``).

Request bodies: PTB v22 (HTTPXRequest) posts every method as ``application/x-www-form-urlencoded`` where each
value is JSON-encoded except plain strings (``chat_id=42``, ``text=hi``, ``reply_markup={"inline_keyboard":...}``);
uploads go as ``multipart/form-data``.  JSON bodies and query strings are accepted too.
"""

# The brief asks for explicit ``timeout=`` arguments on the wait helpers.
# ruff: noqa: ASYNC109
from __future__ import annotations

import copy
import itertools
import json
import math
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from tests.standins._server import Fault, LoopbackServer

DEFAULT_TOKEN = "123456789:AAF-fake-token-for-tests"

# Parameters that Telegram treats as plain strings: never JSON-decode these (``text=123`` stays "123").
_STRING_PARAMS = frozenset({
    "text", "caption", "callback_query_id", "url", "secret_token", "parse_mode", "inline_message_id",
    "query", "description", "short_description", "name", "title", "ip_address", "language_code",
    "business_connection_id", "message_effect_id", "emoji", "custom_title", "result_id", "switch_pm_text",
    "switch_pm_parameter", "next_offset", "action", "file_id",
})

_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: chat not found",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    500: "Internal Server Error",
    502: "Bad Gateway",
}

_NOT_MODIFIED = ("Bad Request: message is not modified: specified new message content and reply markup are "
                 "exactly the same as a current content and reply markup of the message")

# Methods whose successful calls count towards Telegram's flood limits.
_COUNTED_PREFIXES = ("send", "edit", "copy", "forward")


class TelegramApiError(Exception):
    """Raised inside a method handler to answer ``{"ok": false, ...}``."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


@dataclass
class Call:
    """One Bot API call as the fake received it (params already decoded to Python values)."""

    method: str
    params: dict[str, Any]
    time: float  # time.monotonic() at arrival
    wall: float  # time.time() at arrival
    ok: bool = True
    status: int = 200
    result: Any = None
    error: str | None = None
    content_type: str = ""


@dataclass
class _Limits:
    per_chat_per_second: int = 1
    per_group_per_minute: int = 20
    global_per_second: int = 30


@dataclass
class _State:
    pending: list[dict[str, Any]] = field(default_factory=list)
    redelivered: list[tuple[dict[str, Any], bool]] = field(default_factory=list)  # (update, served)
    confirmed: dict[int, dict[str, Any]] = field(default_factory=dict)


def _coerce(name: str, value: str) -> Any:
    if name in _STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _bot_command_entities(text: str) -> list[dict[str, Any]]:
    """Entities Telegram would attach: bot_command at offset 0, plus @mentions, hashtags and URLs."""
    entities: list[dict[str, Any]] = []
    match = re.match(r"/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]{3,32})?", text)
    if match:
        entities.append({"type": "bot_command", "offset": 0, "length": _utf16_len(match.group(0))})
    for m in re.finditer(r"(?<![\w/])@[A-Za-z0-9_]{5,32}", text):
        if match and m.start() < match.end():
            continue
        entities.append({"type": "mention", "offset": _utf16_len(text[: m.start()]), "length": _utf16_len(m.group(0))})
    for m in re.finditer(r"https?://\S+", text):
        entities.append({"type": "url", "offset": _utf16_len(text[: m.start()]), "length": _utf16_len(m.group(0))})
    entities.sort(key=lambda e: e["offset"])
    return entities


def _utf16_len(text: str) -> int:
    """Telegram measures entity offsets in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def max_in_window(times: Iterable[float], window: float) -> int:
    """The largest number of timestamps inside any half-open window ``[t, t + window)``."""
    ordered = sorted(times)
    best = 0
    start = 0
    for end, t in enumerate(ordered):
        while ordered[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


class FakeTelegram(LoopbackServer):
    """A Telegram Bot API stand-in on 127.0.0.1:<port 0>; see the module docstring."""

    def __init__(self, token: str = DEFAULT_TOKEN, *, bot_username: str = "karaoke_test_bot",
                 bot_first_name: str = "Karaoke Bot", enforce_rate_limits: bool = False,
                 first_update_id: int = 700_000_001) -> None:
        """``first_update_id``: where update ids start (a later stand-in on the same database starts beyond
        an earlier one's, or the service takes its updates for repeats)."""
        super().__init__()
        self.token = token
        bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 123456789
        self.bot_user: dict[str, Any] = {"id": bot_id, "is_bot": True, "first_name": bot_first_name,
                                         "username": bot_username}
        self.enforce_rate_limits = enforce_rate_limits
        self.limits = _Limits()
        self.calls: list[Call] = []  # every call, getUpdates included
        self.callback_answers: list[dict[str, Any]] = []
        self.send_times: dict[int | str, list[float]] = {}  # chat id -> monotonic times of counted calls
        self.messages: dict[tuple[int | str, int], dict[str, Any]] = {}  # current state of every message
        self.sent_messages_by_chat: dict[int | str, list[dict[str, Any]]] = {}  # bot messages, as returned
        self.deleted: list[tuple[int | str, int]] = []
        self.webhook: dict[str, Any] = {"url": ""}
        self.commands: dict[str, list[dict[str, Any]]] = {}  # json(scope)+"|"+language_code -> commands
        self.last_offset: int | None = None  # the most recent getUpdates offset the client sent
        self.dropped_updates: list[dict[str, Any]] = []  # dropped by drop_pending_updates
        self._state = _State()
        self._update_ids = itertools.count(first_update_id)
        self._callback_ids = itertools.count(4_200_000_000_000_001)
        self._next_message_id: dict[int | str, int] = {}
        self._chats: dict[int | str, dict[str, Any]] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._blocked: set[int] = set()
        self._admins: dict[int | str, set[int]] = {}
        self._open_callbacks: dict[str, dict[str, Any]] = {}
        self._poll_generation = 0

    # -- URLs ------------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """Pass to ``ApplicationBuilder.base_url`` / ``Bot(base_url=...)``: PTB appends the token."""
        return f"{self.origin}/bot"

    @property
    def base_file_url(self) -> str:
        """Pass to ``ApplicationBuilder.base_file_url`` / ``Bot(base_file_url=...)``."""
        return f"{self.origin}/file/bot"

    @property
    def api_url(self) -> str:
        """``{origin}/bot{token}``: append ``/{method}`` for raw calls."""
        return f"{self.base_url}{self.token}"

    def _make_app(self) -> web.Application:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("*", "/file/bot{token}/{path:.*}", self._handle_file)
        return app

    # -- people and chats ------------------------------------------------------------------------
    def user(self, id: int, first_name: str = "Test", username: str | None = None, *,
             language_code: str | None = "en", last_name: str | None = None) -> dict[str, Any]:
        """Register (or replace) a human user and return its User object."""
        user: dict[str, Any] = {"id": id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        self._users[id] = user
        return dict(user)

    def private_chat(self, user: dict[str, Any] | int) -> dict[str, Any]:
        """The private chat between the bot and ``user`` (chat id == user id)."""
        u = self._users[user] if isinstance(user, int) else user
        chat: dict[str, Any] = {"id": u["id"], "type": "private", "first_name": u["first_name"]}
        if "username" in u:
            chat["username"] = u["username"]
        self._chats[u["id"]] = chat
        return dict(chat)

    def group(self, id: int = -1001234567890, title: str = "Karaoke Night", *, type: str = "supergroup",
              username: str | None = None) -> dict[str, Any]:
        """Register a group/supergroup chat (ids are negative; supergroups start with -100)."""
        chat: dict[str, Any] = {"id": id, "type": type, "title": title}
        if username:
            chat["username"] = username
        if type == "group":
            chat["all_members_are_administrators"] = False
        self._chats[id] = chat
        return dict(chat)

    def block(self, user: dict[str, Any] | int) -> None:
        """The user blocked the bot: sends to their private chat answer 403 Forbidden."""
        self._blocked.add(user if isinstance(user, int) else user["id"])

    def unblock(self, user: dict[str, Any] | int) -> None:
        self._blocked.discard(user if isinstance(user, int) else user["id"])

    def set_admin(self, chat: dict[str, Any] | int, user: dict[str, Any] | int) -> None:
        """Make ``user`` an administrator of ``chat`` (seen by getChatMember/getChatAdministrators)."""
        chat_id = chat if isinstance(chat, int) else chat["id"]
        self._admins.setdefault(chat_id, set()).add(user if isinstance(user, int) else user["id"])

    def _chat_for(self, chat: dict[str, Any] | int | None, user: dict[str, Any]) -> dict[str, Any]:
        if chat is None:
            return self.private_chat(user)
        if isinstance(chat, int):
            if chat not in self._chats:
                raise KeyError(f"chat {chat} is not registered; use tg.group(...) or tg.private_chat(...)")
            return dict(self._chats[chat])
        self._chats.setdefault(chat["id"], dict(chat))
        return dict(chat)

    def _user_for(self, user: dict[str, Any] | int) -> dict[str, Any]:
        if isinstance(user, int):
            return dict(self._users[user])
        self._users.setdefault(user["id"], dict(user))
        return dict(user)

    def _new_message_id(self, chat_id: int | str) -> int:
        value = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = value + 1
        return value

    # -- inbound updates (what users do) ---------------------------------------------------------
    def push_raw(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an Update as-is (an ``update_id`` is assigned when missing); returns it."""
        update = copy.deepcopy(update)
        if "update_id" not in update:
            update["update_id"] = next(self._update_ids)
        with self._lock:
            self._state.pending.append(update)
            self._state.pending.sort(key=lambda u: u["update_id"])
        self._notify()
        return update

    def make_message(self, chat: dict[str, Any] | int | None, user: dict[str, Any] | int, text: str, *,
                     reply_to_message_id: int | None = None,
                     entities: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """Build (and store) a Message a user sends, without queueing an update."""
        u = self._user_for(user)
        c = self._chat_for(chat, u)
        message: dict[str, Any] = {"message_id": self._new_message_id(c["id"]), "from": u, "chat": c,
                                   "date": int(time.time()), "text": text}
        ents = _bot_command_entities(text) if entities is None else entities
        if ents:
            message["entities"] = ents
        if reply_to_message_id is not None:
            replied = self.messages.get((c["id"], reply_to_message_id))
            if replied is not None:
                message["reply_to_message"] = copy.deepcopy(replied)
        self.messages[(c["id"], message["message_id"])] = message
        return copy.deepcopy(message)

    def push_message(self, chat: dict[str, Any] | int | None, user: dict[str, Any] | int, text: str, *,
                     reply_to_message_id: int | None = None,
                     entities: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """A user writes ``text`` in ``chat`` (``None``: the user's private chat). Commands get a
        ``bot_command`` entity at offset 0, so PTB's CommandHandler matches. Returns the Update."""
        message = self.make_message(chat, user, text, reply_to_message_id=reply_to_message_id, entities=entities)
        return self.push_raw({"message": message})

    def push_edited_message(self, chat: dict[str, Any] | int | None, user: dict[str, Any] | int, message_id: int,
                            text: str) -> dict[str, Any]:
        """The user edits their earlier message; returns the ``edited_message`` Update."""
        u = self._user_for(user)
        c = self._chat_for(chat, u)
        old = self.messages.get((c["id"], message_id))
        message: dict[str, Any] = copy.deepcopy(old) if old else {
            "message_id": message_id, "from": u, "chat": c, "date": int(time.time()) - 60}
        message["text"] = text
        message["edit_date"] = int(time.time())
        ents = _bot_command_entities(text)
        message.pop("entities", None)
        if ents:
            message["entities"] = ents
        self.messages[(c["id"], message_id)] = message
        return self.push_raw({"edited_message": copy.deepcopy(message)})

    def push_callback(self, chat: dict[str, Any] | int | None, user: dict[str, Any] | int, message_id: int,
                      data: str) -> dict[str, Any]:
        """The user presses an inline button carrying ``data`` under message ``message_id``; returns the Update.
        The query id is recorded so answerCallbackQuery can be checked (``tg.callback_answers``)."""
        u = self._user_for(user)
        c = self._chat_for(chat, u)
        message = self.messages.get((c["id"], message_id)) or {
            "message_id": message_id, "from": dict(self.bot_user), "chat": c, "date": int(time.time()), "text": ""}
        query_id = str(next(self._callback_ids))
        query = {"id": query_id, "from": u, "message": copy.deepcopy(message),
                 "chat_instance": str(abs(hash((c["id"], self.bot_user["id"])))), "data": data}
        self._open_callbacks[query_id] = query
        return self.push_raw({"callback_query": query})

    def redeliver(self, update_id: int) -> dict[str, Any]:
        """Offer an already confirmed update again, with the same ``update_id`` (a duplicate delivery)."""
        with self._lock:
            update = self._state.confirmed.get(update_id)
            if update is None:
                update = next((u for u in self._state.pending if u["update_id"] == update_id), None)
            if update is None:
                raise KeyError(f"update {update_id} was never pushed")
            self._state.redelivered.append((copy.deepcopy(update), False))
        self._notify()
        return copy.deepcopy(update)

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by an offset (re-deliveries first)."""
        with self._lock:
            return [u for u, _ in self._state.redelivered] + list(self._state.pending)

    @property
    def confirmed_update_ids(self) -> list[int]:
        with self._lock:
            return sorted(self._state.confirmed)

    async def wait_until_confirmed(self, update_id: int, timeout: float = 5.0) -> None:
        """Wait until the client has confirmed ``update_id`` (sent an offset beyond it)."""
        await self._wait_until(lambda: update_id in self._state.confirmed, timeout, f"update {update_id} confirmed")

    # -- webhook-mode helpers --------------------------------------------------------------------
    async def post_update_to(self, url: str, update: dict[str, Any], secret_token: str | None = None,
                             *, timeout: float = 10.0) -> tuple[int, str]:
        """POST ``update`` to a webhook like Telegram does (JSON body, secret header); returns (status, body)."""
        headers = {"Content-Type": "application/json"}
        if secret_token is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret_token
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session, \
                session.post(url, data=json.dumps(update).encode(), headers=headers) as response:
            return response.status, await response.text()

    async def flush_to_webhook(self, *, timeout: float = 10.0) -> list[int]:
        """Deliver every pending update to the webhook set via setWebhook (with its secret); updates answered
        with 2xx are confirmed, the rest stay pending. Returns the HTTP statuses in order."""
        url = self.webhook.get("url")
        if not url:
            raise RuntimeError("no webhook is set")
        statuses = []
        for update in self.pending_updates:
            status, _ = await self.post_update_to(url, update, self.webhook.get("secret_token"), timeout=timeout)
            statuses.append(status)
            if 200 <= status < 300:
                with self._lock:
                    self._state.redelivered = [(u, s) for u, s in self._state.redelivered
                                               if u["update_id"] != update["update_id"]]
                    self._state.pending = [u for u in self._state.pending if u["update_id"] != update["update_id"]]
                    self._state.confirmed[update["update_id"]] = update
        self._notify()
        return statuses

    # -- what the bot did ------------------------------------------------------------------------
    @property
    def sent(self) -> list[Call]:
        """Every call the bot made except getUpdates, in arrival order."""
        return [c for c in self.calls if c.method != "getUpdates"]

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def sent_messages(self, chat_id: int | str) -> list[dict[str, Any]]:
        """Messages the bot successfully sent to ``chat_id`` (the Message objects returned to it)."""
        return copy.deepcopy(self.sent_messages_by_chat.get(chat_id, []))

    async def wait_for_sent(self, chat_id: int | str, count: int = 1, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Wait until the bot has sent at least ``count`` messages to ``chat_id``; returns all sent so far."""
        await self._wait_until(lambda: len(self.sent_messages_by_chat.get(chat_id, [])) >= count, timeout,
                               f"{count} message(s) to chat {chat_id}")
        return self.sent_messages(chat_id)

    async def wait_for_call(self, method: str, count: int = 1, timeout: float = 5.0,
                            where: Callable[[Call], bool] | None = None) -> list[Call]:
        """Wait until ``count`` calls of ``method`` (matching ``where``) arrived; returns them."""
        def matching() -> list[Call]:
            return [c for c in self.calls if c.method == method and (where is None or where(c))]

        await self._wait_until(lambda: len(matching()) >= count, timeout, f"{count} {method} call(s)")
        return matching()

    def message(self, chat_id: int | str, message_id: int) -> dict[str, Any] | None:
        """The current state of a message (after edits), or None if unknown/deleted."""
        found = self.messages.get((chat_id, message_id))
        return copy.deepcopy(found) if found else None

    # -- rate accounting -------------------------------------------------------------------------
    def _is_group(self, chat_id: int | str) -> bool:
        chat = self._chats.get(chat_id)
        return bool(chat and chat["type"] in ("group", "supergroup"))

    def rate_violations(self) -> list[str]:
        """Human-readable breaches of the flood limits (per chat ≤1/s, per group ≤20/min, overall ≤30/s)."""
        problems = []
        for chat_id, times in self.send_times.items():
            n = max_in_window(times, 1.0)
            if n > self.limits.per_chat_per_second:
                problems.append(f"chat {chat_id}: {n} messages within 1 s (limit {self.limits.per_chat_per_second})")
            if self._is_group(chat_id):
                n = max_in_window(times, 60.0)
                if n > self.limits.per_group_per_minute:
                    problems.append(f"group {chat_id}: {n} messages within 60 s "
                                    f"(limit {self.limits.per_group_per_minute})")
        everything = [t for times in self.send_times.values() for t in times]
        n = max_in_window(everything, 1.0)
        if n > self.limits.global_per_second:
            problems.append(f"overall: {n} messages within 1 s (limit {self.limits.global_per_second})")
        return problems

    def _flood_wait(self, chat_id: int | str, now: float) -> int:
        """Seconds to wait before another message to ``chat_id`` would stay within the limits (0: go)."""
        waits = [0.0]
        checks: list[tuple[list[float], float, int]] = [
            (self.send_times.get(chat_id, []), 1.0, self.limits.per_chat_per_second),
            ([t for ts in self.send_times.values() for t in ts], 1.0, self.limits.global_per_second)]
        if self._is_group(chat_id):
            checks.append((self.send_times.get(chat_id, []), 60.0, self.limits.per_group_per_minute))
        for times, window, limit in checks:
            recent = sorted(t for t in times if t > now - window)
            if len(recent) >= limit:
                waits.append(recent[len(recent) - limit] + window - now)
        return math.ceil(max(waits))

    # -- faults ----------------------------------------------------------------------------------
    def fail_next(self, method: str = "*", status: int = 429, *, retry_after: int | None = None,
                  description: str | None = None, migrate_to_chat_id: int | None = None,
                  network_error: bool = False, times: int = 1,
                  chat_id: int | str | None = None) -> None:
        """Make the next ``times`` calls of ``method`` ("*": any except getUpdates) fail.

        429 → ``RetryAfter`` in PTB (``retry_after`` defaults to 2); 403 → ``Forbidden`` ("bot was blocked by the
        user"); 400 → ``BadRequest`` ("chat not found"); ``network_error=True`` closes the connection without an
        answer (PTB: ``NetworkError``). ``chat_id`` restricts the fault to calls for that chat.
        """
        if network_error:
            fault = Fault(method=method, network_error=True, times=times)
        else:
            params: dict[str, Any] = {}
            if status == 429:
                retry_after = 2 if retry_after is None else retry_after
                description = description or f"Too Many Requests: retry after {retry_after}"
                params["retry_after"] = retry_after
            if migrate_to_chat_id is not None:
                status = 400
                description = description or "Bad Request: group chat was upgraded to a supergroup chat"
                params["migrate_to_chat_id"] = migrate_to_chat_id
            body: dict[str, Any] = {"ok": False, "error_code": status,
                                    "description": description or _DEFAULT_DESCRIPTIONS.get(status, "Error")}
            if params:
                body["parameters"] = params
            headers = {"Retry-After": str(retry_after)} if status == 429 else {}
            fault = Fault(method=method, status=status, body=body, headers=headers, times=times)
        if chat_id is not None:
            fault.match = lambda p: p.get("chat_id") == chat_id
        self._add_fault(fault)

    def drop_connection_next(self, method: str = "*", times: int = 1) -> None:
        """Shorthand for ``fail_next(method, network_error=True)``."""
        self.fail_next(method, network_error=True, times=times)

    # -- HTTP plumbing ---------------------------------------------------------------------------
    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = {k: _coerce(k, v) for k, v in request.query.items()}
        if request.method != "POST" or not request.body_exists:
            return params
        ctype = request.content_type
        if ctype == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                params.update(body)
        elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    content = value.file.read()
                    params[key] = {"filename": value.filename, "size": len(content),
                                   "content_type": value.content_type}
                else:
                    params[key] = _coerce(key, value if isinstance(value, str) else bytes(value).decode())
        return params

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method_raw = request.match_info["method"]
        params = await self._read_params(request)
        method = _METHOD_NAMES.get(method_raw.lower(), method_raw)
        call = Call(method=method, params=params, time=time.monotonic(), wall=time.time(),
                    content_type=request.content_type)
        self.calls.append(call)
        try:
            if request.match_info["token"] != self.token:
                raise TelegramApiError(401, "Unauthorized")
            if method == "getUpdates":
                fault = self._take_fault_exact(method, params)
            else:
                fault = self._take_fault(method, params)
            if fault is not None:
                call.ok, call.status = False, fault.status
                if fault.network_error:
                    call.error = "network error (connection dropped)"
                    self._notify()
                    return self._drop_connection(request)
                assert fault.body is not None
                call.error = fault.body["description"]
                self._notify()
                return web.json_response(fault.body, status=fault.status, headers=fault.headers)
            handler = _HANDLERS.get(method)
            if handler is None:
                raise TelegramApiError(404, "Not Found")
            result = await handler(self, params)
        except TelegramApiError as error:
            call.ok, call.status, call.error = False, error.code, error.description
            self._notify()
            body: dict[str, Any] = {"ok": False, "error_code": error.code, "description": error.description}
            headers = {}
            if error.parameters:
                body["parameters"] = error.parameters
                if "retry_after" in error.parameters:
                    headers["Retry-After"] = str(error.parameters["retry_after"])
            return web.json_response(body, status=error.code, headers=headers)
        call.result = result
        self._notify()
        return web.json_response({"ok": True, "result": result})

    def _take_fault_exact(self, method: str, params: dict[str, Any]) -> Fault | None:
        """getUpdates only fails when a fault names it explicitly (a "*" fault would break polling)."""
        with self._lock:
            for fault in self._faults:
                if fault.method == method and (fault.match is None or fault.match(params)):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    # -- method implementations ------------------------------------------------------------------
    def _known_chat(self, chat_id: Any) -> dict[str, Any]:
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            for chat in self._chats.values():
                if chat.get("username") == chat_id[1:]:
                    return chat
            raise TelegramApiError(400, "Bad Request: chat not found")
        if chat_id is None:
            raise TelegramApiError(400, "Bad Request: chat_id is empty")
        found = self._chats.get(chat_id)
        if found is None:
            raise TelegramApiError(400, "Bad Request: chat not found")
        chat = found
        if chat["type"] == "private" and chat["id"] in self._blocked:
            raise TelegramApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _check_markup(self, markup: Any) -> None:
        if markup is None:
            return
        if not isinstance(markup, dict):
            raise TelegramApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if not button.get("text"):
                    raise TelegramApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= 64:
                    raise TelegramApiError(400, "Bad Request: BUTTON_DATA_INVALID")

    def _count(self, chat_id: int | str) -> None:
        now = time.monotonic()
        if self.enforce_rate_limits:
            wait = self._flood_wait(chat_id, now)
            if wait > 0:
                raise TelegramApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})
        self.send_times.setdefault(chat_id, []).append(now)

    def _store_sent(self, chat: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
        self.messages[(chat["id"], message["message_id"])] = message
        self.sent_messages_by_chat.setdefault(chat["id"], []).append(copy.deepcopy(message))
        return copy.deepcopy(message)

    def _reply_to(self, chat: dict[str, Any], params: dict[str, Any]) -> dict[str, Any] | None:
        reply_id = params.get("reply_to_message_id")
        reply_parameters = params.get("reply_parameters")
        if isinstance(reply_parameters, dict):
            reply_id = reply_parameters.get("message_id")
        if reply_id is None:
            return None
        replied = self.messages.get((chat["id"], reply_id))
        if replied is None:
            allow = isinstance(reply_parameters, dict) and reply_parameters.get("allow_sending_without_reply")
            if allow:
                return None
            raise TelegramApiError(400, "Bad Request: message to be replied not found")
        return copy.deepcopy(replied)

    async def _get_me(self, params: dict[str, Any]) -> Any:
        return {**self.bot_user, "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False, "can_connect_to_business": False, "has_main_web_app": False}

    def _available(self) -> list[dict[str, Any]]:
        return [u for u, _ in self._state.redelivered] + self._state.pending

    def _confirm(self, offset: int | None) -> None:
        with self._lock:
            state = self._state
            if offset is None:
                return
            if offset < 0:
                keep = state.pending[offset:] if -offset < len(state.pending) else state.pending
                for update in state.pending[: len(state.pending) - len(keep)]:
                    state.confirmed[update["update_id"]] = update
                state.pending = list(keep)
                return
            for update in [u for u in state.pending if u["update_id"] < offset]:
                state.confirmed[update["update_id"]] = update
            state.pending = [u for u in state.pending if u["update_id"] >= offset]
            state.redelivered = [(u, served) for u, served in state.redelivered
                                 if not (served and u["update_id"] < offset)]

    async def _get_updates(self, params: dict[str, Any]) -> Any:
        if self.webhook.get("url"):
            raise TelegramApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                        "use deleteWebhook to delete the webhook first")
        offset = params.get("offset")
        self.last_offset = offset
        limit = max(1, min(100, int(params.get("limit") or 100)))
        timeout = float(params.get("timeout") or 0)
        self._poll_generation += 1
        generation = self._poll_generation
        self._confirm(offset)
        if timeout > 0 and not self._available():
            self._notify()  # wake an older long poll so it can notice it was superseded
            try:
                await self._wait_until(lambda: self._available() or self._poll_generation != generation,
                                       timeout, "updates")
            except TimeoutError:
                return []
            if self._poll_generation != generation:
                raise TelegramApiError(409, _DEFAULT_DESCRIPTIONS[409])
        with self._lock:
            batch = self._available()[:limit]
            served_ids = {u["update_id"] for u in batch}
            self._state.redelivered = [(u, served or u["update_id"] in served_ids)
                                       for u, served in self._state.redelivered]
        return copy.deepcopy(batch)

    async def _delete_webhook(self, params: dict[str, Any]) -> Any:
        self.webhook = {"url": ""}
        if params.get("drop_pending_updates"):
            self._drop_pending()
        return True

    def _drop_pending(self) -> None:
        with self._lock:
            dropped = [u for u, _ in self._state.redelivered] + self._state.pending
            self.dropped_updates.extend(dropped)
            for update in self._state.pending:
                self._state.confirmed[update["update_id"]] = update
            self._state.pending = []
            self._state.redelivered = []

    async def _set_webhook(self, params: dict[str, Any]) -> Any:
        url = params.get("url") or ""
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise TelegramApiError(400, "Bad Request: secret token contains unallowed characters")
        self.webhook = {"url": url, **{k: params[k] for k in ("secret_token", "allowed_updates", "max_connections",
                                                              "ip_address") if k in params}}
        if params.get("drop_pending_updates"):
            self._drop_pending()
        return True

    async def _get_webhook_info(self, params: dict[str, Any]) -> Any:
        info: dict[str, Any] = {"url": self.webhook.get("url", ""), "has_custom_certificate": False,
                                "pending_update_count": len(self._available())}
        if info["url"]:
            info["max_connections"] = self.webhook.get("max_connections", 40)
            info["ip_address"] = "127.0.0.1"
            if self.webhook.get("allowed_updates"):
                info["allowed_updates"] = self.webhook["allowed_updates"]
        return info

    async def _send_message(self, params: dict[str, Any]) -> Any:
        chat = self._known_chat(params.get("chat_id"))
        text = params.get("text")
        if text is None or str(text).strip() == "":
            raise TelegramApiError(400, "Bad Request: message text is empty")
        text = str(text)
        if _utf16_len(text) > 4096:
            raise TelegramApiError(400, "Bad Request: message is too long")
        markup = params.get("reply_markup")
        self._check_markup(markup)
        replied = self._reply_to(chat, params)
        self._count(chat["id"])
        message: dict[str, Any] = {"message_id": self._new_message_id(chat["id"]), "from": dict(self.bot_user),
                                   "chat": dict(chat), "date": int(time.time()), "text": text}
        if params.get("entities"):
            message["entities"] = params["entities"]
        if replied is not None:
            message["reply_to_message"] = replied
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        return self._store_sent(chat, message)

    async def _send_other(self, method: str, params: dict[str, Any]) -> Any:
        chat = self._known_chat(params.get("chat_id"))
        self._check_markup(params.get("reply_markup"))
        self._count(chat["id"])
        message: dict[str, Any] = {"message_id": self._new_message_id(chat["id"]), "from": dict(self.bot_user),
                                   "chat": dict(chat), "date": int(time.time())}
        if params.get("caption"):
            message["caption"] = params["caption"]
        kind = method[4:].lower()  # sendPhoto -> photo
        number = message["message_id"]
        message[kind] = {"file_id": f"fake-{kind}-{number}", "file_unique_id": f"u{number}"}
        if kind == "photo":
            message[kind] = [dict(message[kind], width=1, height=1)]
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        return self._store_sent(chat, message)

    def _editable(self, params: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
        if params.get("inline_message_id"):
            return None
        chat = self._known_chat(params.get("chat_id"))
        message = self.messages.get((chat["id"], params.get("message_id")))  # type: ignore[arg-type]
        if message is None:
            raise TelegramApiError(400, "Bad Request: message to edit not found")
        if message.get("from", {}).get("id") != self.bot_user["id"]:
            raise TelegramApiError(400, "Bad Request: message can't be edited")
        return chat, message

    async def _edit_message_text(self, params: dict[str, Any]) -> Any:
        text = params.get("text")
        if text is None or str(text).strip() == "":
            raise TelegramApiError(400, "Bad Request: text must be non-empty")
        markup = params.get("reply_markup")
        self._check_markup(markup)
        found = self._editable(params)
        if found is None:
            return True
        chat, message = found
        if message.get("text") == text and message.get("reply_markup") == markup:
            raise TelegramApiError(400, _NOT_MODIFIED)
        self._count(chat["id"])
        message["text"] = str(text)
        message["edit_date"] = int(time.time())
        # Like Telegram: an edit without reply_markup removes the inline keyboard.
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        return copy.deepcopy(message)

    async def _edit_message_reply_markup(self, params: dict[str, Any]) -> Any:
        markup = params.get("reply_markup")
        self._check_markup(markup)
        found = self._editable(params)
        if found is None:
            return True
        chat, message = found
        if message.get("reply_markup") == markup:
            raise TelegramApiError(400, _NOT_MODIFIED)
        self._count(chat["id"])
        message["edit_date"] = int(time.time())
        if isinstance(markup, dict) and markup.get("inline_keyboard"):
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        return copy.deepcopy(message)

    async def _delete_message(self, params: dict[str, Any]) -> Any:
        chat = self._known_chat(params.get("chat_id"))
        key = (chat["id"], params.get("message_id"))
        if key not in self.messages:
            raise TelegramApiError(400, "Bad Request: message to delete not found")
        del self.messages[key]
        self.deleted.append(key)
        return True

    async def _answer_callback_query(self, params: dict[str, Any]) -> Any:
        query_id = params.get("callback_query_id")
        if query_id not in self._open_callbacks:
            raise TelegramApiError(400, "Bad Request: query is too old and response timeout expired or "
                                        "query ID is invalid")
        if _utf16_len(str(params.get("text") or "")) > 200:
            raise TelegramApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        del self._open_callbacks[query_id]
        self.callback_answers.append(dict(params))
        return True

    async def _set_my_commands(self, params: dict[str, Any]) -> Any:
        key = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True) + "|" + \
            (params.get("language_code") or "")
        self.commands[key] = list(params.get("commands") or [])
        return True

    async def _get_my_commands(self, params: dict[str, Any]) -> Any:
        key = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True) + "|" + \
            (params.get("language_code") or "")
        return self.commands.get(key, [])

    async def _delete_my_commands(self, params: dict[str, Any]) -> Any:
        key = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True) + "|" + \
            (params.get("language_code") or "")
        self.commands.pop(key, None)
        return True

    async def _get_chat(self, params: dict[str, Any]) -> Any:
        chat = self._known_chat(params.get("chat_id"))
        return {**chat, "accent_color_id": 0, "max_reaction_count": 11,
                "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False,
                                        "premium_subscription": False}}

    async def _get_chat_member(self, params: dict[str, Any]) -> Any:
        chat = self._known_chat(params.get("chat_id"))
        user_id = params.get("user_id")
        if user_id == self.bot_user["id"]:
            return {"status": "member", "user": dict(self.bot_user)}
        user = self._users.get(user_id)  # type: ignore[arg-type]
        if user is None:
            raise TelegramApiError(400, "Bad Request: user not found")
        if chat["type"] == "private":
            return {"status": "member", "user": dict(user)}
        if user_id in self._admins.get(chat["id"], set()):
            return _administrator(user)
        return {"status": "member", "user": dict(user)}

    async def _get_chat_administrators(self, params: dict[str, Any]) -> Any:
        chat = self._known_chat(params.get("chat_id"))
        return [_administrator(self._users[uid]) for uid in sorted(self._admins.get(chat["id"], set()))
                if uid in self._users]

    async def _true(self, params: dict[str, Any]) -> Any:
        return True


def _administrator(user: dict[str, Any]) -> dict[str, Any]:
    return {"status": "administrator", "user": dict(user), "can_be_edited": False, "is_anonymous": False,
            "can_manage_chat": True, "can_delete_messages": True, "can_manage_video_chats": True,
            "can_restrict_members": True, "can_promote_members": False, "can_change_info": True,
            "can_invite_users": True, "can_post_stories": False, "can_edit_stories": False,
            "can_delete_stories": False}


_Handler = Callable[[FakeTelegram, dict[str, Any]], Any]


def _sender(method: str) -> _Handler:
    async def handler(self: FakeTelegram, params: dict[str, Any]) -> Any:
        return await self._send_other(method, params)
    return handler


_HANDLERS: dict[str, _Handler] = {
    "getMe": FakeTelegram._get_me,
    "getUpdates": FakeTelegram._get_updates,
    "setWebhook": FakeTelegram._set_webhook,
    "deleteWebhook": FakeTelegram._delete_webhook,
    "getWebhookInfo": FakeTelegram._get_webhook_info,
    "sendMessage": FakeTelegram._send_message,
    "editMessageText": FakeTelegram._edit_message_text,
    "editMessageReplyMarkup": FakeTelegram._edit_message_reply_markup,
    "deleteMessage": FakeTelegram._delete_message,
    "answerCallbackQuery": FakeTelegram._answer_callback_query,
    "setMyCommands": FakeTelegram._set_my_commands,
    "getMyCommands": FakeTelegram._get_my_commands,
    "deleteMyCommands": FakeTelegram._delete_my_commands,
    "getChat": FakeTelegram._get_chat,
    "getChatMember": FakeTelegram._get_chat_member,
    "getChatAdministrators": FakeTelegram._get_chat_administrators,
    "sendChatAction": FakeTelegram._true,
    "leaveChat": FakeTelegram._true,
    "logOut": FakeTelegram._true,
    "close": FakeTelegram._true,
    "setMyDescription": FakeTelegram._true,
    "setMyShortDescription": FakeTelegram._true,
    **{m: _sender(m) for m in ("sendPhoto", "sendAudio", "sendDocument", "sendVoice", "sendVideo", "sendAnimation",
                               "sendSticker")},
}
_METHOD_NAMES = {name.lower(): name for name in _HANDLERS}
