"""What singers are told follows the truth: a change that makes it untrue is followed by one short
correction where it is needed, and a turn that comes true again is told again."""

from __future__ import annotations

from tests.unit.reminders.fakes import ReminderNight


async def a_night(*singers: tuple[str, str]) -> ReminderNight:
    """A night in the room "bar" run by Kim (with her private chat open), singers joined in private."""
    night = ReminderNight()
    await night.start()
    await night.open("kim", "bar")
    await night.say("kim", "dm", "/help")
    for who, song in singers:
        await night.say(who, "dm", f"/join {night.code}")
        await night.say(who, "dm", f"/request {song}")
    await night.tick()
    return night


FOUR = (("zoe", "dancing queen"), ("ann", "africa"), ("bob", "zombie"), ("cat", "waterloo"))


async def test_an_undone_next_is_corrected_and_the_real_call_is_told_again() -> None:
    night = await a_night(*FOUR)
    await night.say("kim", "bar", "/next")  # Zoe sings, Ann is called
    await night.tick()
    await night.say("kim", "bar", "/next")  # Ann sings, Bob is called
    told = dict(await night.tick())
    assert told["u-ann"] == "You're up now: Africa — Toto! Head to the stage."
    await night.say("kim", "bar", "/undo")  # Zoe sings again, Ann is called again
    told = dict(await night.tick())
    assert told == {
        "u-ann": "Change of plan: you're next — Africa — Toto, about 5 min.",
        "u-bob": "Change of plan: Zombie — The Cranberries is now 2nd in line, about 11 min.",
    }
    assert await night.tick(1) == [], "each correction once"
    await night.say("kim", "bar", "/next")  # now Ann's turn really comes
    told = dict(await night.tick())
    assert told["u-ann"] == "You're up now: Africa — Toto! Head to the stage."
    assert told["u-bob"].startswith("You're next: Zombie")


async def test_a_singer_moved_back_pushed_to_hold_or_resumed_hears_each_change_once() -> None:
    night = await a_night(*FOUR)
    await night.say("kim", "bar", "/next")  # Zoe sings, Ann is called
    await night.tick()
    await night.say("kim", "bar", "/move 3 1")  # Cat first: Ann is now 2nd
    told = dict(await night.tick())
    assert told["u-ann"] == "Change of plan: Africa — Toto is now 2nd in line, about 9 min."
    assert told["u-cat"].startswith("You're next: Waterloo")
    await night.say("kim", "bar", "/pause @cat")
    told = dict(await night.tick())
    assert told["u-cat"] == ("Change of plan: the KJ put your turn on hold. Waterloo — ABBA keeps its place; "
                             "I'll tell you when you're back in line.")
    assert told["u-ann"].startswith("You're next: Africa"), "Ann is called again, and told again"
    await night.say("kim", "bar", "/resume @cat")  # Cat's manual place is first again: Ann goes back
    told = dict(await night.tick())
    assert told["u-cat"].startswith("You're next: Waterloo")
    assert told["u-ann"] == "Change of plan: Africa — Toto is now 2nd in line, about 9 min."
    assert await night.tick(1) == []


async def test_a_removed_song_is_told_and_an_undone_removal_too() -> None:
    night = await a_night(*FOUR)
    await night.say("kim", "bar", "/next")
    await night.tick()
    await night.say("kim", "bar", "/remove 2")  # Bob's Zombie
    assert await night.tick() == [("u-bob", "The KJ took Zombie — The Cranberries out of tonight's queue.")]
    await night.say("kim", "bar", "/undo")
    assert await night.tick() == [
        ("u-bob", "Change of plan: Zombie — The Cranberries is back in the queue — 2nd in line, about 11 min.")]
    assert await night.tick(1) == []


async def test_a_singer_who_sits_out_their_own_turn_is_not_corrected() -> None:
    night = await a_night(*FOUR)
    await night.say("kim", "bar", "/next")
    await night.tick()
    ann_next = next(m.reply for m in night.notices.outbox.messages()
                    if m.reply.to_person and m.reply.to_person.user_id == "u-ann")
    night.last = [ann_next]
    assert "sit this round out" in await night.press("ann", "dm", "Skip me")
    told = dict(await night.tick())
    assert told["u-bob"].startswith("You're next: Zombie")
    assert told["u-ann"].startswith("Heads-up: you're 3rd in line for Africa"), "her new place; no 'change of plan'"
    await night.say("kim", "bar", "/pause @cat")  # a later change: Ann's old "you're next" stays quiet
    told = dict(await night.tick())
    assert "u-ann" not in told and told["u-cat"].startswith("Change of plan: the KJ put your turn on hold")


async def test_a_performance_voided_is_told_to_its_singer_and_the_called_singer_starts() -> None:
    night = await a_night(*FOUR)
    await night.say("kim", "bar", "/next")
    await night.say("kim", "bar", "/next")  # Ann "sings", Bob is called
    await night.tick()
    assert "Voided Ann's Africa" in await night.say("kim", "bar", "/skip now")
    told = dict(await night.tick())
    assert told["u-ann"] == ("Change of plan: your turn with Africa — Toto was called off. It stays in your list — "
                             "now 2nd in line, about 10 min.")
    assert told["u-bob"] == "You're up now: Zombie — The Cranberries! Head to the stage."


