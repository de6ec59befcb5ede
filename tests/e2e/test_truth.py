"""What singers are told stays true, through the real service and the stand-in Telegram: an undo, a move,
a pause, a removal or the end of the night is followed by one correction where it is needed, and a turn
that comes true again is told again. Run on SQLite and PostgreSQL, with the platforms' limits kept."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.test_reminders import ADMIN, count, open_show, said, service, sign_up
from tests.e2e.waiting import eventually, texts
from tests.standins import FakeTelegram

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def corrections(tg: FakeTelegram, chat_id: int) -> list[str]:
    return [t for t in texts(tg, chat_id) if t.startswith("Change of plan")]


async def night(tg: FakeTelegram) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]], str]:
    """Kay runs "Friday Night" in the bar; Zoe, Ann, Bob and Cat signed up in private, in that order."""
    kay, bar = tg.user(1, "Kay", "kay_jay"), tg.group(-1001, "The Bar")
    singers = [tg.user(2 + n, name, name.lower()) for n, name in enumerate(("Zoe", "Ann", "Bob", "Cat"))]
    code = await open_show(tg, bar, kay, "Friday Night")
    for singer, song in zip(singers, ("bohemian rhapsody", "sweet caroline", "zombie", "waterloo"), strict=True):
        await sign_up(tg, singer, code, song)
    return kay, bar, singers, code


async def test_an_undone_call_is_corrected_and_the_real_one_told_again(db_url: str, tg: FakeTelegram) -> None:
    async with service(db_url, tg):
        kay, bar, (zoe, ann, bob, _), _ = await night(tg)
        tg.push_message(bar, kay, "/next")  # Zoe sings, Ann is called
        await eventually(said(tg, ann["id"], "You're next: Sweet Caroline"))
        tg.push_message(bar, kay, "/next")  # Ann sings, Bob is called
        await eventually(said(tg, ann["id"], "You're up now: Sweet Caroline"))
        await eventually(said(tg, bob["id"], "You're next: Zombie"))
        tg.push_message(bar, kay, "/undo")  # Zoe sings again, Ann is called again
        await eventually(lambda: corrections(tg, ann["id"]) == [
            "Change of plan: you're next — Sweet Caroline — Neil Diamond, about 5 min."])
        await eventually(lambda: len(corrections(tg, bob["id"])) == 1)
        assert corrections(tg, bob["id"])[0].startswith("Change of plan: Zombie — The Cranberries is now 2nd in line")
        tg.push_message(bar, kay, "/next")  # Ann's turn really comes: she is told again
        await eventually(lambda: count(tg, ann["id"], "You're up now: Sweet Caroline") == 2)
        await eventually(lambda: count(tg, bob["id"], "You're next: Zombie") == 2)
        assert count(tg, zoe["id"], "You're up now") == 1, "Zoe's undone finish takes nothing from her"
        assert len(corrections(tg, ann["id"])) == len(corrections(tg, bob["id"])) == 1
        assert tg.rate_violations() == []


async def test_a_move_a_pause_and_a_removal_are_each_told_once(db_url: str, tg: FakeTelegram) -> None:
    async with service(db_url, tg):
        kay, bar, (_, ann, bob, cat), _ = await night(tg)
        tg.push_message(bar, kay, "/next")  # Zoe sings, Ann is called
        await eventually(said(tg, ann["id"], "You're next: Sweet Caroline"))
        tg.push_message(bar, kay, "/move 3 1")  # Cat first
        await eventually(said(tg, cat["id"], "You're next: Waterloo"))
        await eventually(said(tg, ann["id"], "Change of plan: Sweet Caroline — Neil Diamond is now 2nd in line"))
        tg.push_message(bar, kay, "/pause @cat")
        await eventually(said(tg, cat["id"], "Change of plan: the KJ put your turn on hold."))
        await eventually(lambda: count(tg, ann["id"], "You're next: Sweet Caroline") == 2)
        tg.push_message(bar, kay, "/remove 2")  # Bob's Zombie, 2nd now
        await eventually(said(tg, bob["id"], "The KJ took Zombie — The Cranberries out of tonight's queue."))
        tg.push_message(bar, kay, "/undo")
        await eventually(said(tg, bob["id"], "Change of plan: Zombie — The Cranberries is back in the queue"))
        await eventually(said(tg, bar["id"], "Undid the last removal."))
        assert [len(corrections(tg, who["id"])) for who in (ann, cat)] == [1, 1]
        # Bob was 3rd, about 10 min, when he asked: the move made it 15, the undone removal put him back.
        assert [c.split(" — The Cranberries ")[1].split(",")[0] for c in corrections(tg, bob["id"])] == [
            "is now 3rd in line", "is back in the queue — 2nd in line"]
        assert tg.rate_violations() == []


async def test_closing_tells_the_room_once_and_each_singer_still_waiting(db_url: str, tg: FakeTelegram) -> None:
    async with service(db_url, tg):
        kay, bar, (zoe, ann, bob, cat), _ = await night(tg)
        tg.push_message(bar, kay, "/next")
        await eventually(said(tg, ann["id"], "You're next"))
        tg.push_message(bar, kay, "/close")
        await eventually(said(tg, bar["id"], "“Friday Night” is closed. Thanks for singing, everyone!"))
        for singer, song in ((ann, "Sweet Caroline"), (bob, "Zombie"), (cat, "Waterloo")):
            await eventually(said(tg, singer["id"], f"“Friday Night” is closed for tonight, so {song}"))
        assert count(tg, zoe["id"], "is closed for tonight") == 0, "Zoe's song was on: nothing waits for her"
        assert count(tg, bar["id"], "is closed") == 1
        tg.push_message(None, ann, "/request africa")
        await eventually(said(tg, ann["id"], "This show is closed."))


async def test_skip_passes_over_the_called_singer_and_skip_now_voids_the_one_at_the_mic(
    db_url: str, tg: FakeTelegram
) -> None:
    async with service(db_url, tg) as url:
        kay, bar, (zoe, ann, bob, _), _ = await night(tg)
        tg.push_message(bar, kay, "/next")  # Zoe sings, Ann is called
        await eventually(said(tg, ann["id"], "You're next"))
        show = (await httpx.AsyncClient(base_url=url).get("/api/v1/shows")).json()["items"][0]
        async with httpx.AsyncClient(base_url=url, headers=ADMIN) as api:
            queue = (await api.post(f"/api/v1/shows/{show['show_id']}/skip")).json()
            assert queue["now"]["singer"]["name"] == "Zoe", "whoever sings goes on"
            assert [s["singer"]["name"] for s in queue["upcoming"]] == ["Bob", "Cat", "Ann"]
            await eventually(said(tg, ann["id"], "Change of plan: you were passed over this round."))
            await eventually(said(tg, bob["id"], "You're next: Zombie"))
            voided = (await api.post(f"/api/v1/shows/{show['show_id']}/skip", json={"who": "now"})).json()
            assert voided["now"]["singer"]["name"] == "Bob"
            history = (await api.get(f"/api/v1/shows/{show['show_id']}/history")).json()["items"]
            assert [(h["singer"]["name"], h["outcome"]) for h in history] == [("Ann", "skipped"), ("Zoe", "voided")]
            refused = await api.post(f"/api/v1/shows/{show['show_id']}/skip", json={"who": "everyone"})
            assert refused.status_code == 400 and refused.json()["error"]["code"] == "validation-error"
        await eventually(said(tg, zoe["id"], "Change of plan: your turn with Bohemian Rhapsody — Queen was called off"))
        await eventually(said(tg, bob["id"], "You're up now: Zombie"))
