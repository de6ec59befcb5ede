"""Events survive JSON storage exactly."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from core.rotation import EventCodecError, ShowSettings, event_from_dict, event_to_dict, fold
from core.rotation.events import EVENT_TYPES, KjActionTaken, ShowOpened, SingerJoined, SongRequested, UndoPoint

from .harness import Show, singer

AT = datetime(2026, 3, 14, 21, 5, 7, 123456, tzinfo=UTC)


def busy_show() -> Show:
    show = Show(ShowSettings(policy="fifo", auto_skip=True))
    for who, title in [("A", "A1"), ("B", "B1"), ("C", "C1"), ("A", "A2")]:
        show.request(who, title)
    show.request("D", "D1", duration=None)
    show.advance()
    show.skip()
    show.advance()
    show.skip_now()
    show.pause("A")
    show.resume("A")
    show.move("D1", 1)
    show.bump("A")
    show.remove("A2")
    show.withdraw("D", "D1")
    show.undo()
    show.walk_in("Jo", "J1")
    show.block("D")
    show.unblock("D")
    from core.rotation import ChangeShowSettings, CloseShow, RenameSinger

    show.do(RenameSinger("rename", singer("B"), "Bea"))

    show.request("B", "B2")
    # A and B turn out to be one person with two accounts (see core.people).
    from core.rotation import LinkSingers

    show.do(LinkSingers("link", "person-1", (("telegram", "A"), ("telegram", "B"))))
    show.do(ChangeShowSettings("s", ShowSettings(max_pending=5)))
    show.do(CloseShow("close"))
    # Someone asks to be forgotten after the night (see core.privacy).
    from core.rotation import ForgetSinger, SingerRef

    show.do(ForgetSinger("forget", singer("C"), SingerRef("erased", "a1b2", "A singer")))
    return show


def test_every_event_type_round_trips_through_json() -> None:
    show = busy_show()
    assert {type(e) for e in show.events} == set(EVENT_TYPES)
    for event in show.events:
        kind, payload = event_to_dict(event)
        assert event_from_dict(kind, json.loads(json.dumps(payload))) == event


def test_replaying_decoded_events_gives_the_same_state() -> None:
    show = busy_show()
    decoded = [event_from_dict(*event_to_dict(e)) for e in show.events]
    assert fold(decoded) == show.state


def test_a_singer_stored_before_people_existed_still_decodes_without_a_person() -> None:
    payload = {"singer_id": "s1", "name": "Ann", "platform": "telegram", "user_id": "42",
               "occurred_at": "2026-03-14T21:05:07Z"}
    joined = event_from_dict("SingerJoined", payload)
    assert isinstance(joined, SingerJoined) and joined.person_id is None
    state = fold([ShowOpened("id", "n", "CODE", ShowSettings(), AT, AT), joined])
    assert state.singer_keys == {("telegram", "42"): "s1"}


def test_datetimes_are_iso_strings_ending_in_z() -> None:
    kind, payload = event_to_dict(SongRequested("r", "s", "song", "T", "A", None, AT))
    assert kind == "SongRequested"
    assert payload["occurred_at"] == "2026-03-14T21:05:07.123456Z"
    assert payload["duration"] is None


def test_nested_values_become_plain_json() -> None:
    point = UndoPoint("r1", AT, 2, ("s1", "s2"), None, ("r2",), 4, (("r1", "pending"),), (("s1", True),))
    _, payload = event_to_dict(KjActionTaken("skip", point, AT))
    assert payload["undo_point"]["request_statuses"] == [["r1", "pending"]]
    _, opened = event_to_dict(ShowOpened("id", "n", "CODE", ShowSettings(), AT, AT))
    assert opened["settings"]["policy"] == "round_robin"


@pytest.mark.parametrize(
    ("kind", "payload"),
    [
        ("Nope", {}),
        ("ShowClosed", {}),
        ("ShowClosed", {"occurred_at": "2026-03-14T21:05:07"}),
        ("SingerPaused", {"singer_id": 5, "occurred_at": "2026-03-14T21:05:07Z"}),
    ],
)
def test_bad_payloads_are_refused(kind: str, payload: dict[str, object]) -> None:
    with pytest.raises(EventCodecError):
        event_from_dict(kind, payload)
