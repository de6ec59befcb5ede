"""Requesting a song: one rotation command, and a song whose length nobody knows (0 or missing) is fine."""

from __future__ import annotations

from core.catalog import Song
from tests.unit.chat.conversation import play
from tests.unit.chat.fakes import NOW, Night


async def test_songs_without_a_length_are_queued_from_chat_with_waits_from_the_shows_default() -> None:
    night = Night()
    night.feed.songs["song-zero"] = Song("song-zero", "Tainted Love", "Soft Cell", 0, None, NOW, NOW)
    night.feed.songs["song-none"] = Song("song-none", "Karma Chameleon", "Culture Club", None, None, NOW, NOW)
    await night.start()
    await night.open("kim", "bar")
    await play(night, [
        ("ann", "bar", "/request tainted love", ["Queued Tainted Love — Soft Cell. You're next, any moment now."]),
        # The default song (240 s) and the changeover (60 s): about 5 minutes.
        ("bob", "bar", "/request karma chameleon", ["Queued Karma Chameleon — Culture Club. You're 2nd, about 5 min."]),
        ("cat", "bar", "/request africa", ["Queued Africa — Toto. You're 3rd, about 10 min."]),
        ("kim", "bar", "/next", ["Now singing: Ann — Tainted Love (Soft Cell). Up next: Bob."]),
    ])


async def test_a_confident_request_is_one_rotation_command_and_reads_nothing_back() -> None:
    night = await Night().start()
    await night.open("kim", "bar")
    await night.say("ann", "bar", "/request zombi")  # the show's stream is now cached
    loads, appends = night.store.loads, night.store.appends
    answer = await night.say("bob", "bar", "/request africa toto")
    assert answer == "Queued Africa — Toto. You're 2nd, about 6 min."
    assert (night.store.loads - loads, night.store.appends - appends) == (0, 1)


async def test_a_song_picked_in_chat_comes_first_among_its_versions_at_once() -> None:
    night = await Night().start()
    await night.open("kim", "bar")
    assert await night.say("ann", "bar", "/request dreams") == "Which one did you mean by “dreams”? Pick one:"
    first, second = [b.label for r in night.last for b in r.buttons if b.label.startswith("Dreams")]
    assert (await night.press("ann", "bar", second)).startswith(f"Queued {second}.")
    lines = (await night.say("bob", "dm", "/search dreams")).splitlines()
    assert lines[1:3] == [f"1. {second}", f"2. {first}"]
