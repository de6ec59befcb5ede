"""Singing from a browser, over the same steps as the chat: a web singer is one more identity in the rotation."""

from __future__ import annotations

import itertools
from datetime import datetime

import pytest

from core.access import FailedAttempts, WebLimits
from core.chat.web import WebRefusal, WebSession, WebSessions, WebSingers, web_name
from core.rotation import ChangeShowSettings, ShowSettings
from tests.unit.chat.fakes import InMemoryWebJoins, Night

SECRET = b"a web session secret of 32 bytes"
PHONE = "198.51.100.20"


class RecordingConfirmations:
    """``Confirmations`` that remembers each "On my way"."""

    def __init__(self) -> None:
        self.confirmed: list[tuple[str, str]] = []

    async def confirm(self, show_id: str, request_id: str, now: datetime) -> bool:
        self.confirmed.append((show_id, request_id))
        return True


def sessions(secret: bytes = SECRET) -> WebSessions:
    numbers = itertools.count(1)
    return WebSessions(secret, lambda: f"session-{next(numbers):08d}")


async def web_night() -> tuple[Night, WebSingers, RecordingConfirmations]:
    confirmations = RecordingConfirmations()
    night = await Night(confirmations=confirmations).start()
    await night.open("kim", "bar", "Friday Night")
    commands = itertools.count(1)
    web = WebSingers(night.bot.steps, sessions(), lambda: f"c{next(commands)}", joins=InMemoryWebJoins())
    return night, web, confirmations


def song_id(night: Night, title: str) -> str:
    return next(song.song_id for song in night.feed.songs.values() if song.title == title)


async def refused(code: str, action: object) -> WebRefusal:
    with pytest.raises(WebRefusal) as caught:
        await action  # type: ignore[misc]
    assert caught.value.code == code, caught.value.message
    return caught.value


class TestSessions:
    def test_a_token_reads_back_as_its_session(self) -> None:
        maker = sessions()
        session = maker.start("0b7e3f52-4c1a-4d8e-a3b9-5f6e7d8c9b0a")
        assert maker.read(maker.token(session)) == session

    @pytest.mark.parametrize("forge", [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # another signature
        lambda t: t.replace("session-00000001", "session-00000002"),  # another session, same signature
        lambda t: t.replace("0b7e3f52", "0b7e3f53"),  # another show, same signature
        lambda t: "v2" + t[2:],
        lambda t: t + ".",
        lambda t: "",
        lambda t: "x" * 5000,
        lambda t: t.replace(".", "\u2024"),
    ])
    def test_a_forged_or_altered_token_opens_nothing(self, forge: object) -> None:
        maker = sessions()
        token = maker.token(maker.start("0b7e3f52-4c1a-4d8e-a3b9-5f6e7d8c9b0a"))
        assert maker.read(forge(token)) is None  # type: ignore[operator]

    def test_a_token_signed_with_another_secret_opens_nothing(self) -> None:
        ours, theirs = sessions(), sessions(b"another secret of thirty-two b..")
        token = theirs.token(theirs.start("0b7e3f52-4c1a-4d8e-a3b9-5f6e7d8c9b0a"))
        assert ours.read(token) is None

    def test_a_short_secret_is_refused(self) -> None:
        with pytest.raises(ValueError):
            WebSessions(b"short", lambda: "session-00000001")


@pytest.mark.parametrize(("typed", "shown"), [
    ("  Ana   Maria ", "Ana Maria"),
    ("\u202eanA", "anA"),  # a right-to-left override would turn the screen's line around
    ("Jo\u200bsé", "José"),
    ("👩\u200d🎤 Zoë", "👩🎤 Zoë"),
    ("\u200b\u200b", ""),
    ("x" * 60, "x" * 40),
])
def test_a_typed_name_is_cleaned_as_a_chat_name_is(typed: str, shown: str) -> None:
    assert web_name(typed) == shown


