"""People, not accounts, told as conversations: linking two accounts, walk-ins added by the KJ, regulars.

``ann@telegram`` and ``ann@slack`` are two accounts of one Ann (``tests.unit.chat.fakes.Night.person``).
Link codes come from the night's code source: K7QX3334, K7QX3336, K7QX3337, ...
"""

from __future__ import annotations

from tests.unit.chat.conversation import play
from tests.unit.chat.fakes import Night

FIRST_CODE = "K7QX3334"
SECOND_CODE = "K7QX3336"


async def test_two_accounts_linked_are_one_singer_once_a_round_with_one_limit() -> None:
    night = await Night().start()
    await night.open()
    await play(night, [
        ("ann@telegram", "dm", "/join {code}", ["You're in"]),
        ("ann@telegram", "dm", "/request africa", ["Queued Africa — Toto. You're next"]),
        ("bob", "dm", "/join {code}", ["You're in"]),
        ("bob", "dm", "/request zombie", ["You're 2nd"]),
        ("ann@slack", "dm", "/join {code}", ["You're in"]),
        ("ann@slack", "dm", "/request dancing queen", ["Queued Dancing Queen — ABBA. You're 3rd"]),
        ("cat", "bar", "/request linger", ["You're 4th"]),
        # Two accounts, two singers: Ann (Slack) would sing before Cat in the first round.
        ("kim", "bar", "/queue", ["1. Ann — Africa", "2. Bob — Zombie", "3. Ann — Dancing Queen", "4. Cat — Linger"]),
        ("ann@telegram", "dm", "/link", [f"Your link code: {FIRST_CODE} (valid 10 minutes, once)"]),
        ("ann@slack", "dm", f"/link {FIRST_CODE.lower()}",
         ["Linked: you're one person on Slack and Telegram now — one singer, one turn a round.",
          "In “Friday Night” you're one singer now, your 2 songs waiting in one list"]),
        # One singer at Ann's first place; her second song waits for the next round.
        ("kim", "bar", "/queue", ["1. Ann — Africa", "2. Bob — Zombie", "3. Cat — Linger", "4. Ann — Dancing Queen"]),
        ("ann@slack", "dm", "/mysongs", ["1. Africa — Toto · next", "2. Dancing Queen — ABBA · 4th"]),
        ("ann@slack", "dm", "/request waterloo", ["Queued Waterloo — ABBA. You're 5th"]),
        # max_pending (3) counts her songs from both accounts.
        ("ann@telegram", "dm", "/request mamma mia", ["You already have 3 songs waiting — that's the limit."]),
        ("ann@slack", "dm", f"/link {FIRST_CODE}", ["That link code has already been used."]),
    ])


async def test_a_name_chosen_on_one_account_is_the_persons_on_the_other() -> None:
    night = await Night().start()
    await night.open()
    await play(night, [
        ("ann@telegram", "dm", "/name Annie ✨", ["You'll be shown as “Annie ✨”"]),
        ("ann@telegram", "dm", "/link", [FIRST_CODE]),
        ("ann@slack", "dm", f"/link {FIRST_CODE}", ["Linked: you're Annie ✨ on Slack and Telegram now"]),
        ("ann@slack", "dm", "/join {code}", ["You're in"]),
        ("ann@slack", "dm", "/request africa", ["Queued Africa"]),
        ("kim", "bar", "/queue", ["1. Annie ✨ — Africa (Toto)"]),
        ("ann@slack", "dm", "/mute", ["Reminders are off"]),
    ])
    person = await night.people_store.find("telegram", "u-ann")
    assert person is not None and person.muted


async def test_wrong_forged_expired_reused_and_own_codes_get_one_plain_line() -> None:
    night = await Night().start()
    await play(night, [
        ("ann@telegram", "dm", "/link", [FIRST_CODE]),
        ("ann@telegram", "dm", f"/link {FIRST_CODE}", ["That's your own code. Send it from your other account."]),
        ("ann@slack", "dm", "/link K7QX9999", ["That isn't a link code I gave out."]),
        ("ann@slack", "dm", "/link ＫＳＸ７ＱＸ３３", ["That isn't a link code I gave out."]),
        ("ann@slack", "dm", "/link 🎤🎤🎤🎤🎤🎤🎤🎤", ["That isn't a link code I gave out."]),
    ])
    night.clock.tick(601)
    await play(night, [
        ("ann@slack", "dm", f"/link {FIRST_CODE}", ["That link code has expired (they last 10 minutes)."]),
        ("ann@telegram", "dm", "/link", [SECOND_CODE]),
        ("bob@slack", "dm", f"/link {SECOND_CODE}", ["Linked: you're one person on Slack and Telegram now"]),
        ("ann@slack", "dm", f"/link {SECOND_CODE}", ["That link code has already been used."]),
    ])


