"""Singing from a browser: a web session is an identity like a Telegram or Slack user.

A phone that scans the venue screen's code joins a show with a name and gets a session: platform ``web``,
user id a random session id. From then on it requests, cancels and answers "On my way" through the same
steps the chat uses (``Steps.singer`` makes its ``SingerRef``, the rotation decides), so every rule — the
round, ``max_pending``, duplicates, a closed show, a singer the KJ blocked — holds for it as for a chat
singer. ``WebSessions`` signs what the browser keeps (a cookie): the session id and the one show it is
bound to; a token for another show, or one not signed with this service's secret, opens nothing.

A web singer is a person like any other: their earlier songs and favourites are the person's (``again``,
``favourites``), and a ``/link`` code from the bot typed on the page makes the session and that account one
person (``link``). What a browser cannot be held to is its cookie: cleared, it joins as a new person. So each
new session's address is kept as a keyed hash (``WebJoins``, never the address itself), and while the KJ has
blocked a singer of the show who joined from that address, new sessions from it may join only one per
``rejoin_seconds`` (see ``WebSingers.join`` for what that does and does not stop).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import unicodedata
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from core.chat.linking import accounts_text
from core.chat.parsing import clean
from core.chat.regulars import AGAIN_SHOWN
from core.chat.steps import NAME_ON_SCREEN_MAX, Steps, song_ref
from core.chat.vocabulary import Person
from core.people import LINK_ATTEMPT_WINDOW, LINK_LIFETIME, LinkOutcome, PastSong, PersonRecord
from core.rotation import (
    OwnRequest,
    RenameSinger,
    RotationError,
    ShowState,
    SingerRef,
    SkipMyTurn,
    SongRef,
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
# While someone the KJ blocked joined from an address, new sessions from it join one per this many seconds.
REJOIN_SECONDS = 60
# A person's favourites the page lists (and knows to mark with a star).
WEB_FAVOURITES_SHOWN = 100
_LINK_REFUSALS = {
    LinkOutcome.UNKNOWN: ("link-code-unknown", "link.unknown"),
    LinkOutcome.USED: ("link-code-used", "link.used"),
    LinkOutcome.EXPIRED: ("link-code-expired", "link.expired"),
    LinkOutcome.LIMITED: ("too-many-attempts", "link.limited"),
}


class WebRefusal(Exception):
    """What a web singer asked for was refused: ``code`` is stable (the HTTP adapter picks the status by it),
    ``message`` is the sentence to show them."""

    def __init__(self, code: str, message: str, retry_after: int | None = None) -> None:
        """Carry the stable ``code`` and the friendly ``message``; ``retry_after`` seconds when trying again
        later will do."""
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after = retry_after


class WebJoins(Protocol):
    """Where each web session joined its show from, as a keyed hash of the address (never the address).

    SQL backing (see ``storage/web_joins.py``)::

        web_joins(session_id, show_id, address_key, joined_at, slot NULL)   PRIMARY KEY (session_id)
            INDEX (show_id, address_key); UNIQUE (show_id, address_key, slot)
    """

    async def record(self, session_id: str, show_id: str, address_key: str, at: datetime, slot: int | None) -> bool:
        """Remember that the new session joined ``show_id`` from ``address_key``. With a ``slot`` it is stored
        only if no other session of that show and address took the same slot (False then, nothing stored):
        one join per slot, on any number of instances."""
        ...

    async def joined_from(self, show_id: str, address_key: str, session_ids: Collection[str]) -> bool:
        """Whether one of ``session_ids`` joined ``show_id`` from ``address_key``."""
        ...


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

    def address_key(self, address: str) -> str:
        """What is kept of a client's address: an HMAC-SHA256 under the session secret, so the stored value
        cannot be turned back into an address by trying every address there is."""
        digest = hmac.new(self._secret, b"address\x00" + address.encode("utf-8", "replace"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

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


@dataclass(frozen=True, slots=True)
class WebLinked:
    """A link made from the page: what to tell them, the name they go by, and the kinds of account
    (``telegram``, ``slack``, ``web``) their person has now."""

    message: str
    name: str
    accounts: tuple[str, ...]


def web_name(raw: str) -> str:
    """A name typed on the join page as the show will show it: cleaned like a chat name (invisible and
    formatting characters out, spaces collapsed), at most ``NAME_ON_SCREEN_MAX`` characters; may be empty."""
    text = "".join(ch for ch in clean(raw) if unicodedata.category(ch) not in ("Cf", "Co", "Cs"))
    return " ".join(text.split())[:NAME_ON_SCREEN_MAX].strip()


class WebSingers:
    """Joining, requesting, cancelling and "On my way" for singers in a browser, over the chat's ``Steps``."""

    def __init__(self, steps: Steps, sessions: WebSessions, new_command_id: Callable[[], str], *, joins: WebJoins,
                 rejoin_seconds: int = REJOIN_SECONDS) -> None:
        """Work through ``steps``; ``new_command_id`` names each rotation command (random, so never repeated);
        ``joins`` keeps where sessions joined from; ``rejoin_seconds`` spaces new sessions from an address a
        blocked singer of the show joined from."""
        if rejoin_seconds < 1:
            raise ValueError("rejoin_seconds must be at least 1")
        self._steps = steps
        self.sessions = sessions
        self._new_command_id = new_command_id
        self._joins = joins
        self._rejoin_seconds = rejoin_seconds

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

    async def join(self, code: str, name: str, session: WebSession | None, *, address: str) -> Joined:
        """Join the open show with ``code`` as ``name`` from the client ``address``. A ``session`` already
        bound to that show keeps its identity (joining again renames them); any other starts a new session.

        Refused ``not-found`` when no open show has the code, and ``too-many-joins`` (with ``retry_after``)
        for a new session from an address a singer the KJ blocked in this show joined from, when another
        new session from it joined less than ``rejoin_seconds`` ago. That holds back someone who clears
        their cookies to come back under a new name (once a slot, and the KJ sees them again) without
        locking out the rest of a venue's Wi-Fi, which shares one address; it does not stop anyone who
        changes networks (mobile data), and it slows everyone new on that network alike.
        """
        steps = self._steps
        show_id = await steps.rotation.find_show(code)
        if show_id is None:
            raise WebRefusal("not-found", steps.say("web.no_show", code=steps.say.quoted(code, 20)))
        state = await steps.rotation.state(show_id)
        if session is None or session.show_id != show_id:
            session = self.sessions.start(show_id)
            await self._admit(state, session, address)
        person = Person(WEB, session.session_id, web_name(name) or steps.say("singer.default_name"))
        await steps.directory.remember_person(person)
        await steps.directory.set_current_show(person, show_id)
        singer = await steps.singer(person)
        singer_id = state.singer_of(singer)
        if singer_id is not None and state.singers[singer_id].name != singer.name and not state.closed:
            await self._run(show_id, RenameSinger(self._command(session), singer, singer.name))
        return Joined(show_id, singer_id or session.singer_id, singer.name, session)

    async def _admit(self, state: ShowState, session: WebSession, address: str) -> None:
        """Record where the new session joins from; refuse it while its address is spaced (see ``join``)."""
        steps = self._steps
        key = self.sessions.address_key(address)
        now = steps.clock.now()
        # Slots are counted from the show's opening: the same on every instance, whatever its clock's epoch.
        seconds = max(0, int((now - (state.opened_at or now)).total_seconds()))
        slot = seconds // self._rejoin_seconds if await self._blocked_from(state, key) else None
        if not await self._joins.record(session.session_id, state.show_id, key, now, slot):
            wait = self._rejoin_seconds - seconds % self._rejoin_seconds
            raise WebRefusal("too-many-joins", steps.say("web.rejoin_limited", wait=steps.say.wait(wait)),
                             retry_after=wait)

    async def _blocked_from(self, state: ShowState, address_key: str) -> bool:
        """Whether a singer the KJ blocked in this open show (any of their person's web sessions) joined it
        from ``address_key``."""
        if state.closed or not state.blocked:
            return False
        sessions: set[str] = set()
        people = self._steps.people.store
        for singer_id, singer in state.singers.items():
            if state.now_known_as(singer_id) not in state.blocked:
                continue
            if singer.platform == WEB and singer.user_id:
                sessions.add(singer.user_id)
            person = await people.get(singer.person_id) if singer.person_id else None
            if person is not None:
                sessions.update(i.user_id for i in person.identities if i.platform == WEB)
        return bool(sessions) and await self._joins.joined_from(state.show_id, address_key, sessions)

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
        singer_id = state.singer_of(singer)
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

    async def again(self, session: WebSession) -> Sequence[PastSong]:
        """The songs the session's person sang on earlier nights (not in this show), the latest first."""
        history = self._steps.song_history
        person = await self._person(session)
        return await history.sung_by(person, session.show_id, AGAIN_SHOWN) if history is not None else ()

    async def favourites(self, session: WebSession) -> list[SongRef]:
        """The session's person's favourites, the most recently marked first."""
        person = await self._person(session)
        return (await self._steps.people.store.favourites(person.person_id))[:WEB_FAVOURITES_SHOWN]

    async def mark_favourite(self, session: WebSession, song_id: str) -> tuple[SongRef, bool]:
        """Keep the catalog song ``song_id`` among the person's favourites; True when it was not one before.
        Refused ``not-found`` for a song the catalog does not have."""
        steps = self._steps
        person = await self._person(session)
        songs = await steps.songs.get_many([song_id])
        if not songs:
            raise WebRefusal("not-found", steps.say("web.no_song"))
        song = song_ref(songs[0])
        return song, await steps.people.store.add_favourite(person.person_id, song, steps.clock.now())

    async def unmark_favourite(self, session: WebSession, song_id: str) -> None:
        """The song is no favourite of the person's any more; refused ``not-found`` when it was not one."""
        steps = self._steps
        person = await self._person(session)
        if not await steps.people.store.remove_favourite(person.person_id, song_id):
            raise WebRefusal("not-found", steps.say("web.not_favourite"))

    async def link(self, session: WebSession, typed: str, *, address: str) -> WebLinked:
        """The session types a ``/link`` code the bot gave another account (or a KJ gave a walk-in): the two
        become one person, one singer in every open show (``People.link``: one-time codes, stored hashed,
        10 minutes). Attempts are counted per session and, since a new session costs nothing, per address.

        Refused ``link-code-unknown``, ``link-code-used``, ``link-code-expired`` and ``too-many-attempts``
        (with ``retry_after``)."""
        steps = self._steps
        await self._person(session)
        report = await steps.people.link(WEB, session.session_id, typed, self._command(session),
                                         address=self.sessions.address_key(address))
        minutes = int(LINK_LIFETIME.total_seconds() // 60)
        refused = _LINK_REFUSALS.get(report.outcome)
        if refused is not None:
            retry = int(LINK_ATTEMPT_WINDOW.total_seconds()) if report.outcome is LinkOutcome.LIMITED else None
            raise WebRefusal(refused[0], steps.say(refused[1], minutes=minutes), retry_after=retry)
        person = report.person or await self._person(session)
        me = await self._singer(session)
        accounts = tuple(dict.fromkeys(i.platform for i in person.identities))
        if report.outcome is LinkOutcome.SELF:
            message = steps.say("web.link.self")
        else:
            others = PersonRecord(person.person_id, person.name, person.muted,
                                  tuple(i for i in person.identities if i.platform != WEB))
            message = (steps.say("web.link.done", accounts=accounts_text(steps.say, others)) if others.identities
                       else steps.say("web.link.done.person", name=me.name))
        return WebLinked(message, me.name, accounts)

    async def _person(self, session: WebSession) -> PersonRecord:
        """The session's person; ``not-joined`` when the directory does not know the session."""
        steps = self._steps
        if await steps.directory.reach(WEB, session.session_id) is None:
            raise WebRefusal("not-joined", steps.say("web.not_joined"))
        return await steps.people.person(WEB, session.session_id)

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
        if request is None or state.singer_of(singer) != request.singer_id:
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