async def test_a_web_singer_joins_requests_sees_their_place_and_shares_the_round_with_chat_singers() -> None:
    night, web, _ = await web_night()
    await night.say("ann", "dm", f"/join {night.code}")
    await night.say("ann", "dm", "/request bohemian rhapsody")
    await night.say("ann", "dm", "/request waterloo")
    joined = await web.join(night.code.lower(), " Wanda ", None, address=PHONE)
    assert joined.name == "Wanda"
    first = await web.request(joined.session, song_id(night, "Zombie"))
    assert first.singer_id == joined.singer_id  # the id told at joining is the one in the queue
    assert (first.position, first.eta_seconds) == (2, 354 + ShowSettings().changeover_seconds)
    # Round robin: Wanda sings before Ann's second song.
    assert await night.queue_titles() == ["Bohemian Rhapsody", "Zombie", "Waterloo"]
    me = await web.me(joined.session)
    assert me.name == "Wanda" and me.code == night.code and not me.blocked and not me.closed
    assert [(r.song.title, r.position) for r in me.requests] == [("Zombie", 2)]
    # A chat KJ sees a web singer like any other.
    assert "2. Wanda — Zombie" in await night.say("kim", "bar", "/queue")


async def test_joining_again_from_the_same_browser_keeps_the_singer_and_renames_them() -> None:
    night, web, _ = await web_night()
    joined = await web.join(night.code, "Wanda", None, address=PHONE)
    await web.request(joined.session, song_id(night, "Zombie"))
    again = await web.join(night.code, "Wanda B", joined.session, address=PHONE)
    assert again.session == joined.session and again.singer_id == joined.singer_id
    assert "1. Wanda B — Zombie" in await night.say("kim", "bar", "/queue")
    other = await web.join(night.code, "Wanda", WebSession("session-99999999", "some-other-show"), address=PHONE)
    assert other.session.session_id != "session-99999999"


async def test_the_show_limits_hold_for_a_web_singer_as_in_chat() -> None:
    night, web, _ = await web_night()
    show_id = next(iter(night.store.rows))
    await night.rotation.execute(show_id, ChangeShowSettings("s", ShowSettings(max_pending=2)))
    joined = await web.join(night.code, "Wanda", None, address=PHONE)
    await web.request(joined.session, song_id(night, "Zombie"))
    await refused("duplicate-song", web.request(joined.session, song_id(night, "Zombie")))
    await web.request(joined.session, song_id(night, "Linger"))
    limit = await refused("limit-reached", web.request(joined.session, song_id(night, "Dreams")))
    assert "2 songs waiting" in limit.message
    await refused("not-found", web.request(joined.session, "no-such-song"))
    await night.say("kim", "bar", "/close")
    await refused("show-closed", web.request(joined.session, song_id(night, "Africa")))
    assert (await web.me(joined.session)).closed


async def test_a_web_singer_cancels_their_own_song_and_never_someone_elses() -> None:
    night, web, _ = await web_night()
    await night.say("ann", "dm", f"/join {night.code}")
    await night.say("ann", "dm", "/request bohemian rhapsody")
    spy = await web.join(night.code, "Spy", None, address=PHONE)
    anns = await web.me(spy.session)  # a stranger sees only their own
    assert anns.requests == ()
    show_id = next(iter(night.store.rows))
    ann_request = (await night.rotation.queue(show_id)).upcoming[0].request_id
    joined = await web.join(night.code, "Wanda", None, address=PHONE)
    mine = await web.request(joined.session, song_id(night, "Zombie"))
    await refused("not-found", web.withdraw(joined.session, ann_request))
    await refused("not-found", web.withdraw(joined.session, "no-such-request"))
    await web.withdraw(joined.session, mine.request_id)
    assert await night.queue_titles() == ["Bohemian Rhapsody"]
    await refused("conflict", web.withdraw(joined.session, mine.request_id))


