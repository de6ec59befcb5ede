"""Replies become Block Kit: escaped mrkdwn sections, buttons, a text fallback, split but never refused."""

from __future__ import annotations

import pytest

from bots.slack.render import (
    BUTTON_VALUE_LIMIT,
    SECTION_LIMIT,
    ToChannel,
    ToDirect,
    ToEphemeral,
    ToResponseUrl,
    destination,
    escape,
    messages,
    render,
    response_destination,
    slack_commands,
    split_mrkdwn,
)
from core.chat import MAX_BUTTON_DATA_BYTES, Button, Person, Reply, Room

ANN = Person("slack", "U0ANN", "ann", "ann")
BAR = Room("slack", "C0BAR", private=False)
DM = Room("slack", "D0ANN", private=True)
URL = "https://hooks.slack.invalid/r/1"
RESPONSE = {"source": "command", "channel": "C0BAR", "user": "U0ANN", "response_url": URL}
BOB = Person("slack", "U0BOB", "bob", "bob")


def test_mrkdwn_control_characters_are_escaped_in_section_and_fallback() -> None:
    [message] = messages(Reply(BAR, ANN, "Try /request <song> & <@U0ALL> > everyone"))
    escaped = "Try /karaoke request &lt;song&gt; &amp; &lt;@U0ALL&gt; &gt; everyone"
    assert message.text == escaped
    assert message.blocks == ({"type": "section", "text": {"type": "mrkdwn", "text": escaped}},)
    assert escape("&amp;") == "&amp;amp;"


@pytest.mark.parametrize(("said", "on_slack"), [
    ("Sign up with /request <song>, or send /join K7QX2 to me.",
     "Sign up with /karaoke request <song>, or send /karaoke join K7QX2 to me."),
    ("/cancel n takes one back.", "/karaoke cancel n takes one back."),
    ("KJ: /open [name] · /next · /skip now", "KJ: /karaoke open [name] · /karaoke next · /karaoke skip now"),
    ("Highway to Hell — AC/DC", "Highway to Hell — AC/DC"),
    ("See https://example.org/request and /nothing here", "See https://example.org/request and /nothing here"),
])
def test_commands_are_named_the_way_slack_people_type_them(said: str, on_slack: str) -> None:
    assert slack_commands(said) == on_slack


def test_buttons_go_in_an_actions_block_with_numbered_action_ids() -> None:
    buttons = (Button("Bohemian Rhapsody — Queen", "tok1"), Button("x" * 100, "tok2"))
    [message] = messages(Reply(BAR, ANN, "Pick one:", buttons))
    section, actions = message.blocks
    assert section["type"] == "section" and message.text == "Pick one:"
    assert actions == {"type": "actions", "elements": [
        {"type": "button", "text": {"type": "plain_text", "text": "Bohemian Rhapsody — Queen"},
         "action_id": "karaoke_choice_0", "value": "tok1"},
        {"type": "button", "text": {"type": "plain_text", "text": "x" * 75},
         "action_id": "karaoke_choice_1", "value": "tok2"},
    ]}


