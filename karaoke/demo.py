"""Loading the demo catalog (``serve --demo``, ``chat --demo``) so that a load cut short is finished at the next start.

The import itself is idempotent (rows are matched by their source id, else by title and artist) and writes
its rows in batches, each batch in one transaction, in the order of the file. So the file's last row being
in the catalog is the mark that the demo import completed: every earlier batch was committed before it.
The file's first row being there while the last is not means a load was interrupted; it is run again
(what is there already counts as unchanged) until the last row is in. A catalog holding neither is
someone's own catalog, and the demo is not loaded into it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator
from pathlib import Path

from core.catalog import ImportReport, match_key
from core.catalog.importers import parse_catalog
from core.catalog.song import SongDraft
from storage.songs import SqlSongStore

logger = logging.getLogger(__name__)

# How much of the file's end is read to find its last row without parsing all of it.
_TAIL_BYTES = 64 * 1024
ATTEMPTS = 5
RETRY_SECONDS = 2.0


def _drafts(lines: Iterable[str]) -> Iterator[SongDraft]:
    return (row.draft for row in parse_catalog(lines) if row.draft is not None)


def _last(drafts: Iterable[SongDraft]) -> SongDraft | None:
    last = None
    for draft in drafts:
        last = draft
    return last


def first_and_last(path: Path) -> tuple[SongDraft, SongDraft] | None:
    """The first and the last importable row of the file at ``path``; ``None`` when it has none."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header = handle.readline()
        first = next(_drafts([header, *handle]), None)
    if first is None:
        return None
    with path.open("rb") as raw:
        size = raw.seek(0, 2)
        raw.seek(max(0, size - _TAIL_BYTES))
        tail = raw.read().decode("utf-8", errors="replace").splitlines(keepends=True)
    # The tail's first line may be cut (or is the header itself); the rest are whole lines, parsed under the header.
    last = _last(_drafts([header, *tail[1:]]))
    if last is None:  # a tail without a whole importable row: read it all
        with path.open(encoding="utf-8-sig", newline="") as handle:
            last = _last(_drafts(handle))
    assert last is not None
    return first, last


async def _present(store: SqlSongStore, draft: SongDraft) -> bool:
    if draft.external_id:
        found = await store.find_for_import([draft.external_id], [])
        return any(m.song.external_id == draft.external_id for m in found)
    key = match_key(draft.title, draft.artist)
    return any(m.match_key == key for m in await store.find_for_import([], [key]))


async def load_demo(
    store: SqlSongStore,
    path: Path,
    import_file: Callable[[Path], Awaitable[ImportReport]],
    *,
    say: Callable[[str], None],
    retry_seconds: float = RETRY_SECONDS,
) -> ImportReport | None:
    """Load the demo catalog at ``path`` unless it is complete or the catalog is someone else's; returns the
    report of the import it ran, if any. A failed import is tried again (``ATTEMPTS`` in all)."""
    if not await asyncio.to_thread(path.is_file):
        logger.warning("demo catalog %s not found; starting with an empty catalog", path)
        return None
    count = await store.count()
    ends = await asyncio.to_thread(first_and_last, path)
    if ends is None:
        logger.warning("demo catalog %s has no song in it", path)
        return None
    first, last = ends
    if count > 0:
        if await _present(store, last):
            say(f"The catalog has {count:,} songs; the demo catalog is loaded.")
            return None
        if not await _present(store, first):
            say(f"The catalog has {count:,} songs; the demo catalog is not loaded.")
            return None
        say(f"Finishing the demo catalog load from {path} ({count:,} songs so far)…")
    else:
        say(f"Loading the demo catalog from {path}…")
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return await import_file(path)
        except Exception as error:
            if attempt == ATTEMPTS:
                raise
            # Another instance loading it at the same moment, or the database away: the import is idempotent.
            logger.warning("loading the demo catalog failed (%s: %s); trying again", type(error).__name__,
                           str(error).splitlines()[0][:200] if str(error) else "")
            await asyncio.sleep(retry_seconds)
    return None
