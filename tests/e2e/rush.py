"""What the rush tests on every platform share: forty singers and a catalog with one distinct song for each."""

from __future__ import annotations

from core.catalog import SongDraft
from karaoke.bootstrap import Container

WORDS = ["Avalanche", "Butterfly", "Cathedral", "Dandelion", "Earthquake", "Firefly", "Glacier", "Harbour",
         "Iceberg", "Jasmine", "Kaleidoscope", "Lighthouse", "Marigold", "Nightingale", "Orchard", "Pelican",
         "Quicksand", "Raindrop", "Sunflower", "Thunderbolt", "Umbrella", "Volcano", "Waterfall", "Xylophone",
         "Yesterday Morning", "Zeppelin", "Anchor", "Blizzard", "Cinnamon", "Driftwood", "Emerald", "Flamingo",
         "Gondola", "Hurricane", "Ivory", "Juniper", "Kingfisher", "Lantern", "Mandolin", "Nebula"]
SINGERS = 40


async def seed(container: Container) -> None:
    """Singer n's song: ``WORDS[n]`` by "The Band n"."""
    if await container.songs.count() == 0:
        for n, title in enumerate(WORDS):
            await container.catalog.add_song(SongDraft(title=title, artist=f"The Band {n}", duration=180))
