"""A whole small karaoke night, told as the conversation the KJ and the singers have with the bot."""

from __future__ import annotations

from core.delivery import OutboxItem
from core.delivery.coalesce import coalesce, mergeable
from tests.unit.chat.conversation import play
from tests.unit.chat.fakes import Night


async def test_a_night_from_open_to_close() -> None:
    night = await Night().start()
    assert "Join code:" in await night.open("kim", "bar", "Friday Night")
    await play(night, [
        # Singers join by code, in private, by deep link or by typing it loosely.
        ("ann", "dm", "/start {code}", ["You're in “Friday Night”"]),
        ("bob", "dm", "/join  {code}", ["You're in “Friday Night”"]),
        # A confident hit with a typo is queued at once, with position and wait.
        ("ann", "dm", "/request bohemain rhapsody", ["Queued Bohemian Rhapsody — Queen. You're next"]),
        # Plain text in a private chat once joined is a request; an ambiguous one offers choices.
        ("bob", "dm", "dreams", ["Which one did you mean by “dreams”?"]),
        ("bob", "dm", "press:Fleetwood Mac", ["Queued Dreams — Fleetwood Mac. You're 2nd, about 7 min."]),
        # In the show's group room a message belongs to that show without joining.
        ("cat", "bar", "/request zombi", ["Queued Zombie — The Cranberries. You're 3rd, about 12 min."]),
        ("kim", "bar", "/queue", ["1. Ann — Bohemian Rhapsody (Queen) · next, any moment now",
                                  "2. Bob — Dreams (Fleetwood Mac) · about 7 min",
                                  "3. Cat — Zombie (The Cranberries) · about 12 min"]),
        ("bob", "dm", "/request waterloo", ["Queued Waterloo — ABBA. You're 4th"]),
        ("bob", "dm", "/mysongs", ["1. Dreams — Fleetwood Mac · 2nd, about 7 min", "2. Waterloo — ABBA · 4th"]),
        ("bob", "dm", "/cancel", ["Which song should I take back?"]),
        ("bob", "dm", "press:Cancel Waterloo", ["Cancelled Waterloo — ABBA."]),
        ("bob", "dm", "/mysongs", ["1. Dreams — Fleetwood Mac"]),
        ("kim", "bar", "/next", ["Now singing: Ann — Bohemian Rhapsody (Queen). Up next: Bob."]),
        # At the mic, the singer's own list says so rather than only "no songs waiting".
        ("ann", "dm", "/mysongs", ["You're singing Bohemian Rhapsody — Queen now.\nYou have no songs waiting."]),
        ("kim", "bar", "/queue", ["Now singing: Ann — Bohemian Rhapsody (Queen)",
                                  "1. Bob — Dreams (Fleetwood Mac) · next, about"]),
        # /mysongs says it as the queue and the call do: next, not "1st".
        ("bob", "dm", "/mysongs", ["1. Dreams — Fleetwood Mac · next, about"]),
        # /skip passes over the called singer; whoever is at the mic sings on.
        ("kim", "bar", "/skip", ["Passed over Bob this round — Dreams stays in their list. Up next: Cat."]),
        ("kim", "bar", "/queue", ["Now singing: Ann — Bohemian Rhapsody (Queen)", "1. Cat — Zombie",
                                  "2. Bob — Dreams"]),
        ("kim", "bar", "/undo", ["Undid the last /skip.", "Now singing: Ann — Bohemian Rhapsody (Queen)."]),
        ("kim", "bar", "/pause @bob", ["Paused Bob: they keep their place."]),
        ("kim", "bar", "/pause Bob", ["Bob is already paused."]),
        ("kim", "bar", "/queue", ["1. Cat — Zombie (The Cranberries) · next"]),
        ("kim", "bar", "/resume BOB", ["Bob is back in the rotation."]),
        ("kim", "bar", "/move 2 1", ["Moved Cat's Zombie to 1st place."]),
        ("kim", "bar", "/queue", ["1. Cat — Zombie", "2. Bob — Dreams"]),
        ("kim", "bar", "/remove 1", ["Removed Zombie — The Cranberries (Cat) from the queue."]),
        ("kim", "bar", "/queue", ["1. Bob — Dreams (Fleetwood Mac) · next"]),
        # In the show's own room the goodbye comes from the reminders (see the reminders' tests).
        ("kim", "bar", "/close", [""]),
        ("ann", "dm", "/request africa", ["This show is closed."]),
    ])
    assert await night.queue_titles() == ["Bohemian Rhapsody", "Dreams"]


