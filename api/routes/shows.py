"""Shows and their rotation: open, request, advance, skip, pause, move, undo; queue, history, log.

Routes translate HTTP to rotation commands and results back to JSON; every rule lives in
``core.rotation``. Writes need the admin token, and so does the raw event log (it holds platform user
ids); the shows, their queue and history are public (the venue screen reads them) and name singers
only by name.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import uuid
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, field_validator

from api.auth import AdminDep
from api.deps import CatalogDep, MaxOpenShowsDep, PeopleDep, PerformancesDep, RotationDep, ServicesDep
from api.errors import AUTH_RESPONSES, ERROR_RESPONSES, ApiError, ErrorEnvelope, not_found
from api.routes.performances import CSV_COLUMNS, csv_response
from api.schemas import WHOLE, PageNumber, UtcTimestamp, name_field, name_text
from core.access import IdempotencyKeys
from core.catalog import TEXT_MAX, CatalogError, checked_text
from core.rotation import (
    SETTING_BOUNDS,
    AdvanceQueue,
    BlockSinger,
    BumpSinger,
    ChangeShowSettings,
    CloseShow,
    Command,
    InvalidSettings,
    MoveRequest,
    NotFound,
    PauseSinger,
    Policy,
    QueueView,
    RemoveRequest,
    ResumeSinger,
    RotationError,
    RotationService,
    ShowSettings,
    ShowState,
    ShowSummary,
    SingerRef,
    SkipSinger,
    Slot,
    SongRef,
    UnblockSinger,
    Undo,
    VoidPerformance,
    event_to_dict,
)

_Route = TypeVar("_Route", bound=Callable[..., Any])

# A well-formed command the show's state refuses ("invalid": nobody to advance to, a position past the end of
# the line) is a conflict, 409, like the rest of its rules: only settings out of range are bad input.
_STATUS = {
    "not-found": 404,
    "invalid-settings": 400,
    "busy": 503,
}

router = APIRouter(
    prefix="/shows",
    tags=["shows"],
    responses={
        **ERROR_RESPONSES,
        404: {"model": ErrorEnvelope, "description": "No such show, request or singer"},
        409: {"model": ErrorEnvelope, "description": "Refused by the show's rules"},
        422: {"model": ErrorEnvelope, "description": "The Idempotency-Key was first used with another request"},
        503: {"model": ErrorEnvelope, "description": "Too busy; try again"},
    },
)


Key = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=150,
        description="Send the same key again to repeat a command safely: it is applied once.",
    ),
]


def rotation_error(error: RotationError) -> ApiError:
    """The envelope for a refusal from the rotation's rules."""
    return ApiError(_STATUS.get(error.code, 409), error.code, str(error.message))


def _fingerprint(request: Request, body: bytes) -> str:
    # JSON is compared as data (key order and spacing aside); anything else byte for byte.
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode() if body else b""
    except (ValueError, RecursionError):
        canonical = body
    path = request.url.path.lower().encode()  # ids in the path are case-insensitive UUIDs
    return hashlib.sha256(request.method.encode() + b" " + path + b"\n" + canonical).hexdigest()


class CommandKey:
    """The request's ``Idempotency-Key``, made a command id once it is known to name this request alone.

    The rotation applies a command id once and answers a repeat with the first result; a key first used
    with another request (another body or target) is refused with 422 instead of answered with the
    first one's result. The binding is kept in the database, so it holds across instances.
    """

    def __init__(self, key: str | None, fingerprint: str, keys: IdempotencyKeys) -> None:
        self.key, self._fingerprint, self._keys = key, fingerprint, keys

    async def command_id(self, kind: str, show_id: uuid.UUID | None = None) -> str:
        # Namespaced by kind, so one key reused for two different commands cannot collide.
        if self.key is None:
            return f"{kind}:{uuid.uuid4()}"
        show = str(show_id) if show_id else None
        if not await self._keys.claim(f"{show or '-'}:{kind}:{self.key}", self._fingerprint, show_id=show):
            raise ApiError(422, "idempotency-key-reused",
                           "This Idempotency-Key was already used with a different request; use a new key.")
        return f"{kind}:{self.key}"


async def _command_key(request: Request, services: ServicesDep, key: Key = None) -> CommandKey:
    fingerprint = _fingerprint(request, await request.body()) if key is not None else ""
    return CommandKey(key, fingerprint, services.idempotency)


KeyDep = Annotated[CommandKey, Depends(_command_key)]


# ---- wire shapes -------------------------------------------------------------------------------