async def test_a_huge_code_is_refused_like_any_wrong_one() -> None:
    night = await Night().start()
    assert "isn't a link code" in await night.say("ann", "dm", "/link " + "A" * 900)
    assert "too long for me" in await night.say("ann", "dm", "/link " + "A" * 2000)


async def test_guessing_codes_stops_after_five_tries_until_the_window_has_passed() -> None:
    night = await Night().start()
    await night.say("ann@telegram", "dm", "/link")
    for guess in range(5):
        assert "isn't a link code" in await night.say("eve@slack", "dm", f"/link K7QX{guess}AAA")
    # The sixth is not even looked at, right or wrong.
    await play(night, [
        ("eve@slack", "dm", f"/link {FIRST_CODE}", ["Too many link codes tried. Wait 10 minutes, then try again."]),
        ("bob@slack", "dm", "/link K7QXAAAA", ["isn't a link code"]),  # counted per account
    ])
    night.clock.tick(601)
    assert SECOND_CODE in await night.say("ann@telegram", "dm", "/link")
    assert "Linked: you're one person" in await night.say("eve@slack", "dm", f"/link {SECOND_CODE}")


async def test_a_code_is_never_said_in_a_group() -> None:
    night = await Night().start()
    await night.open()
    await play(night, [
        ("ann", "bar", "/link", ["Link codes are for your eyes only: send /link to me in a private chat."]),
        ("kim", "bar", "/link for Maria", ["Link codes are for your eyes only"]),
    ])


async def test_linking_a_kjs_account_makes_the_other_account_no_kj() -> None:
    night = await Night().start()
    await night.open("kim@telegram", "bar")
    await play(night, [
        ("kim@telegram", "dm", "/link", [FIRST_CODE]),
        ("kim@slack", "dm", f"/link {FIRST_CODE}", ["Linked"]),
        ("kim@slack", "dm", "/join {code}", ["You're in"]),
        ("kim@slack", "dm", "/next", ["Only the show's KJ can do that."]),
        ("kim@telegram", "bar", "/queue", ["The queue is empty"]),
    ])


async def test_unlinking_makes_an_account_a_singer_of_its_own_from_its_next_request() -> None:
    night = await Night().start()
    await night.open()
    await play(night, [
        ("ann@slack", "dm", "/unlink", ["This account isn't linked to another one."]),
        ("ann@telegram", "dm", "/link", [FIRST_CODE]),
        ("ann@slack", "dm", f"/link {FIRST_CODE}", ["Linked"]),
        ("ann@slack", "dm", "/join {code}", ["You're in"]),
        ("ann@slack", "dm", "/request africa", ["You're next"]),
        ("ann@telegram", "dm", "/join {code}", ["You're in"]),
        ("ann@telegram", "dm", "/request zombie", ["You're 2nd"]),
        ("ann@slack", "dm", "/unlink", ["Unlinked: this account is a person of its own again. Songs already waiting "
                                        "stay with your other account"]),
        ("ann@slack", "dm", "/mysongs", ["You have no songs waiting."]),
        ("ann@telegram", "dm", "/mysongs", ["1. Africa — Toto", "2. Zombie"]),
        ("ann@slack", "dm", "/request linger", ["You're 2nd"]),
        ("ann@slack", "dm", "/unlink", ["This account isn't linked to another one."]),
    ])


async def test_a_kj_adds_a_walk_in_who_later_links_their_phone() -> None:
    night = await Night().start()
    await night.open()
    await play(night, [
        ("kim", "bar", "/add Maria africa toto", ["Queued Africa — Toto for Maria: next, any moment now."]),
        ("bob", "bar", "/request zombie", ["You're 2nd"]),
        ("kim", "bar", "/add maria dreams", ["Which one for maria, by “dreams”? Pick one:"]),
        ("kim", "bar", "press:Fleetwood Mac", ["Queued Dreams — Fleetwood Mac for Maria: 3rd in line"]),
        ("kim", "bar", '/add "Maria José" waterloo', ["Queued Waterloo — ABBA for Maria José: 3rd in line"]),
        ("kim", "bar", "/queue", ["1. Maria — Africa", "2. Bob — Zombie", "3. Maria José — Waterloo",
                                  "4. Maria — Dreams"]),
        ("bob", "bar", "/add Eve linger", ["Only the show's KJ can do that."]),
        ("kim", "dm", "/link for Maria", [f"Link code for Maria: {FIRST_CODE} (valid 10 minutes, once)."]),
        ("kim", "dm", "/link for Bob", ["Bob already talks to me; they can send /link themselves."]),
        ("kim", "dm", "/link for Nobody", ["I can't find a singer called “Nobody” in this show."]),
        ("maria@telegram", "dm", "/join {code}", ["You're in"]),
        ("maria@telegram", "dm", f"/link {FIRST_CODE}", ["Linked: you're Maria on Telegram now"]),
        ("maria@telegram", "dm", "/mysongs", ["1. Africa — Toto · next", "2. Dreams — Fleetwood Mac · 4th"]),
        ("maria@telegram", "dm", "/request linger", ["Queued Linger — The Cranberries. You're 5th"]),
        ("kim", "bar", "/queue", ["1. Maria — Africa", "5. Maria — Linger"]),
    ])


