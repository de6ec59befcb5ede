"""Who may run a night: the operator's allowlist and KJ invites decide who may /open, and open shows are capped
per room, per person and in all."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.chat import OpeningRules, hash_invite_code, new_invite_code, parse_allowlist
from core.chat.opening import INVITE_ALPHABET, normalize_invite_code
from tests.unit.chat.conversation import play
from tests.unit.chat.fakes import NOW, PLATFORM, Night

NOT_ALLOWED = "Only this venue's KJs can open shows. Running a night? Ask the operator for a KJ invite code"
CODE = "KJ-7K3M-9QXA-2BCD"


async def open_shows(night: Night) -> list[str]:
    return sorted(s.name for s in (await night.rotation.list_shows("open", limit=100)).items)


async def test_with_neither_an_allowlist_nor_invites_anyone_may_open() -> None:
    night = await Night().start()
    await play(night, [
        ("ann", "bar", "/open Ann's night", ["“Ann's night” is open!"]),
        ("bob", "dm", "/open Bob's night", ["“Bob's night” is open and you're its KJ."]),
    ])


async def test_only_people_on_the_allowlist_may_open_and_others_hear_how_to_become_a_kj() -> None:
    rules = OpeningRules(allowlist=parse_allowlist(f"{PLATFORM}:u-kim, slack:U123"))
    night = await Night(opening=rules).start()
    await play(night, [
        ("bob", "bar", "/open Bob's night", [NOT_ALLOWED, "/redeem CODE"]),
        ("bob", "dm", "/open", [NOT_ALLOWED]),
        ("kim", "bar", "/open Kim's night", ["“Kim's night” is open!"]),
        # Bob is not told the room is taken, nor offered to replace it: he may not open at all.
        ("bob", "bar", "/open Mine", [NOT_ALLOWED]),
    ])
    assert await open_shows(night) == ["Kim's night"]


async def test_once_an_invite_exists_only_its_redeemer_and_the_allowlist_may_open() -> None:
    night = await Night().start()
    await night.kjs.add_invite(hash_invite_code(CODE), NOW, NOW + timedelta(days=3))
    await play(night, [
        ("bob", "bar", "/open Bob's night", [NOT_ALLOWED]),
        ("bob", "dm", "/redeem", ["Send the KJ invite code you were given"]),
        ("bob", "dm", "/redeem KJ-0000-0000-0000", ["That isn't a KJ invite code I know."]),
        # Typed loosely: lower case, spaces instead of dashes.
        ("bob", "dm", "/redeem kj 7k3m 9qxa 2bcd", ["You're a KJ now!"]),
        ("bob", "dm", f"/redeem {CODE}", ["That code is already yours"]),
        ("cat", "dm", f"/redeem {CODE}", ["That invite code has already been used."]),
        ("bob", "bar", "/open Bob's night", ["“Bob's night” is open!"]),
        ("cat", "pub", "/open Cat's night", [NOT_ALLOWED]),
    ])
    assert await open_shows(night) == ["Bob's night"]


async def test_an_expired_invite_is_refused() -> None:
    night = await Night().start()
    await night.kjs.add_invite(hash_invite_code(CODE), NOW - timedelta(days=4), NOW - timedelta(minutes=1))
    await play(night, [
        ("bob", "dm", f"/redeem {CODE}", ["That invite code has expired. Ask the operator for a new one."]),
        ("bob", "bar", "/open", [NOT_ALLOWED]),
    ])


async def test_twenty_opens_in_twenty_rooms_from_one_person_make_at_most_their_limit() -> None:
    night = await Night().start()
    answers = [await night.say("spammer", f"group-{n}", f"/open Night {n}") for n in range(20)]
    assert await open_shows(night) == ["Night 0", "Night 1", "Night 2"]
    refused = answers[3:]
    assert set(refused) == {"You already run 3 open shows — that's the limit. /close one you're done with first."}
    # Closing one makes room for one more.
    await night.say("spammer", "group-0", "/close")
    assert "is open!" in await night.say("spammer", "group-5", "/open Night 5")
    assert len(await open_shows(night)) == 3


async def test_the_service_opens_at_most_its_global_cap_of_shows() -> None:
    night = await Night(opening=OpeningRules(max_open_shows=2)).start()
    await play(night, [
        ("ann", "r1", "/open One", ["is open!"]),
        ("bob", "r2", "/open Two", ["is open!"]),
        ("cat", "r3", "/open Three", ["2 shows are open right now, the most I can run at once."]),
        ("ann", "r1", "/close", [""]),
        ("cat", "r3", "/open Three", ["“Three” is open!"]),
    ])
    assert await open_shows(night) == ["Three", "Two"]


async def test_a_kj_at_their_limit_can_still_replace_their_rooms_show() -> None:
    night = await Night(opening=OpeningRules(max_open_per_person=1)).start()
    await play(night, [
        ("kim", "bar", "/open Friday", ["“Friday” is open!"]),
        ("kim", "pub", "/open Elsewhere", ["You already run 1 open shows"]),
        ("kim", "bar", "/open Saturday", ["Close it and open “Saturday”"]),
        ("kim", "bar", "press:Close", ["“Saturday” is open!"]),
    ])
    assert await open_shows(night) == ["Saturday"]


def test_the_allowlist_reads_platform_colon_user_id_separated_by_commas_or_spaces() -> None:
    assert parse_allowlist(" Telegram:555123,slack:U123  console:me ") == frozenset(
        {("telegram", "555123"), ("slack", "U123"), ("console", "me")})
    assert parse_allowlist("") == frozenset()
    for bad in ["555123", "telegram:", ":555"]:
        with pytest.raises(ValueError, match="platform:user_id"):
            parse_allowlist(bad)


def test_invite_codes_are_readable_and_only_their_hash_is_kept() -> None:
    picks = iter("7K3M9QXA2BCD")
    code = new_invite_code(lambda alphabet: next(picks))
    assert code == CODE
    assert set(normalize_invite_code(code)) <= set(INVITE_ALPHABET)
    assert hash_invite_code("kj-7k3m 9qxa-2bcd") == hash_invite_code(CODE)
    assert CODE not in hash_invite_code(CODE) and len(hash_invite_code(CODE)) == 64