async def test_called_up_a_web_singer_says_on_my_way_or_backs_out_giving_the_turn_back() -> None:
    night, web, confirmations = await web_night()
    joined = await web.join(night.code, "Wanda", None, address=PHONE)
    mine = await web.request(joined.session, song_id(night, "Zombie"))
    later = await web.request(joined.session, song_id(night, "Linger"))
    await refused("conflict", web.on_my_way(joined.session, later.request_id))
    assert await web.on_my_way(joined.session, mine.request_id)
    assert confirmations.confirmed == [(joined.show_id, mine.request_id)]
    await night.say("kim", "bar", "/next")
    me = await web.me(joined.session)
    assert me.singing_now is not None and me.singing_now.song.title == "Zombie"
    await web.withdraw(joined.session, mine.request_id)  # at the mic and backing out
    assert await night.queue_titles() == ["Linger"]


async def test_a_blocked_web_singer_may_not_request_and_sees_it() -> None:
    night, web, _ = await web_night()
    joined = await web.join(night.code, "Wanda", None, address=PHONE)
    await web.request(joined.session, song_id(night, "Zombie"))
    assert "Blocked Wanda" in await night.say("kim", "bar", "/block wanda")
    await refused("blocked", web.request(joined.session, song_id(night, "Linger")))
    me = await web.me(joined.session)
    assert me.blocked and me.requests == ()


async def test_a_session_opens_only_its_own_show_and_an_unknown_code_is_not_found() -> None:
    night, web, _ = await web_night()
    joined = await web.join(night.code, "Wanda", None, address=PHONE)
    token = web.sessions.token(joined.session)
    assert await web.session_for(night.code.lower(), token) == joined.session
    await refused("not-joined", web.session_for(night.code, None))
    await refused("not-joined", web.session_for(night.code, token[:-2] + "xx"))
    await refused("not-found", web.session_for("ZZZZ9", token))
    await refused("not-found", web.join("ZZZZ9", "Wanda", None, address=PHONE))
    await night.open("kim", "dm", "Saturday")
    await refused("not-joined", web.session_for(night.code, token))


async def test_an_erased_web_singer_must_join_again() -> None:
    night, web, _ = await web_night()
    joined = await web.join(night.code, "Wanda", None, address=PHONE)
    night.directory.people.clear()
    await refused("not-joined", web.me(joined.session))


def test_web_limits_hold_off_a_busy_session_and_a_busy_address_separately() -> None:
    now = [0.0]
    limits = WebLimits(per_session=FailedAttempts(lambda: now[0], limit=2, window_seconds=60),
                       per_address=FailedAttempts(lambda: now[0], limit=3, window_seconds=60))
    assert limits.wait("s1", "10.0.0.1") == 0 and limits.wait("s1", "10.0.0.1") == 0
    assert limits.wait("s1", "10.0.0.1") == 60  # the session's third write in the minute
    assert limits.wait("s2", "10.0.0.1") == 0  # another phone on the same Wi-Fi
    assert limits.wait("s3", "10.0.0.1") == 60  # the address's fourth
    assert limits.wait(None, "10.0.0.2") == 0
    now[0] = 61
    assert limits.wait("s1", "10.0.0.1") == 0


async def _sang_last_night(night: Night, who: str, *titles: str) -> None:
    """``who`` sings ``titles`` in a show that closes; the clock moves on a day and a new show opens."""
    await night.say(who, "dm", f"/join {night.code}")
    for title in titles:
        await night.say(who, "dm", f"/request {title}")
    for _ in titles:
        await night.say("kim", "bar", "/next")
    await night.say("kim", "bar", "/next")
    await night.say("kim", "bar", "/close")
    night.clock.tick(24 * 3600)
    await night.open("kim", "bar", "Saturday")


