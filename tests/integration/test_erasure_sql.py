"""Forgetting a person on real databases: after it no table holds their ids or names, and every show
they sang in still folds, with an anonymous singer in their place."""

from __future__ import annotations

import itertools
import random
from datetime import timedelta

from core.catalog import SongDraft
from core.chat import Person, Room, Said, make_invite
from core.privacy import ANONYMOUS_NAME
from karaoke.bootstrap import Container
from storage.chat_directory import SqlChatDirectory
from storage.privacy import SqlErasure
from storage.tables import chat_people
from tests.privacy_scan import table_texts, tables_containing

KAY = Person("telegram", "900000001", "Kay Jay", "kayjay")
ANN = Person("telegram", "777000111", "Annabel Quux", "annabelq")
BOB = Person("slack", "U07BOB123", "Bob Slackson", "bobslack")
BAR = Room("telegram", "-100777", False)
SONGS = [("Bohemian Rhapsody", "Queen"), ("Sweet Caroline", "Neil Diamond"), ("Zombie", "The Cranberries")]
ANNS_TRACES = ("777000111", "Annabel", "annabelq", "Queen Quux")


class Chat:
    """Updates through the real inbox, worker and outbox; every reply is then sent (as the dispatcher would)."""

    def __init__(self, container: Container) -> None:
        self.container = container
        self.keys = itertools.count(1)

    async def say(self, person: Person, room: Room, text: str, key: str | None = None) -> str:
        c = self.container
        await c.inbox.put(Said(person, room, text, key or str(next(self.keys))))
        await c.inbox_worker.run_once()
        texts = []
        for platform in ("telegram", "slack"):
            for item in await c.outbox.claim(platform, 100, c.clock.now()):
                await c.outbox.delivered(item.item_id, c.clock.now())
                texts.append(item.reply.text)
        return "\n".join(texts)


async def _a_night(container: Container) -> tuple[Chat, str]:
    for title, artist in SONGS:
        await container.catalog.add_song(SongDraft(title=title, artist=artist, duration=240))
    await container.search.build()
    chat = Chat(container)
    opened = await chat.say(KAY, BAR, "/open Friday Night")
    code = opened.split("Join code: ")[1][:5]
    ann_dm, bob_dm = Room("telegram", ANN.user_id, True), Room("slack", "D07BOB", True)
    assert "You're in" in await chat.say(ANN, ann_dm, f"/start {code}")
    assert "Queued Bohemian Rhapsody" in await chat.say(ANN, ann_dm, "/request bohemian rhapsody")
    assert "Queued Sweet Caroline" in await chat.say(ANN, ann_dm, "/request sweet caroline")
    assert "Queen Quux" in await chat.say(ANN, ann_dm, "/name Queen Quux")
    assert "You're in" in await chat.say(BOB, bob_dm, f"/join {code}")
    # A Slack update key names its presser, and so does the rotation command id made from it.
    assert "Queued Zombie" in await chat.say(BOB, bob_dm, "/request zombie", key="action:U07BOB123:1.1:2.2")
    assert "Now singing: Queen Quux" in await chat.say(KAY, BAR, "/next")
    await chat.say(KAY, BAR, "/kj @annabelq")
    [show] = (await container.rotation.list_shows()).items
    return chat, show.show_id


async def test_after_forgetting_no_table_holds_their_ids_or_names_and_the_show_still_folds(
        container: Container) -> None:
    _, show_id = await _a_night(container)
    everything = await tables_containing(container.engine, *ANNS_TRACES)
    assert {"chat_people", "chat_kjs", "show_events", "inbox", "outbox"} <= set(everything)
    before = await container.rotation.state(show_id)

    forgotten = await container.eraser.forget("telegram", ANN.user_id)

    assert forgotten is not None and forgotten.withdrawn == 1, "her waiting Sweet Caroline left the queue"
    assert forgotten.counts["people"] == 1 and forgotten.counts["kj roles"] == 1
    assert await tables_containing(container.engine, *ANNS_TRACES) == {}
    after = await container.rotation.state(show_id)
    assert len(after.singers) == len(before.singers) and after.requests.keys() == before.requests.keys()
    assert after.now is not None and after.now == before.now, "she is still at the mic, anonymously"
    at_mic = after.singers[after.requests[after.now].singer_id]
    assert at_mic.name == ANONYMOUS_NAME and at_mic.platform == "erased" and at_mic.user_id
    view = await container.rotation.queue(show_id)
    assert [(s.singer.name, s.song.title) for s in view.upcoming] == [("Bob Slackson", "Zombie")]
    assert view.now is not None and view.now.singer.name == ANONYMOUS_NAME
    # A fresh process folds the rewritten log the same way.
    container.rotation.drop_cached(show_id)
    assert (await container.rotation.state(show_id)).singers == after.singers
    # Others are untouched, and forgetting her again finds nobody.
    assert "Bob Slackson" in (await table_texts(container.engine))["chat_people"]
    assert await container.eraser.forget("telegram", ANN.user_id) is None


async def test_a_slack_person_s_id_leaves_the_command_ids_of_the_log_too(container: Container) -> None:
    _, show_id = await _a_night(container)
    assert "U07BOB123" in (await table_texts(container.engine))["show_events"]
    assert await container.eraser.forget("slack", BOB.user_id) is not None
    assert await tables_containing(container.engine, "U07BOB123", "Bob Slackson", "bobslack") == {}
    assert [s.song.title for s in (await container.rotation.queue(show_id)).upcoming] == ["Sweet Caroline"]


async def test_once_forgotten_a_person_who_writes_again_is_known_afresh(container: Container) -> None:
    chat, _ = await _a_night(container)
    await container.eraser.forget("telegram", ANN.user_id)
    await chat.say(ANN, Room("telegram", ANN.user_id, True), "/mute")
    async with container.engine.connect() as conn:
        rows = (await conn.execute(chat_people.select().where(chat_people.c.user_id == ANN.user_id))).all()
    assert [r.name for r in rows] == ["Annabel Quux"]
    # A new person, muted as she asked just now; the stage name she had is gone with the old one.
    person = await container.people.store.find("telegram", ANN.user_id)
    assert person is not None and person.muted and person.name is None


async def test_another_instance_that_still_thinks_it_knows_them_stores_them_again(container: Container) -> None:
    elsewhere = SqlChatDirectory(container.engine)  # its own cache, not told of the erasure
    await elsewhere.remember_person(ANN)
    assert await SqlErasure(container.engine).forget("telegram", ANN.user_id, "a1b2") != {}
    await elsewhere.set_muted(ANN, True)
    reach = await elsewhere.reach("telegram", ANN.user_id)
    assert reach is not None and reach.muted and reach.person.name == "Annabel Quux"


async def test_a_kj_who_redeemed_an_invite_leaves_no_trace_in_the_invites(container: Container) -> None:
    chat, _ = await _a_night(container)
    code = await make_invite(container.kjs, container.clock.now(), timedelta(hours=1), random.Random(3).choice)
    ann_dm = Room("telegram", ANN.user_id, True)
    assert "KJ" in await chat.say(ANN, ann_dm, f"/redeem {code}")
    assert await container.kjs.is_registered("telegram", ANN.user_id)
    assert {"kj_people", "kj_invites"} <= set(await tables_containing(container.engine, ANN.user_id))

    forgotten = await container.eraser.forget("telegram", ANN.user_id)

    assert forgotten is not None and forgotten.counts["kj invites"] == 1
    assert await tables_containing(container.engine, *ANNS_TRACES) == {}
    assert not await container.kjs.is_registered("telegram", ANN.user_id)