def test_the_longest_button_data_the_core_makes_fits_a_slack_button_value() -> None:
    data = "é" * (MAX_BUTTON_DATA_BYTES // 2)
    [message] = messages(Reply(BAR, ANN, "Pick", (Button("one", data),)))
    value = message.blocks[-1]["elements"][0]["value"]
    assert value == data and len(value) <= BUTTON_VALUE_LIMIT


def test_more_than_25_buttons_take_several_actions_blocks() -> None:
    buttons = tuple(Button(f"Song {i}", f"t{i}") for i in range(30))
    [message] = messages(Reply(BAR, ANN, "Pick", buttons))
    assert [len(b["elements"]) for b in message.blocks[1:]] == [25, 5]
    assert message.blocks[-1]["elements"][-1]["action_id"] == "karaoke_choice_29"


def test_a_long_reply_is_split_into_sections_and_messages_never_refused() -> None:
    lines = [f"{n}. Singer {n} — Some & Song <live> · about {n} min" for n in range(3000)]
    text = "\n".join(lines)
    out = messages(Reply(BAR, ANN, text, (Button("More", "tok9"),)))
    assert len(out) > 1
    for message in out:
        sections = [b for b in message.blocks if b["type"] == "section"]
        assert 1 <= len(message.blocks) <= 50
        assert all(len(s["text"]["text"]) <= SECTION_LIMIT for s in sections)
        assert len(message.text) <= 40_000
    # Cut at line ends, nothing lost, the buttons under the last message only.
    sent = [s["text"]["text"] for m in out for s in m.blocks if s["type"] == "section"]
    assert "\n".join(sent) == escape(text)
    assert [b["type"] for m in out[:-1] for b in m.blocks] == ["section"] * sum(len(m.blocks) for m in out[:-1])
    assert out[-1].blocks[-1]["type"] == "actions"


@pytest.mark.parametrize("text", ["&" * 5000, "<>" * 4000, "a" * 7001, ("word " * 2000).strip()])
def test_splitting_never_cuts_an_entity_or_exceeds_the_limit(text: str) -> None:
    pieces = split_mrkdwn(escape(text))
    assert all(0 < len(p) <= SECTION_LIMIT for p in pieces)
    assert all(not p.endswith(("&", "&a", "&am", "&amp", "&l", "&lt", "&g", "&gt")) for p in pieces)
    joined = "".join(pieces) if " " not in text else " ".join(pieces)
    assert joined == escape(text)


def test_an_empty_reply_still_has_text() -> None:
    [message] = messages(Reply(BAR, ANN, ""))
    assert message.text and message.blocks[0]["text"]["text"]


@pytest.mark.parametrize(("reply", "context", "expected"), [
    # Through the Web API, announcements go to the room for everyone (the response_url can reach it if the
    # app is not a member) ...
    (Reply(BAR, ANN, "Now singing"), RESPONSE, ToChannel("C0BAR", URL)),
    (Reply(BAR, ANN, "Now singing"), {**RESPONSE, "channel": "C0OTHER"}, ToChannel("C0BAR")),
    (Reply(BAR, ANN, "Now singing"), {}, ToChannel("C0BAR")),
    # ... and what only the asker needs is chat.postEphemeral.
    (Reply(BAR, ANN, "Queued", ephemeral=True), RESPONSE, ToEphemeral("C0BAR", "U0ANN")),
    (Reply(BAR, ANN, "Queued", ephemeral=True), {}, ToEphemeral("C0BAR", "U0ANN")),
    # A direct message is private anyway.
    (Reply(DM, ANN, "Queued", ephemeral=True), RESPONSE, ToChannel("D0ANN")),
    # No room: a DM to the person.
    (Reply(None, ANN, "You're up next!"), RESPONSE, ToDirect("U0ANN")),
])
def test_where_a_reply_goes_through_the_web_api(reply: Reply, context: dict[str, str], expected: object) -> None:
    assert destination(reply, context) == expected


@pytest.mark.parametrize(("reply", "context", "expected"), [
    # What the room may read answers the request in the channel, through its response_url ...
    (Reply(BAR, ANN, "Queued Africa — Toto"), RESPONSE, ToResponseUrl(URL, "in_channel")),
    (Reply(BAR, BOB, "Now singing: bob"), RESPONSE, ToResponseUrl(URL, "in_channel")),
    # ... what only the asker needs, ephemeral ...
    (Reply(BAR, ANN, "Which one?", ephemeral=True), RESPONSE, ToResponseUrl(URL, "ephemeral")),
    # ... but never someone else's private answer: the asker is the one who would see it.
    (Reply(BAR, BOB, "Only for bob", ephemeral=True), RESPONSE, None),
    (Reply(BAR, ANN, "Which one?", ephemeral=True), {**RESPONSE, "user": ""}, None),
    # Not for another channel, nor without a response_url, nor in a direct message (kept in its history).
    (Reply(BAR, ANN, "Queued"), {**RESPONSE, "channel": "C0OTHER"}, None),
    (Reply(BAR, ANN, "Queued"), {"source": "message", "channel": "C0BAR", "user": "U0ANN"}, None),
    (Reply(DM, ANN, "Queued"), {**RESPONSE, "channel": "D0ANN"}, None),
    (Reply(None, ANN, "You're up next!"), RESPONSE, None),
])
def test_when_a_reply_answers_through_its_requests_response_url(
        reply: Reply, context: dict[str, str], expected: object) -> None:
    assert response_destination(reply, context) == expected


def test_a_reply_with_nowhere_to_go_renders_to_nothing() -> None:
    assert render(Reply(None, None, "lost")) is None
