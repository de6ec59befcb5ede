"""The song catalog: CRUD and paged listing."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, ValidationInfo, field_validator
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.auth import AdminDep
from api.deps import CatalogDep, SearchDep
from api.errors import (
    AUTH_RESPONSES,
    ERROR_RESPONSES,
    NOT_FOUND_RESPONSES,
    ApiError,
    ErrorEnvelope,
    not_found,
)
from api.schemas import (
    CONTROL,
    NO_CONTROL_PATTERN,
    NOT_BLANK_PATTERN,
    WHOLE,
    PageNumber,
    UtcTimestamp,
    name_field,
    name_text,
)
from core.catalog import (
    BUCKET_MAX,
    DURATION_MAX,
    EXTERNAL_ID_MAX,
    KEY_MAX,
    LANGUAGE_MAX,
    TAG_MAX,
    TAGS_MAX,
    TEXT_MAX,
    YEAR_MAX,
    YEAR_MIN,
    CatalogError,
    ExternalIdTaken,
    MediaFile,
    Song,
    SongDraft,
    SongPatch,
    SongQuery,
    checked_tags,
    checked_text,
    has_control_characters,
)
from core.catalog.search import MAX_QUERY, SearchNotReady

router = APIRouter(prefix="/songs", tags=["songs"], responses=ERROR_RESPONSES)


class MediaFileBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    bucket: str = Field(min_length=1, max_length=BUCKET_MAX, json_schema_extra={"pattern": NO_CONTROL_PATTERN})
    key: str = Field(min_length=1, max_length=KEY_MAX, json_schema_extra={"pattern": NO_CONTROL_PATTERN})

    @field_validator("bucket", "key")
    @classmethod
    def _printable(cls, value: str) -> str:
        if has_control_characters(value):
            raise ValueError("must not contain control characters")
        return value


Duration = Annotated[StrictInt, Field(ge=0, le=DURATION_MAX, description="Length in whole seconds"), WHOLE]
Year = Annotated[StrictInt, Field(ge=YEAR_MIN, le=YEAR_MAX), WHOLE]
# Tags are trimmed and blank ones dropped, so whitespace is fine; control characters are not.
Tag = Annotated[str, Field(max_length=TAG_MAX, json_schema_extra={"pattern": rf"^[^{CONTROL}]*$"})]



def _clean(field: str, value: Any, maximum: int = TEXT_MAX) -> Any:
    if value is None or not isinstance(value, str):
        return value
    try:
        return checked_text(field, value, maximum=maximum)
    except CatalogError as error:
        raise ValueError(error.reason) from None


def _maximum(info: ValidationInfo) -> int:
    return {"language": LANGUAGE_MAX, "external_id": EXTERNAL_ID_MAX}.get(str(info.field_name), TEXT_MAX)


def _clean_tags(value: list[str]) -> list[str]:
    try:
        return list(checked_tags(value))
    except CatalogError as error:
        raise ValueError(error.reason) from None


class SongCreate(BaseModel):
    """A new song. Title and artist are trimmed and inner whitespace collapsed: 1..200 characters after."""

    model_config = ConfigDict(extra="forbid")
    title: str = name_field(TEXT_MAX)
    artist: str = name_field(TEXT_MAX)
    duration: Duration | None = None
    media_file: MediaFileBody | None = None
    year: Year | None = None
    language: Annotated[str, name_text(LANGUAGE_MAX)] | None = None
    tags: list[Tag] = Field(default_factory=list, max_length=TAGS_MAX)
    duet: StrictBool = False
    explicit: StrictBool = False
    external_id: Annotated[str, name_text(EXTERNAL_ID_MAX)] | None = None

    @field_validator("title", "artist", "language", "external_id")
    @classmethod
    def _cleaned(cls, value: Any, info: ValidationInfo) -> Any:
        return _clean(str(info.field_name), value, _maximum(info))

    @field_validator("tags")
    @classmethod
    def _cleaned_tags(cls, value: list[str]) -> list[str]:
        return _clean_tags(value)

    def draft(self) -> SongDraft:
        media = self.media_file
        return SongDraft(
            title=self.title,
            artist=self.artist,
            duration=self.duration,
            media_file=MediaFile(media.bucket, media.key) if media else None,
            year=self.year,
            language=self.language,
            tags=tuple(self.tags),
            duet=self.duet,
            explicit=self.explicit,
            external_id=self.external_id,
        )


_ABSENT: Any = None  # the default of a PATCH field that may be left out but never set to null


class SongUpdate(BaseModel):
    """A partial change: only the fields present are changed; ``null`` clears an optional field."""

    model_config = ConfigDict(extra="forbid")
    # Defaults are never validated, so an absent field stays absent while an explicit null is refused.
    title: str = name_field(TEXT_MAX, default=_ABSENT)
    artist: str = name_field(TEXT_MAX, default=_ABSENT)
    duration: Duration | None = None
    media_file: MediaFileBody | None = None
    year: Year | None = None
    language: Annotated[str, name_text(LANGUAGE_MAX)] | None = None
    tags: list[Tag] = Field(default=_ABSENT, max_length=TAGS_MAX)
    duet: StrictBool = Field(default=_ABSENT)
    explicit: StrictBool = Field(default=_ABSENT)

    @field_validator("title", "artist", "language")
    @classmethod
    def _cleaned(cls, value: Any, info: ValidationInfo) -> Any:
        return _clean(str(info.field_name), value, _maximum(info))

    @field_validator("tags")
    @classmethod
    def _cleaned_tags(cls, value: list[str]) -> list[str]:
        return _clean_tags(value)

    def patch(self) -> SongPatch:
        values: dict[str, Any] = {name: getattr(self, name) for name in self.model_fields_set}
        if "media_file" in values and values["media_file"] is not None:
            media = values["media_file"]
            values["media_file"] = MediaFile(media.bucket, media.key)
        if "tags" in values:
            values["tags"] = tuple(values["tags"])
        return SongPatch(**values)


class MediaFileOut(BaseModel):
    bucket: str
    key: str


class SongOut(BaseModel):
    song_id: uuid.UUID
    title: str
    artist: str
    duration: int | None
    media_file: MediaFileOut | None
    year: int | None
    language: str | None
    tags: list[str]
    duet: bool
    explicit: bool
    external_id: str | None
    created_at: UtcTimestamp
    updated_at: UtcTimestamp

    @classmethod
    def of(cls, song: Song) -> SongOut:
        media = song.media_file
        return cls(
            song_id=uuid.UUID(song.song_id),
            title=song.title,
            artist=song.artist,
            duration=song.duration,
            media_file=MediaFileOut(bucket=media.bucket, key=media.key) if media else None,
            year=song.year,
            language=song.language,
            tags=list(song.tags),
            duet=song.duet,
            explicit=song.explicit,
            external_id=song.external_id,
            created_at=song.created_at,
            updated_at=song.updated_at,
        )


class SongList(BaseModel):
    items: list[SongOut]
    page: int
    limit: int
    total: int
    has_next: bool


def _query_text(value: str) -> str:
    if has_control_characters(value):
        raise ApiError(400, "validation-error", "The request is not valid.",
                       field_errors=[("q", "must not contain control characters")])
    return value


@router.get("", response_model=SongList)
async def list_songs(
    catalog: CatalogDep,
    q: Annotated[
        str, Query(max_length=TEXT_MAX, description="Case-insensitive contains on title or artist",
                   json_schema_extra={"pattern": NO_CONTROL_PATTERN})
    ] = "",
    page: PageNumber = 1,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    sort: Literal["title", "artist", "created_at", "updated_at", "duration"] = "title",
    order: Literal["asc", "desc"] = "asc",
) -> SongList:
    """A stable page of the catalog; ties are broken by ``song_id``."""
    q = _query_text(q)
    result = await catalog.list_songs(SongQuery(q=q or None, page=page, limit=limit, sort=sort, order=order))
    return SongList(
        items=[SongOut.of(s) for s in result.items],
        page=page,
        limit=limit,
        total=result.total,
        has_next=page * limit < result.total,
    )


class SearchItem(BaseModel):
    song_id: uuid.UUID
    title: str
    artist: str
    duration: int | None
    year: int | None
    language: str | None
    duet: bool
    score: float = Field(ge=0, le=100, description="How well the song matched, 0..100")


class SearchOut(BaseModel):
    items: list[SearchItem]
    confident: bool = Field(description="The first item is sure enough to take without asking")


@router.get(
    "/search",
    response_model=SearchOut,
    responses={503: {"model": ErrorEnvelope, "description": "The search index is still being built"}},
)
async def search_songs(
    search: SearchDep,
    q: Annotated[str, Query(description="What the singer typed: title, artist or both, typos welcome",
                            json_schema_extra={"pattern": NOT_BLANK_PATTERN, "maxLength": MAX_QUERY})],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> JSONResponse:
    """Fuzzy catalog search, best match first, each with a 0..100 score."""
    if not q.strip():
        raise ApiError(400, "validation-error", "Type something to search for.",
                       field_errors=[("q", "must not be empty")])
    if len(q) > MAX_QUERY:
        raise ApiError(400, "validation-error", "The search is too long.",
                       field_errors=[("q", f"must be at most {MAX_QUERY} characters")])
    try:
        result = await search.search(q, limit)
    except SearchNotReady:
        raise ApiError(503, "unavailable", "Search is warming up; try again in a few seconds.") from None
    # Written as JSON here in one step, in ``SearchOut``'s shape: a songbook searches on every keystroke, and
    # building ``SearchOut`` only for FastAPI to validate it again and then serialize it was a fifth of what the
    # route cost beyond the search itself (issue 14). The songs come from the catalog, valid as stored.
    return JSONResponse({
        "items": [
            {"song_id": found.song.song_id, "title": found.song.title, "artist": found.song.artist,
             "duration": found.song.duration, "year": found.song.year, "language": found.song.language,
             "duet": found.song.duet, "score": round(min(max(found.score, 0.0), 100.0), 1)}
            for found in result.items
        ],
        "confident": result.confident,
    })


# Without this, PATCH or DELETE /songs/search would reach the /songs/{song_id} routes and be refused as a bad id.
@router.api_route("/search", methods=["POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
async def search_is_read_only() -> None:
    """``/songs/search`` is a fixed path, never a song id: every other method is 405 (the handler names GET)."""
    raise StarletteHTTPException(405)


@router.post(
    "",
    status_code=201,
    response_model=SongOut,
    dependencies=[AdminDep],
    responses={**AUTH_RESPONSES, 409: {"model": ErrorEnvelope, "description": "external_id already used"}},
)
async def create_song(body: SongCreate, catalog: CatalogDep, response: Response) -> SongOut:
    """Add a song. Answers 201 with its ``Location``."""
    try:
        song = await catalog.add_song(body.draft())
    except ExternalIdTaken:
        raise ApiError(409, "conflict", "A song with this external_id already exists.") from None
    response.headers["Location"] = f"/api/v1/songs/{song.song_id}"
    return SongOut.of(song)


@router.get("/{song_id}", response_model=SongOut, responses=NOT_FOUND_RESPONSES)
async def get_song(song_id: uuid.UUID, catalog: CatalogDep) -> SongOut:
    """One song."""
    song = await catalog.get_song(str(song_id))
    if song is None:
        raise not_found("Song")
    return SongOut.of(song)


@router.patch(
    "/{song_id}",
    response_model=SongOut,
    dependencies=[AdminDep],
    responses={**AUTH_RESPONSES, **NOT_FOUND_RESPONSES},
)
async def update_song(song_id: uuid.UUID, body: SongUpdate, catalog: CatalogDep) -> SongOut:
    """Change some fields of a song."""
    song = await catalog.change_song(str(song_id), body.patch())
    if song is None:
        raise not_found("Song")
    return SongOut.of(song)


@router.delete(
    "/{song_id}",
    status_code=204,
    dependencies=[AdminDep],
    responses={**AUTH_RESPONSES, **NOT_FOUND_RESPONSES},
)
async def delete_song(song_id: uuid.UUID, catalog: CatalogDep) -> Response:
    """Remove a song; a second delete answers 404."""
    if not await catalog.remove_song(str(song_id)):
        raise not_found("Song")
    return Response(status_code=204)