async def test_a_kj_can_open_a_show_from_a_private_chat_and_learns_the_code() -> None:
    night = await Night().start()
    text = await night.open("kim", "dm", "Solo")
    assert "you're its KJ" in text and f"/join {night.code}" in text
    await play(night, [
        ("ann", "dm", "{code}", ["You're in “Solo”"]),  # a bare code in private also joins
        ("ann", "dm", "africa toto", ["Queued Africa — Toto"]),
        ("kim", "dm", "/next", ["Now singing: Ann — Africa (Toto)."]),
        ("kim", "dm", "/next", ["That was the last song. The queue is empty — the show is still open."]),
        ("kim", "dm", "/next", ["The queue is empty — the show is still open."]),
        ("kim", "dm", "/close", ["“Solo” is closed. I'm telling its room and everyone whose songs were still "
                                 "waiting."]),
    ])


async def test_a_co_host_added_with_kj_can_run_the_queue() -> None:
    night = await Night().start()
    await night.open()
    await play(night, [
        ("ann", "bar", "/request zombi", ["Queued Zombie"]),
        ("kim", "bar", "/kj @lee", ["I don't know @lee yet."]),
        ("lee", "bar", "hi all", [""]),  # group chatter: the bot stays quiet but now knows lee
        ("kim", "bar", "/kj @Lee", ["@lee is now a KJ of “Friday Night” too."]),
        ("lee", "bar", "/next", ["Now singing: Ann — Zombie (The Cranberries)."]),
    ])


async def test_a_search_offers_buttons_and_a_press_queues_that_song() -> None:
    night = await Night().start()
    await night.open()
    await play(night, [
        ("ann", "bar", "/search abba", ["Songs matching “abba”"]),
        ("ann", "bar", "press:Waterloo", ["Queued Waterloo — ABBA. You're next"]),
    ])


async def test_mysongs_buttons_cancel_one_song() -> None:
    night = await Night().start()
    await night.open()
    await play(night, [
        ("ann", "bar", "/request zombi", ["Queued Zombie"]),
        ("ann", "bar", "/request wonderwal", ["Queued Wonderwall"]),
        ("ann", "bar", "/mysongs", ["1. Zombie", "2. Wonderwall"]),
        ("ann", "bar", "press:Cancel 1", ["Cancelled Zombie — The Cranberries."]),
        ("ann", "bar", "/cancel 5", ["Pick a number from 1 to 1"]),
    ])
    assert await night.queue_titles() == ["Wonderwall"]


async def test_a_stage_name_is_what_the_queue_shows() -> None:
    night = await Night().start()
    await night.open()
    await play(night, [
        ("ann", "dm", "/name  Annie  Mac ", ["You'll be shown as “Annie Mac”."]),
        ("ann", "dm", "/join {code}", ["You're in"]),
        ("ann", "dm", "zombi", ["Queued Zombie"]),
        ("kim", "bar", "/queue", ["1. Annie Mac — Zombie"]),
        ("kim", "bar", "/pause annie mac", ["Paused Annie Mac"]),
        ("ann", "dm", "/name Ann", ["You'll be shown as “Ann” — in tonight's queue and on the screen too."]),
        ("kim", "bar", "/resume ann", ["Ann is back in the rotation."]),
        ("kim", "bar", "/queue", ["1. Ann — Zombie"]),
        ("ann", "dm", "/name " + "x" * 41, ["at most 40 characters"]),
        ("ann", "dm", "/name", ["at least one character"]),
    ])


