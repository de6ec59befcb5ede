"""What was sung, told in chat: ``/top`` (tonight's and all-time most sung songs) and the earlier nights under
``/mysongs``, read from the performances."""

from __future__ import annotations

from tests.unit.chat.conversation import play
from tests.unit.chat.fakes import Night


async def _sing(night: Night, who: str, song: str) -> None:
    await play(night, [(who, "dm", f"/request {song}", ["Queued"]), ("kim", "bar", "/next", ["Now singing"])])


async def test_top_tells_tonights_most_sung_songs_and_the_all_time_ones() -> None:
    night = await Night().start()
    await night.open()
    await play(night, [
        ("ann", "dm", "/top", ["Nothing has been sung here yet. Be the first: /request <song>."]),
        ("ann", "dm", "/join {code}", ["You're in"]),
        ("bob", "dm", "/join {code}", ["You're in"]),
    ])
    await _sing(night, "ann", "africa")
    await _sing(night, "bob", "zombie")
    await _sing(night, "ann", "dancing queen")
    await play(night, [
        ("kim", "bar", "/next", ["That was the last song"]),  # Dancing Queen is sung
        ("bob", "dm", "/request africa", ["Queued"]),
        ("kim", "bar", "/next", ["Now singing: Bob — Africa"]),
        ("kim", "bar", "/next", ["That was the last song"]),
        ("kim", "bar", "/close", [""]),
    ])
    night.clock.tick(24 * 3600)
    await night.open("kim", "bar", "Saturday")
    await play(night, [
        # A new night: nothing yet tonight, the earlier night counts for all time (a tie: by the catalog's id).
        ("cat", "bar", "/top", ["Nothing sung yet tonight.", "Most sung here, ever:", "1. Africa — Toto · 2 times",
                                "2. Zombie — The Cranberries · once", "3. Dancing Queen — ABBA · once"]),
        ("cat", "bar", "/request zombie", ["Queued"]),
        ("kim", "bar", "/next", ["Now singing: Cat — Zombie"]),
        ("kim", "bar", "/next", ["That was the last song"]),
        ("cat", "bar", "/top", ["Most sung tonight:\n1. Zombie — The Cranberries · once\nMost sung here, ever:\n"
                                "1. Africa — Toto · 2 times\n2. Zombie — The Cranberries · 2 times"]),
    ])


async def test_mysongs_shows_the_songs_sung_on_earlier_nights_newest_first() -> None:
    night = await Night().start()
    await night.open()
    await play(night, [("ann", "dm", "/join {code}", ["You're in"])])
    await _sing(night, "ann", "africa")
    await _sing(night, "ann", "zombie")
    await play(night, [
        ("kim", "bar", "/next", ["That was the last song"]),
        # Tonight's songs are not an earlier night's.
        ("ann", "dm", "/mysongs", ["You have no songs waiting. /request one!"]),
        ("bob", "dm", "/mysongs", ["You haven't joined a show yet"]),
        ("kim", "bar", "/close", [""]),
        # The show closed: what they sang here, tonight's included, and how to sing again.
        ("ann", "dm", "/mysongs", ["Songs you've sung here, the latest first:\n· Zombie — The Cranberries · "
                                   "28 Nov 2026\n· Africa — Toto · 28 Nov 2026\nYou're in no open show right now"]),
    ])
    night.clock.tick(24 * 3600)
    await night.open("kim", "bar", "Saturday")
    await play(night, [
        ("ann", "dm", "/join {code}", ["You're in “Saturday”"]),
        ("ann", "dm", "/mysongs", ["You have no songs waiting. /request one!\nSung on earlier nights:\n"
                                   "· Zombie — The Cranberries · 28 Nov 2026\n· Africa — Toto · 28 Nov 2026"]),
        ("ann", "dm", "/request wonderwall", ["Queued"]),
        ("ann", "dm", "/mysongs", ["Your songs:", "1. Wonderwall — Oasis", "/cancel n takes one back.\n"
                                   "Sung on earlier nights:\n· Zombie — The Cranberries"]),
        ("bob", "dm", "/join {code}", ["You're in"]),
        ("bob", "dm", "/mysongs", ["You have no songs waiting. /request one!"]),
    ])
    answer = await night.say("bob", "dm", "/mysongs")
    assert "earlier" not in answer


async def test_help_names_top() -> None:
    night = await Night().start()
    assert "/top – the most sung songs" in await night.say("ann", "dm", "/help")