def _bounded(name: str) -> Any:
    """An optional whole-number setting within the range the rotation allows (``SETTING_BOUNDS``)."""
    bounds = SETTING_BOUNDS[name]
    return Field(ge=bounds.low, le=bounds.high)


class SettingsBody(BaseModel):
    """Per-show rules; every field optional, defaults as shown."""

    model_config = ConfigDict(extra="forbid")
    policy: Policy | None = None
    max_pending: Annotated[StrictInt, _bounded("max_pending"), WHOLE] | None = None
    default_song_seconds: Annotated[StrictInt, _bounded("default_song_seconds"), WHOLE] | None = None
    changeover_seconds: Annotated[StrictInt, _bounded("changeover_seconds"), WHOLE] | None = None
    heads_up_position: Annotated[StrictInt, _bounded("heads_up_position"), WHOLE] | None = None
    reminder_minutes: Annotated[StrictInt, _bounded("reminder_minutes"), WHOLE] | None = None
    no_show_timeout_seconds: Annotated[StrictInt, _bounded("no_show_timeout_seconds"), WHOLE] | None = None
    auto_skip: StrictBool | None = None
    idle_close_hours: Annotated[StrictInt, _bounded("idle_close_hours"), WHOLE] | None = None

    def apply_to(self, settings: ShowSettings) -> ShowSettings:
        try:
            return dataclasses.replace(settings, **self.model_dump(exclude_none=True))
        except InvalidSettings as error:
            raise ApiError(400, "validation-error", str(error.message)) from None


class SettingsOut(BaseModel):
    policy: Policy
    max_pending: int
    default_song_seconds: int
    changeover_seconds: int
    heads_up_position: int
    reminder_minutes: int
    no_show_timeout_seconds: int
    auto_skip: bool
    idle_close_hours: int


def _text(field: str, value: str) -> str:
    try:
        return checked_text(field, value)
    except CatalogError as error:
        raise ValueError(error.reason) from None


class ShowCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = name_field(TEXT_MAX)
    settings: SettingsBody | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _text("name", value)


class ShowChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    settings: SettingsBody


class ShowOut(BaseModel):
    show_id: uuid.UUID
    code: str
    name: str
    status: Literal["open", "closed"]
    settings: SettingsOut
    created_at: UtcTimestamp
    version: int

    @classmethod
    def of(cls, state: ShowState) -> ShowOut:
        return cls.listed(state.summary())

    @classmethod
    def listed(cls, summary: ShowSummary) -> ShowOut:
        return cls(
            show_id=uuid.UUID(summary.show_id),
            code=summary.code,
            name=summary.name,
            status="closed" if summary.closed else "open",
            settings=SettingsOut(**dataclasses.asdict(summary.settings)),
            created_at=summary.opened_at,
            version=summary.version,
        )


class ShowList(BaseModel):
    items: list[ShowOut]
    page: int
    limit: int
    total: int
    has_next: bool


class SingerBody(BaseModel):
    # platform and user_id come together or not at all (``ref`` refuses one without the other).
    model_config = ConfigDict(extra="forbid", json_schema_extra={"anyOf": [
        {"required": ["platform", "user_id"],
         "properties": {"platform": {"type": "string"}, "user_id": {"type": "string"}}},
        {"properties": {"platform": {"type": "null"}, "user_id": {"type": "null"}}},
    ]})
    name: str = name_field(TEXT_MAX)
    platform: Annotated[str, name_text(40)] | None = None
    user_id: Annotated[str, name_text(200)] | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _text("name", value)

    @field_validator("platform", "user_id")
    @classmethod
    def _ident(cls, value: str | None) -> str | None:
        return None if value is None else _text("singer", value)

    def ref(self) -> SingerRef:
        if (self.platform is None) != (self.user_id is None):
            raise ApiError(
                400,
                "validation-error",
                "A singer needs both platform and user_id, or neither.",
                field_errors=[("singer", "platform and user_id go together")],
            )
        return SingerRef(platform=self.platform, user_id=self.user_id, name=self.name)


class RequestCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    singer: SingerBody
    song_id: uuid.UUID


class SingerOut(BaseModel):
    singer_id: str
    name: str


class SongBrief(BaseModel):
    song_id: str
    title: str
    artist: str


class SongInSlot(SongBrief):
    duration: int | None


class RequestOut(BaseModel):
    request_id: str
    singer: SingerOut
    song: SongBrief
    status: Literal["pending"]
    position: int | None
    already_sung_tonight: bool


class MoveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    position: Annotated[StrictInt, Field(ge=1, le=10_000), WHOLE]