async def test_closing_tells_every_singer_still_waiting_and_the_room() -> None:
    night = await a_night(*FOUR)
    await night.say("ann", "dm", "/request wonderwall")
    await night.say("kim", "bar", "/next")
    await night.say("kim", "bar", "/next")  # Zoe sang; Ann sings now
    await night.tick()
    assert await night.say("kim", "bar", "/close") == ""  # the room hears it from the reminders
    told = await night.tick()
    assert ("?", "“Friday Night” is closed. Thanks for singing, everyone!") in told
    by_singer = {who: text for who, text in told if who != "?"}
    assert by_singer == {
        "u-ann": "“Friday Night” is closed for tonight, so Wonderwall — Oasis won't be sung. Thanks for coming!",
        "u-bob": "“Friday Night” is closed for tonight, so Zombie — The Cranberries won't be sung. Thanks for "
                 "coming!",
        "u-cat": "“Friday Night” is closed for tonight, so Waterloo — ABBA won't be sung. Thanks for coming!",
    }
    room = next(m for m in night.notices.outbox.messages() if m.reply.to_person is None)
    assert room.reply.room is not None and room.reply.room.room_id == "bar"
    assert await night.tick(1) == []


async def test_a_show_nobody_touches_for_its_idle_hours_closes_itself_and_tells_its_kjs() -> None:
    night = await a_night(("ann", "africa"))
    assert await night.tick(11 * 3600) == []
    await night.say("ann", "dm", "/request zombie")  # activity: the clock starts again
    assert await night.tick(11 * 3600) == []
    told = await night.tick(3600)
    assert ("u-kim", "“Friday Night” closed itself after 12 hours with nothing happening. Send /open to start a "
                     "new one.") in told
    assert ("u-ann", "“Friday Night” is closed for tonight, so your 2 waiting songs won't be sung. Thanks for "
                     "coming!") in told
    assert "closed" in await night.say("ann", "dm", "/request waterloo")


async def test_the_no_show_prompt_says_how_long_the_singer_was_really_waited_for() -> None:
    night = await a_night(*FOUR)
    await night.say("kim", "bar", "/next")  # Ann is called
    await night.tick()
    await night.say("kim", "bar", "/settings no_show_timeout_seconds 60")  # changed after the call
    told = await night.tick(180)
    assert ("u-kim", "Ann hasn't answered the call for Africa — Toto in 3 min. Skip them (the next singer is "
                     "called; whoever is singing goes on), or wait?") in told


async def test_a_singer_put_back_where_they_were_told_they_stood_hears_nothing() -> None:
    """Found on a console night: a skip undone made Ann's second song "Change of plan: … now 3rd in line", which
    is where her heads-up had put it. Passing within ten minutes while her heads-up was already out told her
    nothing, so going back past that line breaks nothing either."""
    night = await a_night(("ann", "waterloo"), ("bob", "i will survive"), ("cat", "mamma mia"))
    await night.say("ann", "dm", "/request zombie")
    await night.tick()
    await night.say("kim", "bar", "/next")  # Ann sings Waterloo: Zombie is 3rd, more than ten minutes away
    assert ("u-ann", "Heads-up: you're 3rd in line for Zombie — The Cranberries, about 13 min.") in await night.tick()
    await night.say("kim", "bar", "/skip")  # Bob passed over: Zombie 2nd, within ten minutes
    told = dict(await night.tick())
    assert "u-ann" not in told, "moving up is no news"
    await night.say("kim", "bar", "/undo")
    told = dict(await night.tick())
    assert told.keys() == {"u-bob", "u-cat"}, "Ann is back where her heads-up said: nothing to correct"
    assert await night.tick(1) == []


async def test_a_heads_up_that_said_a_wait_within_the_line_is_corrected_when_the_wait_grows_past_it() -> None:
    night = await a_night(("zoe", "dancing queen"), ("ann", "waterloo"), ("bob", "i will survive"),
                          ("cat", "mamma mia"), ("dan", "linger"))
    assert "14" in await night.say("kim", "bar", "/settings reminder_minutes 14")
    await night.tick()
    await night.say("kim", "bar", "/next")
    await night.tick()
    await night.say("kim", "bar", "/next")  # Ann sings: Dan's first word is his heads-up, within the 14 minutes
    told = dict(await night.tick())
    assert told["u-dan"] == "Heads-up: you're 3rd in line for Linger — The Cranberries, about 13 min."
    dans = [n for n in night.notices.rows.values() if n.notice.kind == "soon" and n.detail == "told with the heads-up"]
    assert [n.status for n in dans] == ["suppressed"], "the wait it said is on record, and was not said again"
    await night.say("kim", "bar", "/settings changeover_seconds 120")  # every wait grows; nobody moves
    assert await night.tick() == [
        ("u-dan", "Change of plan: Linger — The Cranberries is now 3rd in line, about 16 min.")]
    assert await night.tick(1) == []
