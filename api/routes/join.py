"""The web way in: a browser joins a show by its code with a name, then requests, cancels and says "On my way";
sees the songs it sang on earlier nights and its favourites (and marks them), and links itself to a chat account
with a ``/link`` code from the bot.

Routes translate HTTP to ``core.chat.web.WebSingers`` and its answers back to JSON; every rule (the show's
limits, whose song is whose, which session belongs to which show) lives there. The session is a signed,
HttpOnly, SameSite=Strict cookie, sent only to these routes. Writes are refused from another site
(``Sec-Fetch-Site: cross-site``) and limited per session and per client address (429 with ``Retry-After``).
Singers are named by name only: no answer here carries a platform id.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.security import APIKeyCookie
from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.auth import client_of, https_request, retry_after
from api.deps import ServicesDep, WebDep
from api.errors import ERROR_RESPONSES, ApiError, ErrorEnvelope
from api.schemas import UtcTimestamp, name_field
from core.catalog import CatalogError, checked_text
from core.chat.web import WebRefusal, WebSession
from core.people import PastSong
from core.rotation import OwnRequest, SongRef

WEB_COOKIE = "karaoke_singer"
COOKIE_PATH = "/api/v1/join"
WEB_NAME_MAX = 40

_STATUS = {"not-joined": 401, "not-found": 404, "blocked": 403, "busy": 503, "too-many-joins": 429,
           "too-many-attempts": 429, "link-code-unknown": 400}
LINK_CODE_MAX = 64

_session_cookie = APIKeyCookie(
    name=WEB_COOKIE, auto_error=False,
    description="The session `POST /join/{code}` started (signed, HttpOnly; bound to that show)",
)

router = APIRouter(
    prefix="/join",
    tags=["join"],
    responses={
        **ERROR_RESPONSES,
        403: {"model": ErrorEnvelope, "description": "Blocked by the KJ, or a write from another site"},
        404: {"model": ErrorEnvelope, "description": "No open show has this code, or no such song or request"},
        409: {"model": ErrorEnvelope, "description": "Refused by the show's rules (limit, duplicate, closed)"},
        429: {
            "model": ErrorEnvelope,
            "description": "Too many writes from this session or address; try again after `Retry-After` seconds",
            "headers": {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}},
        },
    },
)

Code = Annotated[str, Path(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9 -]{1,20}$",
                           description="The show's join code, as on the screen (any case)")]
SESSION_RESPONSES: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorEnvelope, "description": "No session for this show: join first"},
}


def _refused(refusal: WebRefusal) -> ApiError:
    headers = {"Retry-After": retry_after(refusal.retry_after)} if refusal.retry_after is not None else None
    return ApiError(_STATUS.get(refusal.code, 409), refusal.code, refusal.message, headers=headers)


async def _same_site(request: Request) -> None:
    # A browser names where a request came from; a write from another site is never the join page's.
    if request.headers.get("sec-fetch-site", "").lower() == "cross-site":
        raise ApiError(403, "forbidden", "Writes come from the join page only.")


async def _limited(request: Request, services: ServicesDep) -> None:
    # The cookie is read by hand, not as a declared security scheme: joining needs none.
    session = services.web.sessions.read(request.cookies.get(WEB_COOKIE))
    wait = services.web_limits.wait(session.session_id if session else None, client_of(request, services.access))
    if wait > 0:
        raise ApiError(429, "too-many-requests", "Too many requests from here; try again in a moment.",
                       headers={"Retry-After": retry_after(wait)})


WRITES = [Depends(_same_site), Depends(_limited)]


async def _session(code: Code, web: WebDep, token: Annotated[str | None, Depends(_session_cookie)]) -> WebSession:
    try:
        return await web.session_for(code, token)
    except WebRefusal as refusal:
        raise _refused(refusal) from None


SessionDep = Annotated[WebSession, Depends(_session)]


# ---- wire shapes -------------------------------------------------------------------------------


class JoinBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = name_field(WEB_NAME_MAX, description="The name the queue and the screen show")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        try:
            return checked_text("name", value, maximum=WEB_NAME_MAX)
        except CatalogError as error:
            raise ValueError(error.reason) from None


class JoinedOut(BaseModel):
    singer_id: str
    show_id: str
    name: str


class WebRequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    song_id: uuid.UUID


class SongOut(BaseModel):
    song_id: str
    title: str
    artist: str
    duration: int | None

    @classmethod
    def of(cls, song: SongRef) -> SongOut:
        return cls(song_id=song.song_id, title=song.title, artist=song.artist, duration=song.duration)


class WebRequestOut(BaseModel):
    request_id: str
    position: int | None
    eta_seconds: int | None
    song: SongOut
    already_sung_tonight: bool


class MySongOut(BaseModel):
    request_id: str
    song: SongOut
    position: int | None
    eta_seconds: int | None

    @classmethod
    def of(cls, own: OwnRequest) -> MySongOut:
        return cls(request_id=own.request_id, song=SongOut.of(own.song), position=own.position,
                   eta_seconds=own.eta_seconds)


class MeOut(BaseModel):
    show_id: str
    code: str
    show_name: str
    singer_id: str
    name: str
    status: Literal["open", "closed"]
    blocked: bool
    singing_now: MySongOut | None
    requests: list[MySongOut]


class OnMyWayOut(BaseModel):
    request_id: str
    on_my_way: bool


class PastSongOut(BaseModel):
    song: SongOut
    sung_at: UtcTimestamp

    @classmethod
    def of(cls, past: PastSong) -> PastSongOut:
        return cls(song=SongOut.of(past.song), sung_at=past.sung_at)


class AgainOut(BaseModel):
    items: list[PastSongOut]


class FavouritesOut(BaseModel):
    items: list[SongOut]


class FavouriteOut(BaseModel):
    song: SongOut
    added: bool


class LinkBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    link_code: str = Field(min_length=1, max_length=LINK_CODE_MAX,
                           description="The code `/link` answered in a private chat with the bot (any case, spaces "
                                       "and dashes ignored)")


class LinkedOut(BaseModel):
    name: str
    accounts: list[str]
    message: str


# ---- routes ------------------------------------------------------------------------------------


@router.post("/{code}", status_code=201, response_model=JoinedOut, dependencies=WRITES)
async def join(
    code: Code,
    body: JoinBody,
    request: Request,
    response: Response,
    services: ServicesDep,
) -> JoinedOut:
    """Join the open show with this code as ``name``; answers the singer's id and sets the session cookie.
    Joining again from the same browser keeps the singer and changes their name.

    429 ``too-many-joins`` (with ``Retry-After``): while the KJ has blocked a singer of this show who joined
    from this address, new browsers from it join one a minute."""
    web = services.web
    try:
        joined = await web.join(code, body.name, web.sessions.read(request.cookies.get(WEB_COOKIE)),
                                address=client_of(request, services.access))
    except WebRefusal as refusal:
        raise _refused(refusal) from None
    response.set_cookie(WEB_COOKIE, web.sessions.token(joined.session), max_age=services.web_session_seconds,
                        path=COOKIE_PATH, httponly=True, samesite="strict",
                        secure=https_request(request, services.access))
    return JoinedOut(singer_id=joined.singer_id, show_id=joined.show_id, name=joined.name)


@router.post("/{code}/requests", status_code=201, response_model=WebRequestOut, dependencies=WRITES,
             responses=SESSION_RESPONSES)
async def request_song(body: WebRequestBody, session: SessionDep, web: WebDep) -> WebRequestOut:
    """Queue a song (its id from `GET /songs/search`) for this browser's singer, with the show's rules as in
    chat: ``limit-reached``, ``duplicate-song``, ``show-closed`` (409), ``blocked`` (403)."""
    try:
        accepted = await web.request(session, str(body.song_id))
    except WebRefusal as refusal:
        raise _refused(refusal) from None
    return WebRequestOut(request_id=accepted.request_id, position=accepted.position,
                         eta_seconds=accepted.eta_seconds, song=SongOut.of(accepted.song),
                         already_sung_tonight=accepted.already_sung_tonight)


@router.get("/{code}/me", response_model=MeOut, responses=SESSION_RESPONSES)
async def me(session: SessionDep, web: WebDep, response: Response) -> MeOut:
    """This browser's singer: their name and waiting songs with place (1 = next) and wait in seconds (both
    null while the KJ has them paused), and the song they sing now."""
    try:
        mine = await web.me(session)
    except WebRefusal as refusal:
        raise _refused(refusal) from None
    response.headers["Cache-Control"] = "no-store"
    return MeOut(
        show_id=mine.show_id, code=mine.code, show_name=mine.show_name, singer_id=mine.singer_id, name=mine.name,
        status="closed" if mine.closed else "open", blocked=mine.blocked,
        singing_now=MySongOut.of(mine.singing_now) if mine.singing_now else None,
        requests=[MySongOut.of(own) for own in mine.requests],
    )


@router.delete("/{code}/requests/{request_id}", status_code=204, dependencies=WRITES, responses=SESSION_RESPONSES)
async def withdraw(request_id: uuid.UUID, session: SessionDep, web: WebDep) -> Response:
    """Take back one of this browser's own songs (someone else's is 404)."""
    try:
        await web.withdraw(session, str(request_id))
    except WebRefusal as refusal:
        raise _refused(refusal) from None
    return Response(status_code=204)


@router.post("/{code}/requests/{request_id}/on-my-way", response_model=OnMyWayOut, dependencies=WRITES,
             responses=SESSION_RESPONSES)
async def on_my_way(request_id: uuid.UUID, session: SessionDep, web: WebDep) -> OnMyWayOut:
    """Called next (or up now) for this song: say you are coming, so the KJ is not asked whether to skip you.
    409 ``conflict`` once the call is over."""
    try:
        await web.on_my_way(session, str(request_id))
    except WebRefusal as refusal:
        raise _refused(refusal) from None
    return OnMyWayOut(request_id=str(request_id), on_my_way=True)


@router.get("/{code}/again", response_model=AgainOut, responses=SESSION_RESPONSES)
async def again(session: SessionDep, web: WebDep, response: Response) -> AgainOut:
    """The songs this browser's person sang on earlier nights (the latest first; their linked accounts'
    too), each to be requested again with `POST /join/{code}/requests`."""
    try:
        past = await web.again(session)
    except WebRefusal as refusal:
        raise _refused(refusal) from None
    response.headers["Cache-Control"] = "no-store"
    return AgainOut(items=[PastSongOut.of(p) for p in past])


@router.get("/{code}/favourites", response_model=FavouritesOut, responses=SESSION_RESPONSES)
async def favourites(session: SessionDep, web: WebDep, response: Response) -> FavouritesOut:
    """This browser's person's favourites, the most recently marked first (kept with `/fav` in chat too)."""
    try:
        songs = await web.favourites(session)
    except WebRefusal as refusal:
        raise _refused(refusal) from None
    response.headers["Cache-Control"] = "no-store"
    return FavouritesOut(items=[SongOut.of(song) for song in songs])


@router.put("/{code}/favourites/{song_id}", response_model=FavouriteOut, dependencies=WRITES,
            responses=SESSION_RESPONSES)
async def mark_favourite(song_id: uuid.UUID, session: SessionDep, web: WebDep) -> FavouriteOut:
    """Keep a catalog song among the favourites (``added`` is false when it already was one); 404 for a song
    not in the catalog."""
    try:
        song, added = await web.mark_favourite(session, str(song_id))
    except WebRefusal as refusal:
        raise _refused(refusal) from None
    return FavouriteOut(song=SongOut.of(song), added=added)


@router.delete("/{code}/favourites/{song_id}", status_code=204, dependencies=WRITES, responses=SESSION_RESPONSES)
async def unmark_favourite(song_id: uuid.UUID, session: SessionDep, web: WebDep) -> Response:
    """The song is no favourite any more; 404 when it was not one."""
    try:
        await web.unmark_favourite(session, str(song_id))
    except WebRefusal as refusal:
        raise _refused(refusal) from None
    return Response(status_code=204)


@router.post("/{code}/link", response_model=LinkedOut, dependencies=WRITES, responses={
    **SESSION_RESPONSES,
    400: {"model": ErrorEnvelope, "description": "`link-code-unknown`: not a code the bot gave out"},
})
async def link(body: LinkBody, session: SessionDep, request: Request, services: ServicesDep) -> LinkedOut:
    """Make this browser and a chat account one person with the code `/link` gave there (one-time, 10 minutes):
    one singer in every open show, one turn a round, favourites and earlier songs together. 409
    ``link-code-used`` or ``link-code-expired``; 429 ``too-many-attempts`` after 5 tries from this browser (or
    30 from this address) in 10 minutes."""
    try:
        linked = await services.web.link(session, body.link_code, address=client_of(request, services.access))
    except WebRefusal as refusal:
        raise _refused(refusal) from None
    return LinkedOut(name=linked.name, accounts=list(linked.accounts), message=linked.message)
