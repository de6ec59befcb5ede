"""Singing from a browser: a web session is an identity like a Telegram or Slack user.

A phone that scans the venue screen's code joins a show with a name and gets a session: platform ``web``,
user id a random session id. From then on it requests, cancels and answers "On my way" through the same
steps the chat uses (``Steps.singer`` makes its ``SingerRef``, the rotation decides), so every rule — the
round, ``max_pending``, duplicates, a closed show, a singer the KJ blocked — holds for it as for a chat
singer. ``WebSessions`` signs what the browser keeps (a cookie): the session id and the one show it is
bound to; a token for another show, or one not signed with this service's secret, opens nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from core.chat.parsing import clean
from core.chat.steps import NAME_ON_SCREEN_MAX, Steps, song_ref
from core.chat.vocabulary import Person
from core.rotation import (
    OwnRequest,
    RenameSinger,
    RotationError,
    ShowState,
    SingerRef,
    SkipMyTurn,
    SongRequestAccepted,
    WithdrawRequest,
    singer_requests,
    upcoming,
)
from core.rotation.joincode import normalize_join_code

WEB = "web"
# Web singers' rotation ids derive from their session id, so the id told at joining is the one in the queue.
_WEB_SINGER_NAMESPACE = uuid.UUID("3c9a51e2-7d4b-4f0e-9a61-2b8c5d7e9f10")
_TOKEN = re.compile(r"^v1\.([A-Za-z0-9_-]{16,64})\.([0-9a-f-]{36})\.([A-Za-z0-9_-]{43})$")
_SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class WebRefusal(Exception):
    """What a web singer asked for was refused: ``code`` is stable (the HTTP adapter picks the status by it),
    ``message`` is the sentence to show them."""

    def __init__(self, code: str, message: str) -> None:
        """Carry the stable ``code`` and the friendly ``message``."""
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class WebSession:
    """A browser's identity: ``session_id`` (its user id on platform ``web``) in the show ``show_id`` alone."""

    session_id: str
    show_id: str

    @property
    def singer_id(self) -> str:
        """The id the show's rotation gives this session's singer (the same before and after their first song)."""
        return str(uuid.uuid5(_WEB_SINGER_NAMESPACE, self.session_id))


