"""The ``NoticeStore`` contract (with the show store that writes notices with their events), on the fake,
SQLite and PostgreSQL: stored with their causes, claimed once under a lease, settled with their messages."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from core.chat import Person, Reply, Room
from core.delivery import Outbox, Outgoing
from core.reminders import Correction, NoticeStore
from core.rotation import ConcurrencyConflict, Notice, ShowSettings, ShowStore
from core.rotation.events import ShowOpened, SingerJoined
from tests.contracts.conftest import NOW

SHOW = "00000000-0000-0000-0000-0000000000a1"
ANN = Person("telegram", "1", "Ann")


def notice(kind: str, request: str = "r1", due: datetime = NOW, status: str = "pending") -> Notice:
    show_wide = kind in ("scan", "revise")
    key = f"{SHOW}:{'-' if kind == 'scan' else request}:{kind}:0"
    # As the planner makes them: the show's scan row is its timer, moved rather than added.
    return Notice(key, SHOW, None if show_wide else request, kind, due, status, reschedules=kind == "scan")


async def opened(shows: ShowStore) -> None:
    await shows.append(SHOW, 0, [ShowOpened(SHOW, "Night", "NOTIC", ShowSettings(), NOW, NOW)], "open")


async def stored(notices: NoticeStore) -> dict[str, tuple[str, datetime]]:
    return {n.kind: (n.status, n.due_at) for n in await notices.of_show(SHOW)}


async def test_notices_are_stored_with_their_events_and_never_without_them(
    shows: ShowStore, notices: NoticeStore
) -> None:
    await opened(shows)
    joined = [SingerJoined("s1", "Ann", "telegram", "1", NOW)]
    await shows.append(SHOW, 1, joined, "join", [notice("up"), notice("heads_up", status="suppressed")])
    assert await stored(notices) == {"up": ("pending", NOW), "heads_up": ("suppressed", NOW)}
    with pytest.raises(ConcurrencyConflict):  # a stale version: neither the events nor the notices land
        await shows.append(SHOW, 1, joined, "join-again", [notice("next")])
    assert "next" not in await stored(notices)
    # A key already taken stays as it was; only the notice that reschedules (the show's timer) moves.
    later = NOW + timedelta(minutes=5)
    await shows.append(SHOW, 2, joined, "join-3", [notice("up", due=later), notice("scan", due=NOW)])
    await shows.append(SHOW, 3, joined, "join-4", [notice("scan", due=later)])
    found = await stored(notices)
    assert found["up"] == ("pending", NOW) and found["scan"] == ("pending", later)


async def test_due_notices_are_claimed_under_a_lease_and_settled_with_their_messages(
    shows: ShowStore, notices: NoticeStore, outbox: Outbox
) -> None:
    await opened(shows)
    await notices.add([notice("up"), notice("next", due=NOW + timedelta(minutes=1))], NOW)
    claimed = await notices.claim_due(NOW, 10)
    assert [c.kind for c in claimed] == ["up"] and claimed[0].attempts == 1
    assert await notices.claim_due(NOW, 10) == []  # leased
    message = Outgoing(f"notice:{claimed[0].key}", "telegram", Reply(Room("telegram", "1", True), ANN, "Up!"))
    follow = notice("scan", due=NOW + timedelta(minutes=2))
    await notices.settle(claimed[0].notice_id, "sent", [message], [follow], NOW)
    await notices.settle(claimed[0].notice_id, "dropped", [message], [], NOW)  # a late second ticker: nothing
    found = await stored(notices)
    assert found["up"][0] == "sent" and found["scan"][0] == "pending"
    assert [q.key for q in await outbox.claim("telegram", 10, NOW)] == [message.key]
    # The lease runs out: a notice whose ticker died is claimed again.
    again = await notices.claim_due(NOW + timedelta(minutes=1, seconds=1), 10)
    assert [c.kind for c in again] == ["next"]
    assert [c.kind for c in await notices.claim_due(NOW + timedelta(minutes=3), 10)] == ["next", "scan"]


async def test_a_released_notice_comes_back_at_its_retry_time(shows: ShowStore, notices: NoticeStore) -> None:
    await opened(shows)
    await notices.add([notice("up")], NOW)
    (claimed,) = await notices.claim_due(NOW, 10)
    await notices.release(claimed.notice_id, NOW + timedelta(seconds=30), "the database hiccuped")
    assert await notices.claim_due(NOW + timedelta(seconds=29), 10) == []
    (again,) = await notices.claim_due(NOW + timedelta(seconds=30), 10)
    assert again.notice_id == claimed.notice_id and again.attempts == 2


async def test_on_my_way_settles_the_pending_no_show_check(shows: ShowStore, notices: NoticeStore) -> None:
    await opened(shows)
    await notices.add([notice("no_show", due=NOW + timedelta(minutes=3))], NOW)
    assert await notices.confirm(SHOW, "r1", NOW) is True
    assert await notices.confirm(SHOW, "r1", NOW) is False
    assert (await stored(notices))["no_show"][0] == "confirmed"
    assert await notices.claim_due(NOW + timedelta(hours=1), 10) == []


async def test_a_no_show_check_answered_while_claimed_prompts_nobody(
    shows: ShowStore, notices: NoticeStore, outbox: Outbox
) -> None:
    await opened(shows)
    await notices.add([notice("no_show")], NOW)
    (claimed,) = await notices.claim_due(NOW, 10)
    assert await notices.confirm(SHOW, "r1", NOW) is True  # "On my way" lands while the ticker works
    kj = Person("telegram", "9", "Kim")
    prompt = Outgoing(f"notice:{claimed.key}:kj:telegram:9", "telegram", Reply(Room("telegram", "9", True), kj, "?"))
    await notices.settle(claimed.notice_id, "sent", [prompt], [], NOW)
    assert (await stored(notices))["no_show"][0] == "confirmed"
    assert await outbox.claim("telegram", 10, NOW) == []


async def test_messages_that_failed_for_good_are_listed_by_prefix(
    shows: ShowStore, notices: NoticeStore, outbox: Outbox
) -> None:
    await opened(shows)
    await notices.add([notice("up")], NOW)
    (claimed,) = await notices.claim_due(NOW, 10)
    reply = Reply(Room("telegram", "1", True), ANN, "hi")
    messages = [Outgoing("notice:a", "telegram", reply, {"notice": "k"}), Outgoing("other:0", "telegram", reply)]
    await notices.settle(claimed.notice_id, "sent", messages, [], NOW)
    for item in await outbox.claim("telegram", 10, NOW):
        await outbox.failed(item.item_id, "Forbidden: bot was blocked by the user", NOW)
    failed = await notices.failed_messages("notice:", NOW - timedelta(minutes=1))
    assert [(f.key, dict(f.context), f.reason) for f in failed] == [
        ("notice:a", {"notice": "k"}, "Forbidden: bot was blocked by the user")]
    assert await notices.failed_messages("notice:", NOW + timedelta(minutes=1)) == []


async def test_a_shows_notices_are_read_back_in_the_order_planned(shows: ShowStore, notices: NoticeStore) -> None:
    await opened(shows)
    await notices.add([notice("up", request="r2"), notice("heads_up", request="r3", status="suppressed")], NOW)
    (claimed,) = await notices.claim_due(NOW, 10)
    await notices.settle(claimed.notice_id, "dropped", [], [], NOW + timedelta(seconds=5), "no longer waiting")
    back = await notices.of_show(SHOW)
    assert [(n.kind, n.request_id, n.status, n.detail) for n in back] == [
        ("up", "r2", "dropped", "no longer waiting"), ("heads_up", "r3", "suppressed", None)]
    assert back[0].settled_at == NOW + timedelta(seconds=5) and back[0].due_at == NOW
    assert await notices.of_show("00000000-0000-0000-0000-0000000000ff") == []
    await notices.settle(10_000, "sent", [], [], NOW)  # settling a notice that does not exist changes nothing
    assert [n.status for n in await notices.of_show(SHOW)] == ["dropped", "suppressed"]


async def test_a_notice_withdrawn_since_is_told_again_when_stored_again(shows: ShowStore, notices: NoticeStore) -> None:
    await opened(shows)
    await notices.add([notice("next"), notice("up", request="r2")], NOW)
    first = {c.kind: c for c in await notices.claim_due(NOW, 10)}
    await notices.settle(first["next"].notice_id, "dropped", [], [], NOW, "no longer first in line")
    await notices.settle(first["up"].notice_id, "sent", [], [], NOW)
    later = NOW + timedelta(minutes=2)
    await notices.add([notice("next", due=later), notice("up", request="r2", due=later)], later)
    (again,) = await notices.claim_due(later, 10)
    assert (again.kind, again.notice_id, again.revision, again.attempts) == ("next", first["next"].notice_id, 1, 1)
    assert again.created_at == later and first["next"].revision == 0
    assert (await stored(notices))["up"][0] == "sent", "a notice that still stands is not told twice"


async def test_what_singers_were_told_is_corrected_once(
    shows: ShowStore, notices: NoticeStore, outbox: Outbox
) -> None:
    await opened(shows)
    await notices.add([notice("next"), notice("heads_up", request="r2", status="suppressed"),
                       notice("revise", request="-"), notice("revise", request="x")], NOW)
    claimed = {c.key.split(":", 1)[1]: c for c in await notices.claim_due(NOW, 10)}
    await notices.settle(claimed["r1:next:0"].notice_id, "sent", [], [], NOW)
    await notices.add([notice("soon", request="r1")], NOW)  # about to be told
    told = await notices.told(SHOW)
    assert [(t.kind, t.request_id, t.status) for t in told] == [
        ("next", "r1", "sent"), ("heads_up", "r2", "suppressed"), ("soon", "r1", "pending")]
    fix = Outgoing("notice:fix:r1", "telegram", Reply(Room("telegram", "1", True), ANN, "Change of plan"))
    first, second = claimed["-:revise:0"], claimed["x:revise:0"]
    both = (told[0].notice_id, told[1].notice_id)
    await notices.correct(first.notice_id, [Correction(both, (fix,), superseded=(told[2].notice_id,))], NOW)
    await notices.correct(second.notice_id, [Correction((told[0].notice_id,), (fix,))], NOW)  # corrected already
    await notices.correct(first.notice_id, [Correction((told[1].notice_id,), (fix,))], NOW)  # settled already
    assert [q.key for q in await outbox.claim("telegram", 10, NOW)] == ["notice:fix:r1"]
    # The correction said what the pending notice would have: it stands as told, like a reply's words.
    assert [(t.kind, t.status) for t in await notices.told(SHOW)] == [("soon", "suppressed")]
    statuses = {(n.kind, n.request_id): n.status for n in await notices.of_show(SHOW)}
    assert statuses[("next", "r1")] == statuses[("heads_up", "r2")] == "corrected"
    assert statuses[("revise", None)] == "done"
    assert [c.kind for c in await notices.claim_due(NOW + timedelta(hours=1), 10)] == []
