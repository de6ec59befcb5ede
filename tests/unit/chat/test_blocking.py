"""A KJ blocks a singer who spoils the night: their waiting songs go, and the show takes no more from them."""

from __future__ import annotations

from tests.unit.chat.conversation import play
from tests.unit.chat.fakes import Night


async def test_a_blocked_singer_loses_their_songs_and_is_told_plainly_when_they_ask_again() -> None:
    night = await Night().start()
    await night.open("kim", "bar", "Friday Night")
    await play(night, [
        ("ann", "dm", "/join {code}", ["You're in"]),
        ("bob", "dm", "/join {code}", ["You're in"]),
        ("ann", "dm", "/request bohemian rhapsody", ["Queued Bohemian Rhapsody"]),
        ("bob", "dm", "/request zombie", ["Queued Zombie"]),
        ("bob", "dm", "/request waterloo", ["Queued Waterloo"]),
        ("bob", "dm", "/block ann", ["Only the show's KJ can do that."]),
        ("kim", "bar", "/block @bob", ["Blocked Bob: they can't request songs in this show any more, and their 2 "
                                       "waiting songs are out of the queue. /unblock Bob lets them again."]),
        ("kim", "bar", "/block Bob", ["Bob is already blocked."]),
        ("kim", "bar", "/queue", ["1. Ann — Bohemian Rhapsody"]),
        ("bob", "dm", "/request africa", ["The KJ isn't taking songs from you tonight."]),
        ("kim", "bar", "/block nobody", ["I can't find a singer called “nobody”"]),
        ("kim", "bar", "/unblock ann", ["Ann is not blocked."]),
        ("kim", "bar", "/unblock bob", ["Bob may request songs again."]),
        ("bob", "dm", "/request africa", ["Queued Africa — Toto"]),
    ])
    assert await night.queue_titles() == ["Bohemian Rhapsody", "Africa"]