class WebSessions:
    """Makes and reads the signed tokens a browser keeps: ``v1.<session id>.<show id>.<HMAC-SHA256>``.

    The secret comes from the composition root (settings); every instance with the same secret reads the
    same tokens, so nothing about a session is stored server-side but its person in the chat directory.
    """

    def __init__(self, secret: bytes, new_session_id: Callable[[], str]) -> None:
        """Sign with ``secret`` (at least 16 bytes); ``new_session_id`` makes random, unguessable ids."""
        if len(secret) < 16:
            raise ValueError("the session secret must have at least 16 bytes")
        self._secret = secret
        self._new_id = new_session_id

    def start(self, show_id: str) -> WebSession:
        """A new session bound to ``show_id``."""
        session_id = self._new_id()
        if not _SESSION_ID.match(session_id):
            raise ValueError("session ids are 16 to 64 URL-safe characters")
        return WebSession(session_id, show_id)

    def token(self, session: WebSession) -> str:
        """The signed token for ``session`` (what the cookie holds)."""
        body = f"v1.{session.session_id}.{session.show_id}"
        return f"{body}.{self._sign(body)}"

    def read(self, token: str | None) -> WebSession | None:
        """The session ``token`` stands for, or None when it is missing, malformed or not signed by us."""
        if not token or len(token) > 200:
            return None
        match = _TOKEN.match(token)
        if match is None:
            return None
        session_id, show_id, signature = match.groups()
        if not hmac.compare_digest(signature, self._sign(f"v1.{session_id}.{show_id}")):
            return None
        return WebSession(session_id, show_id)

    def _sign(self, body: str) -> str:
        digest = hmac.new(self._secret, body.encode("ascii"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True, slots=True)
class Joined:
    """A browser joined ``show_id`` as ``name``; ``session`` is what it keeps."""

    show_id: str
    singer_id: str
    name: str
    session: WebSession


@dataclass(frozen=True, slots=True)
class WebSinger:
    """What a web singer sees of themselves: their name, their songs with place and wait, the song they are
    singing now (if any), and whether the KJ blocked them or the show closed."""

    show_id: str
    code: str
    show_name: str
    singer_id: str
    name: str
    blocked: bool
    closed: bool
    singing_now: OwnRequest | None
    requests: tuple[OwnRequest, ...]


def web_name(raw: str) -> str:
    """A name typed on the join page as the show will show it: cleaned like a chat name (invisible and
    formatting characters out, spaces collapsed), at most ``NAME_ON_SCREEN_MAX`` characters; may be empty."""
    text = "".join(ch for ch in clean(raw) if unicodedata.category(ch) not in ("Cf", "Co", "Cs"))
    return " ".join(text.split())[:NAME_ON_SCREEN_MAX].strip()


class WebSingers:
    """Joining, requesting, cancelling and "On my way" for singers in a browser, over the chat's ``Steps``."""

    def __init__(self, steps: Steps, sessions: WebSessions, new_command_id: Callable[[], str]) -> None:
        """Work through ``steps``; ``new_command_id`` names each rotation command (random, so never repeated)."""
        self._steps = steps
        self.sessions = sessions
        self._new_command_id = new_command_id

    async def session_for(self, code: str, token: str | None) -> WebSession:
        """The session a browser's ``token`` stands for, if it is bound to the show with ``code`` (typed
        loosely; still the show's code after it closed). Refused ``not-found`` for a code no open show has
        and ``not-joined`` for no token, a forged one, one for another show, or an erased person's."""
        steps = self._steps
        session = self.sessions.read(token)
        if session is not None:
            try:
                state = await steps.rotation.state(session.show_id)
            except RotationError:
                state = None
            if state is not None and state.code == normalize_join_code(code):
                return session
        if await steps.rotation.find_show(code) is None:
            raise WebRefusal("not-found", steps.say("web.no_show", code=steps.say.quoted(code, 20)))
        raise WebRefusal("not-joined", steps.say("web.not_joined"))

    async def join(self, code: str, name: str, session: WebSession | None) -> Joined:
        """Join the open show with ``code`` as ``name``. A ``session`` already bound to that show keeps its
        identity (joining again renames them); any other starts a new session.

        Refused ``not-found`` when no open show has the code.
        """
        steps = self._steps
        show_id = await steps.rotation.find_show(code)
        if show_id is None:
            raise WebRefusal("not-found", steps.say("web.no_show", code=steps.say.quoted(code, 20)))
        state = await steps.rotation.state(show_id)
        if session is None or session.show_id != show_id:
            session = self.sessions.start(show_id)
        person = Person(WEB, session.session_id, web_name(name) or steps.say("singer.default_name"))
        await steps.directory.remember_person(person)
        await steps.directory.set_current_show(person, show_id)
        singer = await steps.singer(person)
        singer_id = state.singer_keys.get(singer.key)
        if singer_id is not None and state.singers[singer_id].name != singer.name and not state.closed:
            await self._run(show_id, RenameSinger(self._command(session), singer, singer.name))
        return Joined(show_id, singer_id or session.singer_id, singer.name, session)

    async def request(self, session: WebSession, song_id: str) -> SongRequestAccepted:
        """Queue the catalog song ``song_id`` for the session's singer, in one rotation call as in chat."""
        steps = self._steps
        singer = await self._singer(session)
        songs = await steps.songs.get_many([song_id])
        if not songs:
            raise WebRefusal("not-found", steps.say("web.no_song"))
        ref = song_ref(songs[0])
        try:
            result = await steps.rotation.request_song(session.show_id, self._command(session), singer, ref,
                                                       singer_id=session.singer_id)
        except RotationError as error:
            raise self._refusal(error, song=steps.say.song(ref)) from None
        steps.search.note_pick(ref.song_id)
        return result

    async def me(self, session: WebSession) -> WebSinger:
        """The session's singer as they see themselves: their waiting songs with place and wait."""
        steps = self._steps
        singer = await self._singer(session)
        state = await steps.rotation.state(session.show_id)
        singer_id = state.singer_keys.get(singer.key)
        mine: tuple[OwnRequest, ...] = ()
        now: OwnRequest | None = None
        if singer_id is not None:
            mine = singer_requests(state, singer_id, steps.clock.now())
            current = state.requests.get(state.now) if state.now else None
            if current is not None and current.singer_id == singer_id:
                now = OwnRequest(current.request_id, current.song, 0, 0)
        return WebSinger(state.show_id, state.code, state.name, singer_id or session.singer_id, singer.name,
                         singer_id in state.blocked, state.closed, now, mine)

    async def withdraw(self, session: WebSession, request_id: str) -> None:
        """Take back one of the session's own songs; called up and backing out, the turn is given back first
        (as the chat's Cancel button does). Someone else's request is ``not-found``."""
        steps = self._steps
        singer = await self._singer(session)
        state = await self._own(session, singer, request_id)
        try:
            if state.now == request_id:
                await self._run(session.show_id, SkipMyTurn(self._command(session), singer, request_id))
            await self._run(session.show_id, WithdrawRequest(self._command(session), singer, request_id))
        except WebRefusal as refusal:
            if refusal.code == "conflict":
                raise WebRefusal("conflict", steps.say("web.not_waiting")) from None
            raise

    async def on_my_way(self, session: WebSession, request_id: str) -> bool:
        """The session's singer, called next or up now for ``request_id``, says they are coming (the no-show
        check stands down, as for the chat's On my way). Refused ``conflict`` when the call is over; True if
        a no-show check was pending."""
        steps = self._steps
        singer = await self._singer(session)
        state = await self._own(session, singer, request_id)
        if state.closed:
            raise WebRefusal("show-closed", steps.say("refusal.show-closed"))
        line = upcoming(state)
        if state.now != request_id and (not line or line[0] != request_id):
            raise WebRefusal("conflict", steps.say("web.call_over"))
        return await steps.confirmations.confirm(state.show_id, request_id, steps.clock.now())

    async def _singer(self, session: WebSession) -> SingerRef:
        """The session's singer, made in the one place every chat singer is made; ``not-joined`` when the
        directory does not know the session (it never joined, or the person was erased since)."""
        steps = self._steps
        reach = await steps.directory.reach(WEB, session.session_id)
        if reach is None:
            raise WebRefusal("not-joined", steps.say("web.not_joined"))
        return await steps.singer(reach.person)

    async def _own(self, session: WebSession, singer: SingerRef, request_id: str) -> ShowState:
        """The show's state, refusing ``not-found`` a request that is not the singer's own."""
        state = await self._steps.rotation.state(session.show_id)
        request = state.requests.get(request_id)
        if request is None or state.singer_keys.get(singer.key) != request.singer_id:
            raise WebRefusal("not-found", self._steps.say("web.no_request"))
        return state

    def _command(self, session: WebSession) -> str:
        return f"web:{session.session_id}:{self._new_command_id()}"

    async def _run(self, show_id: str, command: RenameSinger | SkipMyTurn | WithdrawRequest) -> None:
        try:
            await self._steps.rotation.execute(show_id, command)
        except RotationError as error:
            raise self._refusal(error) from None

    def _refusal(self, error: RotationError, song: str = "") -> WebRefusal:
        """The web's sentence for a rotation refusal; the code stays the rotation's."""
        say = self._steps.say
        limit = getattr(error, "limit", None)
        if limit is not None:
            return WebRefusal(error.code, say("web.limit.one" if limit == 1 else "web.limit.many", limit=limit))
        if error.code == "duplicate-song":
            return WebRefusal(error.code, say("request.duplicate", song=song or say("cancel.your_song")))
        if error.code in ("not-found", "conflict"):
            return WebRefusal(error.code, say("web.not_waiting"))
        return WebRefusal(error.code, say.refusal(error))
