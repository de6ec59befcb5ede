"""The ticker over a whole conversation: who hears what, where, once, and what is dropped."""

from __future__ import annotations

from tests.unit.reminders.fakes import ReminderNight


async def a_night(direct: frozenset[str] = frozenset()) -> ReminderNight:
    night = ReminderNight(direct_platforms=direct)
    await night.start()
    await night.open("kim", "bar")
    return night


async def test_singers_hear_up_next_and_heads_up_in_their_private_chats_once() -> None:
    night = await a_night()
    for who, song in [("ann", "africa"), ("bob", "zombie"), ("cat", "waterloo"), ("dan", "wonderwall")]:
        await night.say(who, "dm", f"/join {night.code}")
        await night.say(who, "dm", f"/request {song}")
    assert await night.tick() == []  # everyone was told their place when they asked
    await night.say("kim", "bar", "/next")
    sent = await night.tick()
    assert ("u-ann", "You're up now: Africa — Toto! Head to the stage.") in sent
    assert any(who == "u-bob" and text.startswith("You're next: Zombie") for who, text in sent)
    # Cat was 3rd when she asked and is 2nd now: told then. Dan asked at 4th and is 3rd now: a heads-up.
    assert [who for who, _ in sent] == ["u-ann", "u-bob", "u-dan"]
    assert sent[2][1].startswith("Heads-up: you're 3rd in line for Wonderwall")
    up = night.message(0)
    assert up.reply.room is not None and up.reply.room.room_id == "dm-ann" and up.reply.room.private
    assert [b.label for b in up.reply.buttons] == ["On my way", "Skip me this round", "Cancel my song"]
    assert await night.tick(1) == []  # nothing twice
    await night.say("kim", "bar", "/next")
    sent = await night.tick()
    assert [who for who, _ in sent] == ["u-bob", "u-cat"]  # up and next; Dan had his heads-up
    assert sent[1][1].startswith("You're next: Waterloo")


async def test_without_a_private_chat_a_telegram_singer_is_mentioned_in_the_show_room() -> None:
    night = await a_night()
    await night.say("ann", "bar", "/request africa")
    await night.say("bob", "bar", "/request zombie")
    await night.say("kim", "bar", "/next")
    await night.tick()
    first = night.message(0)
    assert first.reply.room is not None and first.reply.room.room_id == "bar" and first.reply.mention
    assert first.reply.to_person is not None and first.reply.to_person.user_id == "u-ann"


async def test_where_the_platform_allows_a_direct_message_it_goes_privately() -> None:
    night = await a_night(direct=frozenset({"test"}))
    await night.say("ann", "bar", "/request africa")
    await night.say("kim", "bar", "/next")
    await night.tick()
    assert night.message(0).reply.room is None and not night.message(0).reply.mention


async def test_a_muted_singer_hears_nothing_until_unmuted() -> None:
    night = await a_night()
    await night.say("ann", "dm", f"/join {night.code}")
    assert "Reminders are off" in await night.say("ann", "dm", "/mute")
    await night.say("ann", "dm", "/request africa")
    await night.say("bob", "dm", f"/join {night.code}")
    await night.say("bob", "dm", "/request zombie")
    await night.say("kim", "bar", "/next")
    sent = await night.tick()
    assert [who for who, _ in sent] == ["u-bob"]
    assert ("up", "muted") in night.notices.statuses("up")
    assert "Reminders are on" in await night.say("ann", "dm", "/unmute")


async def test_a_notice_that_became_stale_before_it_was_due_is_dropped_not_sent_late() -> None:
    night = await a_night()
    for who, song in [("ann", "africa"), ("bob", "zombie"), ("cat", "waterloo")]:
        await night.say(who, "dm", f"/join {night.code}")
        await night.say(who, "dm", f"/request {song}")
    await night.say("kim", "bar", "/next")  # Ann up, Bob next: both due at once...
    await night.say("bob", "dm", "/cancel")  # ...but Bob withdraws before the ticker runs
    await night.say("kim", "bar", "/next")  # and Ann is done too
    sent = await night.tick()
    assert [who for who, _ in sent] == ["u-cat"]  # only Cat, who is up now
    statuses = dict(night.notices.statuses())
    assert ("up", "dropped") in night.notices.statuses("up") and statuses["next"] == "dropped"


async def test_on_my_way_settles_the_no_show_check_and_the_kj_is_not_prompted() -> None:
    night = await a_night()
    for who, song in [("ann", "africa"), ("bob", "zombie"), ("cat", "waterloo")]:
        await night.say(who, "dm", f"/join {night.code}")
        await night.say(who, "dm", f"/request {song}")
    await night.say("kim", "bar", "/next")
    await night.tick()
    night.last = [m.reply for m in night.notices.outbox.messages()
                  if m.reply.to_person and m.reply.to_person.user_id == "u-bob"]
    assert await night.press("bob", "dm", "On my way") == "Great, see you at the stage!"
    assert await night.tick(181) == []
    assert night.notices.statuses("no_show") == [("no_show", "confirmed")]