class SlotOut(BaseModel):
    request_id: str
    singer: SingerOut
    song: SongInSlot
    position: int
    eta_seconds: int

    @classmethod
    def of(cls, slot: Slot) -> SlotOut:
        song = slot.song
        return cls(
            request_id=slot.request_id,
            singer=SingerOut(singer_id=slot.singer.singer_id, name=slot.singer.name),
            song=SongInSlot(song_id=song.song_id, title=song.title, artist=song.artist, duration=song.duration),
            position=slot.position,
            eta_seconds=slot.eta_seconds,
        )


class QueueOut(BaseModel):
    now: SlotOut | None
    upcoming: list[SlotOut]
    version: int

    @classmethod
    def of(cls, view: QueueView) -> QueueOut:
        return cls(
            now=SlotOut.of(view.now) if view.now else None,
            upcoming=[SlotOut.of(s) for s in view.upcoming],
            version=view.version,
        )


class HistoryItem(BaseModel):
    request_id: str
    singer: SingerOut
    song: SongInSlot
    outcome: Literal["sung", "skipped", "voided"]
    started_at: UtcTimestamp
    finished_at: UtcTimestamp


class HistoryOut(BaseModel):
    items: list[HistoryItem]


class LogEntry(BaseModel):
    seq: int
    type: str
    occurred_at: UtcTimestamp
    data: dict[str, Any]


class LogOut(BaseModel):
    show_id: str
    version: int
    items: list[LogEntry]


# ---- helpers -----------------------------------------------------------------------------------


async def _state(rotation: RotationService, show_id: uuid.UUID) -> ShowState:
    try:
        return await rotation.state(str(show_id))
    except NotFound:
        raise not_found("Show") from None


async def _run(rotation: RotationService, show_id: uuid.UUID, command: Command) -> QueueOut:
    # An unknown show is refused by the rotation itself (not-found, 404); no read beforehand.
    try:
        await rotation.execute(str(show_id), command)
    except RotationError as error:
        raise rotation_error(error) from None
    return QueueOut.of(await rotation.queue(str(show_id)))


# ---- routes ------------------------------------------------------------------------------------


@router.post("", status_code=201, response_model=ShowOut, dependencies=[AdminDep], responses=AUTH_RESPONSES)
async def open_show(
    body: ShowCreate,
    rotation: RotationDep,
    services: ServicesDep,
    max_open: MaxOpenShowsDep,
    response: Response,
    key: KeyDep,
) -> ShowOut:
    """Open a show; answers its id and the short join code singers type.

    Refused with 409 ``too-many-open-shows`` while the service already has its most shows open
    (``KARAOKE_MAX_OPEN_SHOWS``); closing one makes room.
    """
    settings = body.settings.apply_to(ShowSettings()) if body.settings else ShowSettings()
    async with services.opening_turn():
        open_now = (await rotation.list_shows("open", limit=1)).total
        if open_now >= max_open:
            raise ApiError(409, "too-many-open-shows",
                           f"{open_now} shows are open, the most this service runs at once. Close one first.")
        try:
            started = await rotation.open_show(await key.command_id("open"), body.name, settings)
        except RotationError as error:
            raise rotation_error(error) from None
    response.headers["Location"] = f"/api/v1/shows/{started.show_id}"
    return ShowOut.of(await rotation.state(started.show_id))


