"""The song catalog: what a song is, how it is stored, changed, imported and searched.

- ``song``: ``Song`` and ``SongDraft``, and the rules every field obeys (``checked_*``, the limits), so
  the API, the importers and the bots clean and check song text the same way.
- ``store``: the ``SongStore`` port (``storage.songs.SqlSongStore`` in production) and its page queries.
- ``service``: ``CatalogService``, the use cases (add, change, remove, list, import idempotently), telling
  ``CatalogListener``s such as the search index about every change.
- ``importers``: the KaraFun export, plain CSV files and media folders, parsed into ``ImportRow``s.
- ``search``: fuzzy search (normalisation, the index, ``CatalogSearch``).
"""

from core.catalog.service import (
    UNSET,
    CatalogListener,
    CatalogService,
    ImportReport,
    ImportRow,
    SongPatch,
)
from core.catalog.song import (
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
    MediaFile,
    Song,
    SongDraft,
    checked_duration,
    checked_media_file,
    checked_tags,
    checked_text,
    checked_year,
    clean_text,
    has_control_characters,
    match_key,
    sort_key,
)
from core.catalog.store import (
    SORT_FIELDS,
    ExternalIdTaken,
    ImportMatch,
    SongPage,
    SongQuery,
    SongStore,
    SortField,
    SortOrder,
)

__all__ = [
    "BUCKET_MAX",
    "DURATION_MAX",
    "EXTERNAL_ID_MAX",
    "KEY_MAX",
    "LANGUAGE_MAX",
    "SORT_FIELDS",
    "TAGS_MAX",
    "TAG_MAX",
    "TEXT_MAX",
    "UNSET",
    "YEAR_MAX",
    "YEAR_MIN",
    "CatalogError",
    "CatalogListener",
    "CatalogService",
    "ExternalIdTaken",
    "ImportMatch",
    "ImportReport",
    "ImportRow",
    "MediaFile",
    "Song",
    "SongDraft",
    "SongPage",
    "SongPatch",
    "SongQuery",
    "SongStore",
    "SortField",
    "SortOrder",
    "checked_duration",
    "checked_media_file",
    "checked_tags",
    "checked_text",
    "checked_year",
    "clean_text",
    "has_control_characters",
    "match_key",
    "sort_key",
]