async def test_odd_adds_get_one_line_each() -> None:
    night = await Night().start()
    await night.open()
    await play(night, [
        ("kim", "bar", "/add", ["Who and what? /add <name> <song>"]),
        ("kim", "bar", "/add Maria", ["Who and what?"]),
        ("kim", "bar", '/add "" africa', ["Who and what?"]),
        ("kim", "bar", "/add " + "M" * 41 + " africa", ["A stage name is at most 40 characters."]),
        ("kim", "bar", "/add Maria qqqqxzzzv", ["No song matched “qqqqxzzzv”"]),
        ("kim", "bar", "/add Bob africa", ["Queued Africa — Toto for Bob"]),
        ("bob", "bar", "/request zombie", ["You're 2nd"]),  # Bob from his phone: the same Bob the KJ added? No:
        ("kim", "bar", "/queue", ["1. Bob — Africa", "2. Bob — Zombie"]),
    ])


async def test_again_offers_the_songs_sung_on_an_earlier_night() -> None:
    night = await Night().start()
    await night.open()
    await play(night, [
        ("ann", "dm", "/again", ["I don't remember you singing on an earlier night yet."]),
        ("ann", "dm", "/join {code}", ["You're in"]),
        ("ann", "dm", "/request africa", ["Queued"]),
        ("ann", "dm", "/request zombie", ["Queued"]),
        ("kim", "bar", "/next", ["Now singing: Ann — Africa"]),
        ("kim", "bar", "/next", ["Now singing: Ann — Zombie"]),
        ("kim", "bar", "/next", ["That was the last song."]),
        ("ann", "dm", "/again", ["I don't remember you singing on an earlier night yet."]),  # tonight isn't earlier
        ("kim", "bar", "/close", [""]),
    ])
    night.clock.tick(24 * 3600)
    await night.open("kim", "bar", "Saturday")
    await play(night, [
        ("ann", "dm", "/again", ["Songs you sang on earlier nights:", "Africa — Toto", "Join a show with /join CODE"]),
        ("ann", "dm", "/join {code}", ["You're in “Saturday”"]),
        ("ann", "dm", "/again", ["Songs you sang on earlier nights — press one to sign up again:",
                                 "1. Zombie — The Cranberries", "2. Africa — Toto"]),
        ("ann", "dm", "press:Africa", ["Queued Africa — Toto. You're next"]),
    ])


async def test_favourites_are_kept_listed_requested_and_dropped() -> None:
    night = await Night().start()
    await night.open()
    await play(night, [
        ("bob", "dm", "/fav", ["Which song? /fav <title or artist>, or /fav while a song is being sung."]),
        ("bob", "dm", "/favs", ["No favourites yet."]),
        ("bob", "dm", "/fav africa", ["★ Kept Africa — Toto"]),
        ("bob", "dm", "/favs", ["Your favourites:", "1. Africa — Toto", "Join a show with /join CODE"]),
        ("bob", "dm", "/unfav 1", ["no longer one of your favourites"]),
        ("ann", "bar", "/request africa", ["Queued"]),
        ("kim", "bar", "/next", ["Now singing: Ann — Africa"]),
        ("bob", "bar", "/fav", ["★ Kept Africa — Toto in your favourites. /favs lists them."]),
        ("bob", "bar", "/fav", ["Africa — Toto is already one of your favourites."]),
        ("bob", "dm", "/fav dreams", ["Which one did you mean by “dreams”? Pick one to keep:"]),
        ("bob", "dm", "press:Cranberries", ["★ Kept Dreams — The Cranberries"]),
        # Bob spoke in the show's room, so he takes part: each favourite has a sign-up button.
        ("bob", "dm", "/favs", ["Your favourites — press one to sign up:", "1. Dreams — The Cranberries",
                                "2. Africa — Toto"]),
        ("bob", "dm", "press:Dreams", ["Queued Dreams — The Cranberries. You're next"]),
        ("bob", "dm", "/unfav 9", ["Pick a number from 1 to 2 as listed in /favs"]),
        ("bob", "dm", "/unfav 1", ["Dreams — The Cranberries is no longer one of your favourites."]),
        ("bob", "dm", "/favs", ["1. Africa — Toto"]),
        ("bob", "dm", "/fav wonderwall", ["★ Kept Wonderwall — Oasis"]),
    ])


async def test_help_lists_the_new_commands_for_singers_and_kjs() -> None:
    night = await Night().start()
    await night.open()
    singer = await night.say("ann", "dm", "/help")
    assert all(word in singer for word in ("/link", "/unlink", "/again", "/fav", "/favs"))
    assert "/add" not in singer
    assert "/add <name> <song>" in await night.say("kim", "bar", "/help")
