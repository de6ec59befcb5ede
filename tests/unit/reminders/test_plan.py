"""The planner: which notices a show owes after each batch of events, keyed so each goes out once."""

from __future__ import annotations

from datetime import timedelta

from core.reminders import plan_notices, stale_reason
from core.reminders.plan import no_show_due
from core.rotation import Event, Notice, ShowSettings, SkipMyTurn
from tests.unit.rotation.harness import Show, singer


def planned(show: Show, events: list[Event]) -> list[Notice]:
    return plan_notices(show.state, events, show.now)


def owed(show: Show, events: list[Event]) -> set[tuple[str, str, str]]:
    """(kind, song title, status) of the notices planned, without the show's scan row."""
    return {(n.kind, show.title(n.request_id), n.status) for n in planned(show, events) if n.request_id}


def night(*singers: str, settings: ShowSettings | None = None) -> Show:
    show = Show(settings)
    for who in singers:
        show.request(who, f"{who}-song", 240)
    return show


def test_a_request_just_queued_is_told_its_place_in_the_reply_not_again() -> None:
    show = night("ann", "bob")
    events = show.request("cat", "cat-song", 240)  # 3rd in line, within 10 minutes
    assert owed(show, events) >= {("heads_up", "cat-song", "suppressed"), ("soon", "cat-song", "suppressed")}
    assert not any(n.status == "pending" for n in planned(show, events) if n.request_id == "cat-song")


def test_a_started_performance_tells_the_singer_up_now_and_the_next_one_next() -> None:
    show = night("ann", "bob", "cat", "dan", "eve")
    events = show.advance()
    notices = {(n.kind, show.title(n.request_id)): n for n in planned(show, events) if n.request_id}
    assert notices[("up", "ann-song")].status == "pending"
    assert notices[("next", "bob-song")].status == "pending"
    # The no-show check is stored when the call is settled, timed from the call (see the ticker's tests).
    assert ("no_show", "bob-song") not in notices
    assert no_show_due(show.state, show.now) == show.now + timedelta(seconds=180)
    # Cat and Dan are 2nd and 3rd: a heads-up each (the store keeps the suppressed rows from their requests).
    assert notices[("heads_up", "cat-song")].status == "pending"
    assert notices[("heads_up", "dan-song")].status == "pending"
    assert ("heads_up", "eve-song") not in notices  # 4th


def test_keys_name_show_request_kind_and_skips_so_a_skipped_singer_hears_again_next_round() -> None:
    show = night("ann", "bob", "cat")
    show.advance()
    first = {n.kind: n.key for n in planned(show, []) if n.request_id == "bob-song"}
    assert first["next"] == "show-1:bob-song:next:0"
    show.skip("bob-song")  # Bob is a no-show: Cat is called instead, Bob keeps the song
    show.advance()  # Cat sings
    show.advance()  # Cat done; next round Bob is called again
    again = {n.kind: n.key for n in planned(show, []) if n.request_id == "bob-song"}
    assert again["up"] == "show-1:bob-song:up:1"


def test_the_scan_row_is_due_when_the_first_singer_beyond_the_reminder_line_crosses_it() -> None:
    show = night("ann", "bob", "cat", "dan", "eve", settings=ShowSettings(reminder_minutes=10))
    events = show.advance()
    scan = next(n for n in planned(show, events) if n.kind == "scan")
    view_etas = {s.song.title: s.eta_seconds for s in show_view(show)}
    beyond = min(eta for eta in view_etas.values() if eta > 600)
    assert scan.due_at == show.now + timedelta(seconds=beyond - 600)
    assert scan.key == "show-1:-:scan:0"


def show_view(show: Show):  # type: ignore[no-untyped-def]
    from core.rotation import queue_view
    return queue_view(show.state, show.now).upcoming


def test_time_brings_a_singer_within_the_reminder_line_and_the_next_plan_owes_them_soon() -> None:
    show = night("ann", "bob", "cat", "dan", "eve", settings=ShowSettings(reminder_minutes=12, heads_up_position=2))
    show.advance()
    assert ("soon", "dan-song", "pending") not in owed(show, [])  # about 15 min away
    show.now += timedelta(minutes=3)  # three minutes into Ann's song, Dan (3rd) is within 12 minutes
    assert ("soon", "dan-song", "pending") in owed(show, [])


def test_a_closed_show_owes_nothing_and_everything_planned_is_stale() -> None:
    show = night("ann", "bob")
    show.advance()
    key = next(n.key for n in planned(show, []) if n.kind == "up")
    assert stale_reason(show.state, "up", "ann-song", key, show.now) is None
    from core.rotation import CloseShow
    show.do(CloseShow("close"))
    assert planned(show, []) == []
    assert stale_reason(show.state, "up", "ann-song", key, show.now) == "the show is closed"


def test_stale_reasons_follow_the_queue() -> None:
    show = night("ann", "bob", "cat")
    show.advance()
    assert stale_reason(show.state, "next", "bob-song", "show-1:bob-song:next:0", show.now) is None
    show.withdraw("bob", "bob-song")
    assert stale_reason(show.state, "next", "bob-song", "show-1:bob-song:next:0", show.now) == \
        "the song is no longer waiting"
    assert stale_reason(show.state, "next", "cat-song", "show-1:cat-song:next:0", show.now) is None
    show.advance()
    assert stale_reason(show.state, "up", "ann-song", "show-1:ann-song:up:0", show.now) == "the performance is over"
    assert stale_reason(show.state, "heads_up", "cat-song", "show-1:cat-song:heads_up:1", show.now) == \
        "the singer was skipped since"


def test_auto_skip_waits_for_the_current_song_to_end_before_its_no_show_check() -> None:
    show = night("ann", "bob", settings=ShowSettings(auto_skip=True, no_show_timeout_seconds=60))
    show.advance()
    # Ann's song plus the changeover, counted from the advance (the harness's clock has ticked on since).
    assert no_show_due(show.state, show.now) == show.now + timedelta(seconds=(240 - 1) + 60)


def test_a_singer_can_give_up_their_turn_while_called_up_and_the_song_waits_again() -> None:
    show = night("ann", "bob", "cat")
    show.advance()
    events = show.do(SkipMyTurn("c-skipme", singer("ann"), "ann-song"))
    assert show.state.now is None
    assert show.state.requests["ann-song"].status == "pending"
    assert show.replayed().requests["ann-song"].status == "pending"
    assert [type(e).__name__ for e in events] == ["SingerSkipped"]
    assert show.upcoming()[0] == "bob-song"  # Bob was locked next; Ann waits for a later round