@router.get("", response_model=ShowList)
async def list_shows(
    rotation: RotationDep,
    status: Annotated[Literal["open", "closed"] | None, Query()] = None,
    page: PageNumber = 1,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> ShowList:
    """Shows, newest first, a page at a time; ``status`` filters open or closed ones."""
    found = await rotation.list_shows(status, page=page, limit=limit)
    return ShowList(
        items=[ShowOut.listed(summary) for summary in found.items],
        page=page,
        limit=limit,
        total=found.total,
        has_next=page * limit < found.total,
    )


@router.get("/{show_id}", response_model=ShowOut)
async def get_show(show_id: uuid.UUID, rotation: RotationDep) -> ShowOut:
    """One show with its settings."""
    return ShowOut.of(await _state(rotation, show_id))


@router.patch("/{show_id}", response_model=ShowOut, dependencies=[AdminDep], responses=AUTH_RESPONSES)
async def change_show(
    show_id: uuid.UUID, body: ShowChange, rotation: RotationDep, key: KeyDep
) -> ShowOut:
    """Change some of the show's settings."""
    state = await _state(rotation, show_id)
    await _run(
        rotation, show_id,
        ChangeShowSettings(await key.command_id("settings", show_id), body.settings.apply_to(state.settings)),
    )
    return ShowOut.of(await _state(rotation, show_id))


@router.post("/{show_id}/close", response_model=ShowOut, dependencies=[AdminDep], responses=AUTH_RESPONSES)
async def close_show(show_id: uuid.UUID, rotation: RotationDep, key: KeyDep) -> ShowOut:
    """End the show; it accepts nothing afterwards."""
    await _run(rotation, show_id, CloseShow(await key.command_id("close", show_id)))
    return ShowOut.of(await _state(rotation, show_id))


@router.post(
    "/{show_id}/requests",
    status_code=201,
    response_model=RequestOut,
    dependencies=[AdminDep],
    responses={
        **AUTH_RESPONSES,
        422: {"model": ErrorEnvelope, "description": "The Idempotency-Key was used before with another body"},
    },
)
async def request_song(
    show_id: uuid.UUID,
    body: RequestCreate,
    rotation: RotationDep,
    catalog: CatalogDep,
    people: PeopleDep,
    key: KeyDep,
) -> RequestOut:
    """Queue a song for a singer, found as the chat finds them: a chat account by platform and user_id is its
    person (linked accounts are one singer); a name alone is whom the KJ means, as with chat's ``/add``: the
    show's singer who goes by that name, else a new walk-in."""
    given = body.singer.ref()
    state = await _state(rotation, show_id)
    song = await catalog.get_song(str(body.song_id))
    if song is None:
        raise not_found("Song")
    ref = SongRef(song_id=song.song_id, title=song.title, artist=song.artist, duration=song.duration)
    try:
        command_id = await key.command_id("request", show_id)
        if given.platform is not None and given.user_id is not None:
            singer = await people.singer(given.platform, given.user_id, given.name)
        else:
            singer = await people.walk_in(state, given.name, command_id)
        accepted = await rotation.request_song(str(show_id), command_id, singer, ref)
    except RotationError as error:
        raise rotation_error(error) from None
    return RequestOut(
        request_id=accepted.request_id,
        singer=SingerOut(singer_id=accepted.singer_id, name=accepted.singer_name),
        song=SongBrief(song_id=accepted.song.song_id, title=accepted.song.title, artist=accepted.song.artist),
        status="pending",
        position=accepted.position,
        already_sung_tonight=accepted.already_sung_tonight,
    )


@router.delete("/{show_id}/requests/{request_id}", status_code=204, dependencies=[AdminDep], responses=AUTH_RESPONSES)
async def remove_request(
    show_id: uuid.UUID, request_id: uuid.UUID, rotation: RotationDep, key: KeyDep
) -> Response:
    """Withdraw a pending request (as the KJ; it can be undone)."""
    await _run(rotation, show_id, RemoveRequest(await key.command_id("remove", show_id), str(request_id)))
    return Response(status_code=204)


@router.get("/{show_id}/queue", response_model=QueueOut)
async def queue(show_id: uuid.UUID, rotation: RotationDep) -> QueueOut:
    """Who sings now and the predicted order after, with ETAs in seconds."""
    await _state(rotation, show_id)
    return QueueOut.of(await rotation.queue(str(show_id)))


def _kj_action(path: str) -> Callable[[_Route], _Route]:
    """Route decorator for a KJ action: admin only, answers the queue after the action."""
    return router.post(path, dependencies=[AdminDep], response_model=QueueOut, responses=AUTH_RESPONSES)


@_kj_action("/{show_id}/advance")
async def advance(show_id: uuid.UUID, rotation: RotationDep, key: KeyDep) -> QueueOut:
    """The current performance finishes and the next one starts; answers the new queue."""
    return await _run(rotation, show_id, AdvanceQueue(await key.command_id("advance", show_id)))


class SkipBody(BaseModel):
    """Whom to skip: the singer called next (the default), or the one at the mic who never came."""

    model_config = ConfigDict(extra="forbid")
    who: Literal["called", "now"] = "called"


@_kj_action("/{show_id}/skip")
async def skip(show_id: uuid.UUID, rotation: RotationDep, key: KeyDep, body: SkipBody | None = None) -> QueueOut:
    """Pass over the called singer (their turn this round is used, their song stays, the next one is called;
    whoever sings goes on), or with ``{"who": "now"}`` void the performance at the mic (not counted as
    sung, the song stays) and start the called singer."""
    if body is not None and body.who == "now":
        return await _run(rotation, show_id, VoidPerformance(await key.command_id("skip-now", show_id)))
    return await _run(rotation, show_id, SkipSinger(await key.command_id("skip", show_id)))


@_kj_action("/{show_id}/undo")
async def undo(show_id: uuid.UUID, rotation: RotationDep, key: KeyDep) -> QueueOut:
    """Revert the last KJ action by appending its compensating event."""
    return await _run(rotation, show_id, Undo(await key.command_id("undo", show_id)))


@_kj_action("/{show_id}/singers/{singer_id}/pause")
async def pause(
    show_id: uuid.UUID, singer_id: uuid.UUID, rotation: RotationDep, key: KeyDep
) -> QueueOut:
    """Pass the singer over until resumed; they keep their place and requests."""
    return await _run(rotation, show_id, PauseSinger(await key.command_id("pause", show_id), str(singer_id)))


@_kj_action("/{show_id}/singers/{singer_id}/resume")
async def resume(
    show_id: uuid.UUID, singer_id: uuid.UUID, rotation: RotationDep, key: KeyDep
) -> QueueOut:
    """Bring a paused singer back at their place."""
    command_id = await key.command_id("resume", show_id)
    return await _run(rotation, show_id, ResumeSinger(command_id, str(singer_id)))


@_kj_action("/{show_id}/singers/{singer_id}/bump")
async def bump(
    show_id: uuid.UUID, singer_id: uuid.UUID, rotation: RotationDep, key: KeyDep
) -> QueueOut:
    """Make the singer's next request first in line."""
    return await _run(rotation, show_id, BumpSinger(await key.command_id("bump", show_id), str(singer_id)))


@_kj_action("/{show_id}/singers/{singer_id}/block")
async def block(
    show_id: uuid.UUID, singer_id: uuid.UUID, rotation: RotationDep, key: KeyDep
) -> QueueOut:
    """Take no more songs from the singer in this show; their waiting songs leave the queue (not undoable)."""
    return await _run(rotation, show_id, BlockSinger(await key.command_id("block", show_id), str(singer_id)))


@_kj_action("/{show_id}/singers/{singer_id}/unblock")
async def unblock(
    show_id: uuid.UUID, singer_id: uuid.UUID, rotation: RotationDep, key: KeyDep
) -> QueueOut:
    """Take songs from a blocked singer again (the songs taken out when blocked stay out)."""
    return await _run(rotation, show_id, UnblockSinger(await key.command_id("unblock", show_id), str(singer_id)))


@_kj_action("/{show_id}/requests/{request_id}/move")
async def move(
    show_id: uuid.UUID, request_id: uuid.UUID, body: MoveBody, rotation: RotationDep, key: KeyDep
) -> QueueOut:
    """Put a pending request at ``position`` (1 = next) of the upcoming list."""
    command_id = await key.command_id("move", show_id)
    return await _run(rotation, show_id, MoveRequest(command_id, str(request_id), body.position))


@router.get(
    "/{show_id}/history",
    response_model=HistoryOut,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}},
                     "description": "JSON as below, or with `format=csv` a CSV download: a header row (`"
                                    + ",".join(CSV_COLUMNS) + "`), then one row per performance, names only"}},
)
async def show_history(
    show_id: uuid.UUID,
    rotation: RotationDep,
    performances: PerformancesDep,
    format: Annotated[Literal["json", "csv"], Query(description="`csv` for a spreadsheet")] = "json",
) -> HistoryOut | Response:
    """Performances sung and singers skipped, oldest first; ``format=csv``: every performance as a CSV file
    (sung, skipped, no-show, voided, unfinished), names only."""
    state = await _state(rotation, show_id)
    if format == "csv":
        return csv_response(state, await performances.of_show(state.show_id))
    items = [
        HistoryItem(
            request_id=entry.request_id,
            singer=SingerOut(singer_id=entry.singer_id, name=state.singers[entry.singer_id].name),
            song=SongInSlot(
                song_id=entry.song.song_id,
                title=entry.song.title,
                artist=entry.song.artist,
                duration=entry.song.duration,
            ),
            outcome=entry.outcome,
            started_at=entry.started_at,
            finished_at=entry.finished_at,
        )
        for entry in state.history
    ]
    return HistoryOut(items=items)


@router.get("/{show_id}/log", response_model=LogOut, dependencies=[AdminDep], responses=AUTH_RESPONSES)
async def show_log(show_id: uuid.UUID, rotation: RotationDep) -> LogOut:
    """The show's event stream, exactly as stored: seq, type and data of every event (KJ only: it holds the
    singers' platform ids)."""
    await _state(rotation, show_id)
    events = await rotation.log(str(show_id))
    items = []
    for seq, event in enumerate(events, start=1):
        kind, data = event_to_dict(event)
        items.append(LogEntry(seq=seq, type=kind, occurred_at=event.occurred_at, data=data))
    return LogOut(show_id=str(show_id), version=len(events), items=items)
