"""Forgetting one account of a person who linked two, on real databases and through ``karaoke people forget``:
that account's ids and names leave every table, and the other account goes on as the same person: the same
singer with their songs, place, favourites and earlier nights."""

from __future__ import annotations

from core.catalog import SongDraft
from core.chat import Person, Room
from core.people import Identity
from core.privacy import ANONYMOUS_NAME
from karaoke.bootstrap import Container
from tests.integration.test_cli import karaoke
from tests.integration.test_erasure_sql import ANN, BAR, BOB, KAY, Chat, _a_night
from tests.privacy_scan import tables_containing

ANN_ON_SLACK = Person("slack", "U07ANN456", "Ann Slacker", "annslack")
ANN_ON_TELEGRAM = ("777000111", "Annabel", "annabelq")
SLACK_DM = Room("slack", "D07ANN", True)


async def _linked(container: Container) -> tuple[Chat, str]:
    """The erasure tests' night (Ann on Telegram at the mic as "Queen Quux", Sweet Caroline waiting), and
    Ann's Slack account linked to her and in the show too."""
    chat, show_id = await _a_night(container)
    await container.catalog.add_song(SongDraft(title="Africa", artist="Toto", duration=240))
    answer = await chat.say(ANN, Room("telegram", ANN.user_id, True), "/link")
    code = answer.split("code: ")[1][:8]
    assert "Linked" in await chat.say(ANN_ON_SLACK, SLACK_DM, f"/link {code}")
    show = await container.rotation.state(show_id)
    assert "You're in" in await chat.say(ANN_ON_SLACK, SLACK_DM, f"/join {show.code}")
    assert "Queued Zombie" not in await chat.say(ANN_ON_SLACK, SLACK_DM, "/fav zombie")
    return chat, show_id


async def test_forgetting_one_linked_account_leaves_the_other_as_the_same_singer(
        container: Container, db_url: str) -> None:
    chat, show_id = await _linked(container)
    before = await container.rotation.state(show_id)
    singer_id = before.requests[before.now or ""].singer_id
    assert before.pending_of(singer_id), "Sweet Caroline waits for her"

    result = karaoke(db_url, "people", "forget", "telegram", ANN.user_id)

    assert result.returncode == 0, result.stderr
    assert "0 waiting songs withdrawn" in result.stdout
    # Telegram's id, name and handle are gone from every table; Slack's account is still there.
    assert await tables_containing(container.engine, *ANN_ON_TELEGRAM) == {}
    assert "people" in await tables_containing(container.engine, "Queen Quux"), "her chosen name is the person's"
    person = await container.people.store.find("slack", ANN_ON_SLACK.user_id)
    assert person is not None and person.identities == (Identity("slack", ANN_ON_SLACK.user_id),)
    assert person.name == "Queen Quux"

    after = await container.rotation.state(show_id)
    ann = after.singers[singer_id]
    assert (ann.name, ann.platform, ann.person_id) == ("Queen Quux", "erased", person.person_id)
    assert after.now == before.now and after.pending_of(singer_id) == before.pending_of(singer_id)
    # From Slack she is the same singer: her songs listed, a request joins her list, her favourites are hers.
    assert "Sweet Caroline" in await chat.say(ANN_ON_SLACK, SLACK_DM, "/mysongs")
    assert "Queued Africa" in await chat.say(ANN_ON_SLACK, SLACK_DM, "/request africa toto")
    assert "Zombie" in await chat.say(ANN_ON_SLACK, SLACK_DM, "/favs")
    state = await container.rotation.state(show_id)
    assert [s for s in state.rotation if state.singers[s].person_id == person.person_id] == [singer_id]
    view = await container.rotation.queue(show_id)
    # She sang this round (as Telegram's Ann): Bob first, then her two, one a round.
    assert [(s.singer.name, s.song.title) for s in view.upcoming] == [
        ("Bob Slackson", "Zombie"), ("Queen Quux", "Sweet Caroline"), ("Queen Quux", "Africa")]

    # A fresh process folds the rewritten log the same way, and still finds nothing of Telegram's Ann.
    container.rotation.drop_cached(show_id)
    assert (await container.rotation.state(show_id)).singers == state.singers
    assert await tables_containing(container.engine, *ANN_ON_TELEGRAM) == {}
    assert "Now singing: Bob Slackson" in await chat.say(KAY, BAR, "/next")  # the show goes on

    # Forgetting her last account forgets the person: nothing of either account, nor her name, is left.
    again = karaoke(db_url, "people", "forget", "slack", ANN_ON_SLACK.user_id)
    assert again.returncode == 0, again.stderr
    assert await tables_containing(container.engine, "U07ANN456", "Ann Slacker", "annslack", "Queen Quux") == {}
    assert await container.people.store.find("slack", ANN_ON_SLACK.user_id) is None
    view = await container.rotation.queue(show_id)
    assert view.now is not None and view.now.singer.name == "Bob Slackson"
    assert not view.upcoming, "with the person, her waiting songs left the queue"
    final = await container.rotation.state(show_id)
    sung = [(final.singers[h.singer_id].name, h.song.title) for h in final.history]
    assert sung[0] == (ANONYMOUS_NAME, "Bohemian Rhapsody"), "the night's history keeps what she sang, anonymously"
    assert await tables_containing(container.engine, BOB.user_id), "Bob was never touched"


async def test_a_web_singer_linked_to_telegram_is_forgotten_per_account_too(container: Container) -> None:
    chat, show_id = await _linked(container)
    state = await container.rotation.state(show_id)
    joined = await container.web.join(state.code, "Annie", None, address="198.51.100.20")
    person = await container.people.store.find("telegram", ANN.user_id)
    assert person is not None
    code = await container.people.link_code(person.person_id)
    await container.web.link(joined.session, code, address="198.51.100.20")
    session = joined.session.session_id

    assert await container.eraser.forget("web", session) is not None

    assert await tables_containing(container.engine, session) == {}, "no trace of the browser, where it joined"
    kept = await container.people.store.find("telegram", ANN.user_id)
    assert kept is not None and {i.platform for i in kept.identities} == {"telegram", "slack"}
    assert "Sweet Caroline" in await chat.say(ANN, Room("telegram", ANN.user_id, True), "/mysongs")
