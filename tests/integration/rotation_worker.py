"""A second process for the concurrency tests: requests songs into one show through its own service.

    python -m tests.integration.rotation_worker DATABASE_URL SHOW_ID PREFIX COUNT
"""

from __future__ import annotations

import asyncio
import sys

from core.rotation import SingerRef, SongRef
from karaoke.bootstrap import build
from karaoke.settings import Settings


async def main(url: str, show_id: str, prefix: str, count: int) -> None:
    async with build(Settings(database_url=url), upgrade=False) as container:
        await asyncio.gather(*(
            container.rotation.request_song(
                show_id, f"{prefix}-cmd-{n}", SingerRef("test", f"{prefix}-{n}", f"{prefix} {n}"),
                SongRef(f"{prefix}-song-{n}", f"Song {n}", prefix, 180),
            )
            for n in range(count)
        ))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