async def test_a_web_singer_keeps_favourites_and_a_linked_account_brings_its_earlier_songs() -> None:
    night, web, _ = await web_night()
    await _sang_last_night(night, "ann@telegram", "africa", "zombie")
    joined = await web.join(night.code, "Ann", None, address=PHONE)
    assert await web.again(joined.session) == [] and await web.favourites(joined.session) == []

    song, added = await web.mark_favourite(joined.session, song_id(night, "Waterloo"))
    assert song.title == "Waterloo" and added
    assert not (await web.mark_favourite(joined.session, song_id(night, "Waterloo")))[1]
    await refused("not-found", web.mark_favourite(joined.session, "no-such-song"))
    await refused("not-found", web.unmark_favourite(joined.session, song_id(night, "Linger")))

    # The code Ann's Telegram account got from the bot, typed on the page: one person from now on.
    code = (await night.say("ann@telegram", "dm", "/link")).split("code: ")[1][:8]
    linked = await web.link(joined.session, code.lower(), address=PHONE)
    assert linked.message.startswith("Linked: you're one singer with your Telegram account now")
    assert set(linked.accounts) == {"telegram", "web"} and "u-ann" not in repr(linked)
    assert [p.song.title for p in await web.again(joined.session)] == ["Zombie", "Africa"]
    assert "Waterloo — ABBA" in await night.say("ann@telegram", "dm", "/favs")  # marked on the page, kept by the person
    await night.say("ann@telegram", "dm", "/fav dancing queen")
    assert [s.title for s in await web.favourites(joined.session)] == ["Dancing Queen", "Waterloo"]
    await web.unmark_favourite(joined.session, song_id(night, "Waterloo"))
    assert [s.title for s in await web.favourites(joined.session)] == ["Dancing Queen"]
    await refused("link-code-used", web.link(joined.session, code, address=PHONE))
    again = (await night.say("ann@telegram", "dm", "/link")).split("code: ")[1][:8]
    linked_again = await web.link(joined.session, again, address=PHONE)
    assert linked_again.message == "This page is already linked to that account."


async def test_linked_from_the_page_a_web_and_a_chat_singer_in_one_show_are_one_singer_once_a_round() -> None:
    night, web, _ = await web_night()
    await night.say("ann@telegram", "dm", f"/join {night.code}")
    await night.say("ann@telegram", "dm", "/request africa")
    await night.say("bob", "dm", f"/join {night.code}")
    await night.say("bob", "dm", "/request zombie")
    joined = await web.join(night.code, "Ann", None, address=PHONE)
    await web.request(joined.session, song_id(night, "Linger"))
    assert await night.queue_titles() == ["Africa", "Zombie", "Linger"]  # two Anns: twice in the first round

    code = (await night.say("ann@telegram", "dm", "/link")).split("code: ")[1][:8]
    await web.link(joined.session, code, address=PHONE)
    me = await web.me(joined.session)
    assert [(r.song.title, r.position) for r in me.requests] == [("Africa", 1), ("Linger", 3)]
    assert await night.queue_titles() == ["Africa", "Zombie", "Linger"]
    await web.request(joined.session, song_id(night, "Waterloo"))
    assert [r.song.title for r in (await web.me(joined.session)).requests] == ["Africa", "Linger", "Waterloo"]


async def test_a_walk_in_types_the_code_the_kj_made_for_them_on_the_page() -> None:
    night, web, _ = await web_night()
    await night.say("kim", "bar", "/add Maria africa toto")
    code = (await night.say("kim", "dm", "/link for Maria")).split("Maria: ")[1][:8]
    joined = await web.join(night.code, "Mary", None, address=PHONE)
    linked = await web.link(joined.session, code, address=PHONE)
    assert linked.message.startswith("Linked: you're Maria now") and linked.name == "Maria"
    assert [r.song.title for r in (await web.me(joined.session)).requests] == ["Africa"]