async def test_a_silent_called_singer_makes_the_kjs_get_a_skip_or_wait_prompt_that_works() -> None:
    night = await a_night()
    for who, song in [("ann", "africa"), ("bob", "zombie"), ("cat", "waterloo")]:
        await night.say(who, "dm", f"/join {night.code}")
        await night.say(who, "dm", f"/request {song}")
    await night.say("kim", "dm", "/help")  # the KJ has a private chat with the bot
    await night.say("kim", "bar", "/next")
    await night.tick()
    prompt = await night.tick(180)
    assert prompt == [("u-kim", "Bob hasn't answered the call for Zombie — The Cranberries in 3 min. "
                                "Skip them (the next singer is called; whoever is singing goes on), or wait?")]
    prompt_reply = night.message().reply
    night.last = [prompt_reply]
    assert "keeps their place" in await night.press("kim", "dm", "Wait")
    night.last = [prompt_reply]
    assert "Passed over Bob this round" in await night.press("kim", "dm", "Skip Bob")
    assert await night.queue_titles() == ["Africa", "Waterloo", "Zombie"], "Ann sings on; Cat is called"
    # Bob hears where he stands now; Cat hears she is next.
    told = dict(await night.tick())
    assert told["u-bob"].startswith("Change of plan: you were passed over this round. Zombie — The Cranberries "
                                    "stays in your list — now 2nd in line")
    assert told["u-cat"].startswith("You're next: Waterloo")
    # Someone else pressing the KJ's button gets nothing done.
    night.last = [prompt_reply]
    assert "belongs to someone else" in await night.press("bob", "dm", "Skip Bob")


async def test_auto_skip_passes_over_the_silent_singer_once_and_tells_kjs_and_singer() -> None:
    night = await a_night()
    await night.say("kim", "bar", "/settings auto_skip on")
    await night.say("kim", "dm", "/help")
    for who, song in [("ann", "africa"), ("bob", "zombie"), ("cat", "waterloo")]:
        await night.say(who, "dm", f"/join {night.code}")
        await night.say(who, "dm", f"/request {song}")
    await night.say("kim", "bar", "/next")
    await night.tick()
    assert await night.tick(180) == []  # Africa is still playing: Bob has the whole song to come forward
    sent = dict(await night.tick(180))
    # The KJ hears how long Bob was waited for (the whole song), Bob where he stands, Cat that she is next.
    assert sent["u-kim"] == ("Bob didn't answer within 6 min, so I passed them over this round (Zombie — The "
                             "Cranberries stays queued).")
    assert sent["u-bob"] == ("Change of plan: you were passed over this round. Zombie — The Cranberries stays in "
                             "your list — now 2nd in line, about 5 min.")
    assert sent["u-cat"].startswith("You're next: Waterloo")
    assert await night.queue_titles() == ["Africa", "Waterloo", "Zombie"]  # Cat is called; Bob waits a round
    assert night.notices.statuses("no_show")[0] == ("no_show", "skipped")
    # Running again (as a ticker that died before settling would) skips nobody else.
    assert await night.tick(1) == []
    assert await night.queue_titles() == ["Africa", "Waterloo", "Zombie"]


async def test_skip_me_this_round_and_cancel_my_song_act_through_the_rotation() -> None:
    night = await a_night()
    for who, song in [("ann", "africa"), ("bob", "zombie"), ("cat", "waterloo")]:
        await night.say(who, "dm", f"/join {night.code}")
        await night.say(who, "dm", f"/request {song}")
    await night.say("kim", "bar", "/next")
    await night.tick()
    bob_next = next(m.reply for m in night.notices.outbox.messages()
                    if m.reply.to_person and m.reply.to_person.user_id == "u-bob")
    night.last = [bob_next]
    assert "sit this round out" in await night.press("bob", "dm", "Skip me")
    assert await night.queue_titles() == ["Africa", "Waterloo", "Zombie"]
    ann_up = night.message(0).reply
    night.last = [ann_up]
    assert "Cancelled Africa — Toto." in await night.press("ann", "dm", "Cancel my song")
    assert await night.queue_titles() == ["Waterloo", "Zombie"]
    night.last = [ann_up]
    assert "isn't waiting any more" in await night.press("ann", "dm", "Skip me")


async def test_a_permanent_delivery_failure_is_reported_to_the_kjs_once() -> None:
    night = await a_night()
    await night.say("kim", "dm", "/help")
    await night.say("ann", "dm", f"/join {night.code}")
    await night.say("ann", "dm", "/request africa")
    await night.say("kim", "bar", "/next")
    await night.tick()
    up = night.message(0)
    night.notices.outbox.refuse(up.key, "Forbidden: bot was blocked by the user", night.clock.now())
    report = await night.tick(1)
    assert report == [("u-kim", "I couldn't deliver a reminder to Ann (Forbidden: bot was blocked by the user). "
                                "Call them by name when it's their turn.")]
    assert await night.tick(1) == []