async def test_the_kj_changes_a_setting_and_bad_values_are_explained() -> None:
    night = await Night().start()
    await night.open()
    await play(night, [
        ("kim", "bar", "/settings", ["max_pending 3", "policy round_robin"]),
        ("kim", "bar", "/settings max_pending 1", ["max_pending is now 1."]),
        ("kim", "bar", "/settings max_pending 99", ["max_pending must be a whole number from 1 to 50"]),
        ("kim", "bar", "/settings colour blue", ["Use /settings <key> <value>"]),
        ("kim", "bar", "/settings auto_skip maybe", ["isn't a valid value for auto_skip"]),
        ("ann", "bar", "/request zombi", ["Queued Zombie"]),
        ("ann", "bar", "/request africa", ["You already have 1 song waiting — that's the limit."]),
    ])


async def test_cancel_with_several_songs_asks_which_and_with_one_takes_it_back() -> None:
    night = await Night().start()
    await night.open()
    await play(night, [
        ("ann", "bar", "/request zombi", ["Queued Zombie"]),
        ("ann", "bar", "/request wonderwal", ["Queued Wonderwall"]),
        ("ann", "bar", "/cancel", ["Which song should I take back?"]),
        ("ann", "bar", "press:Cancel Wonderwall", ["Cancelled Wonderwall — Oasis."]),
        ("ann", "bar", "/cancel", ["Cancelled Zombie — The Cranberries."]),
    ])
    assert await night.queue_titles() == []


async def test_help_lists_what_the_asker_may_do() -> None:
    night = await Night().start()
    await night.open()
    singer = await night.say("ann", "bar", "/help")
    assert "/request" in singer and "/open [name] starts a show" in singer and "/next" not in singer
    kj = await night.say("kim", "bar", "/help")
    assert "/request" in kj and "KJ: /open [name] · /next" in kj


async def test_skip_now_voids_the_performance_at_the_mic_and_the_called_singer_starts() -> None:
    night = await Night().start()
    await night.open()
    await play(night, [
        ("kim", "bar", "/skip now", ["Nobody is at the mic."]),
        ("ann", "bar", "/request zombi", ["Queued Zombie"]),
        ("bob", "bar", "/request africa", ["Queued Africa"]),
        ("kim", "bar", "/next", ["Now singing: Ann — Zombie (The Cranberries). Up next: Bob."]),
        ("kim", "bar", "/skip now", ["Voided Ann's Zombie — it doesn't count as sung and stays in their list. "
                                     "Now singing: Bob — Africa (Toto)."]),
        ("kim", "bar", "/undo", ["Undid the last /skip now. Now singing: Ann — Zombie (The Cranberries)."]),
    ])


async def test_the_show_moving_on_keeps_its_own_message_while_singers_answers_are_merged() -> None:
    # In a rush the group's answers to singers go out as one list; "Now singing" is the room's news,
    # not a line of the KJ's in that list.
    night = await Night().start()
    await night.open("kim", "bar", "Friday Night")
    queued = [*await night.send("ann", "bar", "/request bohemian rhapsody"),
              *await night.send("bob", "bar", "/request zombie")]
    moved_on = [*await night.send("kim", "bar", "/next"), *await night.send("kim", "bar", "/skip"),
                *await night.send("kim", "bar", "/undo")]
    assert [r.text.split(".")[0] for r in moved_on] == [
        "Now singing: Ann — Bohemian Rhapsody (Queen)", "Passed over Bob this round — Zombie stays in their list",
        "Undid the last /skip"]
    items = [OutboxItem(n, f"k{n}", "telegram", reply, {}, 1, "room:bar", True)
             for n, reply in enumerate([queued[0], moved_on[0], queued[1]])]
    assert [[item.item_id for item in message] for message in coalesce(items, limit=4096)] == [[0], [1], [2]]
    assert all(mergeable(r) for r in queued) and not any(mergeable(r) for r in moved_on)