async def test_wrong_codes_are_refused_and_guessing_stops_per_page_and_per_address() -> None:
    night, web, _ = await web_night()
    joined = await web.join(night.code, "Eve", None, address=PHONE)
    await refused("link-code-unknown", web.link(joined.session, "not a code", address=PHONE))
    await refused("link-code-unknown", web.link(joined.session, "X" * 5000, address=PHONE))
    code = (await night.say("ann@telegram", "dm", "/link")).split("code: ")[1][:8]
    night.clock.tick(11 * 60)
    await refused("link-code-expired", web.link(joined.session, code, address=PHONE))
    for _ in range(4):  # five tries in ten minutes, the expired one included
        await refused("link-code-unknown", web.link(joined.session, "K7QX9999", address=PHONE))
    limited = await refused("too-many-attempts", web.link(joined.session, "K7QX9999", address=PHONE))
    assert limited.retry_after == 600 and "Wait 10 minutes" in limited.message
    # A new cookie per guess does not help: the address is counted too (30 in ten minutes).
    night.clock.tick(11 * 60)
    codes = iter(range(10_000))
    for _ in range(6):
        fresh = await web.join(night.code, "Eve", None, address="203.0.113.9")
        for _ in range(5):
            try:
                await web.link(fresh.session, f"ACDE{next(codes):04d}".translate(str.maketrans("0125", "3467")),
                               address="203.0.113.9")
            except WebRefusal as refusal:
                assert refusal.code == "link-code-unknown"
    fresh = await web.join(night.code, "Eve", None, address="203.0.113.9")
    await refused("too-many-attempts", web.link(fresh.session, "K7QX9999", address="203.0.113.9"))
    other = await web.join(night.code, "Eve", None, address="203.0.113.10")
    await refused("link-code-unknown", web.link(other.session, "K7QX9999", address="203.0.113.10"))


async def test_after_a_block_new_browsers_from_that_address_join_one_a_minute_and_others_freely() -> None:
    night, web, _ = await web_night()
    troll = await web.join(night.code, "Troll", None, address=PHONE)
    await web.request(troll.session, song_id(night, "Zombie"))
    await web.join(night.code, "Early", None, address=PHONE)  # before any block: as many as come
    assert "Blocked Troll" in await night.say("kim", "bar", "/block troll")

    # Cookie cleared, a new name: one new browser from that address a minute, the rest told when to try.
    back = await web.join(night.code, "Not A Troll", None, address=PHONE)
    late = await refused("too-many-joins", web.join(night.code, "Neighbour", None, address=PHONE))
    assert late.retry_after == 60 and "Try again in" in late.message
    # The blocked browser itself, and one already in, come back as they were.
    assert (await web.join(night.code, "Troll 2", troll.session, address=PHONE)).session == troll.session
    await refused("blocked", web.request(troll.session, song_id(night, "Linger")))
    await web.join(night.code, "Not A Troll", back.session, address=PHONE)
    # Another network is not held back at all.
    for n in range(3):
        await web.join(night.code, f"Mobile {n}", None, address=f"203.0.113.{n}")
    night.clock.tick(45)
    await refused("too-many-joins", web.join(night.code, "Neighbour", None, address=PHONE))
    night.clock.tick(15)
    await web.join(night.code, "Neighbour", None, address=PHONE)
    # Unblocked, the address is free again.
    assert "Troll 2 may request" in await night.say("kim", "bar", "/unblock Troll 2")
    for n in range(3):
        await web.join(night.code, f"Friend {n}", None, address=PHONE)


async def test_a_person_blocked_through_their_chat_account_holds_back_their_pages_address_too() -> None:
    night, web, _ = await web_night()
    joined = await web.join(night.code, "Ann", None, address=PHONE)
    await night.say("ann@telegram", "dm", f"/join {night.code}")
    await night.say("ann@telegram", "dm", "/request africa")
    code = (await night.say("ann@telegram", "dm", "/link")).split("code: ")[1][:8]
    await web.link(joined.session, code, address=PHONE)
    assert "Blocked Ann" in await night.say("kim", "bar", "/block ann")
    assert (await web.me(joined.session)).blocked
    await web.join(night.code, "Anne", None, address=PHONE)
    await refused("too-many-joins", web.join(night.code, "Annie", None, address=PHONE))
