"""Slack payloads become the bot's words: slash commands, button presses and direct messages."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

import pytest

from bots.slack.translate import plain_text, translate_action, translate_command, translate_message
from core.chat import Person, Pressed, Room, Said
from tests.standins import signing


def command(text: str = "", **fields: Any) -> dict[str, str]:
    return dict(parse_qsl(signing.slash_command_body(text=text, **fields).decode(), keep_blank_values=True))


@pytest.mark.parametrize(("typed", "said"), [
    ("", "/help"),
    ("   ", "/help"),
    ("join K7QX2", "/join K7QX2"),
    ("/queue", "/queue"),
    ("request Guns &amp; Roses", "/request Guns & Roses"),  # Slack's "escape" option on
    ("kj <@U0BOB|bob>", "/kj @bob"),
    ("request bohemian rapsody", "/request bohemian rapsody"),
])
def test_a_slash_command_is_said_as_the_subcommand(typed: str, said: str) -> None:
    translated = translate_command(command(typed))
    assert translated is not None
    event, _ = translated
    assert isinstance(event, Said) and event.text == said


def test_a_slash_command_names_the_person_and_room_and_keeps_the_response_url() -> None:
    body = command("queue", user_id="U0ANN", user_name="ann", channel_id="C0BAR", channel_name="bar",
                   response_url="https://hooks.slack.invalid/commands/1", trigger_id="123.456.abc")
    event, context = translate_command(body) or (None, None)
    assert event == Said(Person("slack", "U0ANN", "ann", "ann"), Room("slack", "C0BAR", private=False), "/queue",
                         "command:123.456.abc")
    assert context == {"source": "command", "channel": "C0BAR", "user": "U0ANN",
                       "response_url": "https://hooks.slack.invalid/commands/1"}


@pytest.mark.parametrize(("channel_id", "channel_name", "private"), [
    ("C0BAR", "bar", False),
    ("D0ANN", "directmessage", True),
    ("D0ANN", "whatever", True),
    ("G0PRIV", "directmessage", True),
    ("G0MPIM", "mpdm-ann--bob-1", False),
])
def test_a_direct_message_channel_is_a_private_room(channel_id: str, channel_name: str, private: bool) -> None:
    event, _ = translate_command(command("queue", channel_id=channel_id, channel_name=channel_name)) or (None, None)
    assert event is not None and event.room == Room("slack", channel_id, private)


def test_the_same_invocation_has_the_same_key_and_another_one_another() -> None:
    first = translate_command(command("next", trigger_id="1.2.aaa"))
    again = translate_command(command("next", trigger_id="1.2.aaa"))
    other = translate_command(command("next", trigger_id="1.2.bbb"))
    assert first and again and other
    assert first[0].update_key == again[0].update_key != other[0].update_key


def test_without_a_trigger_id_the_response_url_makes_the_key() -> None:
    body = command("next", response_url="https://hooks.slack.invalid/commands/9")
    del body["trigger_id"]
    translated = translate_command(body)
    assert translated and translated[0].update_key.startswith("command:url-")
    assert len(translated[0].update_key) <= 200


def test_a_button_press_is_pressed_with_the_button_value() -> None:
    payload = signing.block_actions_payload("karaoke_choice_1", "tok7", user_id="U0ANN", user_name="ann",
                                            channel_id="C0BAR", message_ts="1700000000.000200",
                                            response_url="https://hooks.slack.invalid/actions/1")
    event, context = translate_action(payload) or (None, None)
    action_ts = payload["actions"][0]["action_ts"]
    assert event == Pressed(Person("slack", "U0ANN", "ann", "ann"), Room("slack", "C0BAR", False), "tok7",
                            f"action:U0ANN:{action_ts}:1700000000.000200")
    assert context == {"source": "block_actions", "channel": "C0BAR", "user": "U0ANN",
                       "response_url": "https://hooks.slack.invalid/actions/1"}


def test_a_press_on_an_ephemeral_message_is_keyed_by_its_trigger_id() -> None:
    payload = signing.block_actions_payload("karaoke_choice_0", "tok1", message_ts="")
    translated = translate_action(json.loads(json.dumps(payload)))
    assert translated and translated[0].update_key.endswith(payload["trigger_id"])


def test_a_press_in_a_direct_message_is_private() -> None:
    translated = translate_action(signing.block_actions_payload("karaoke_choice_0", "tok1", channel_id="D0ANN"))
    assert translated and translated[0].room.private


def event_body(event: dict[str, Any], event_id: str = "Ev0000000001") -> dict[str, Any]:
    return signing.event_callback(event, event_id=event_id)


def test_a_direct_message_is_said_with_the_event_id_as_key() -> None:
    event = signing.message_event("dreams &amp; more", user="U0ANN", channel="D0ANN", channel_type="im")
    said, context = translate_message(event_body(event, "Ev42"), name="ann", username="ann") or (None, None)
    assert said == Said(Person("slack", "U0ANN", "ann", "ann"), Room("slack", "D0ANN", True), "dreams & more",
                        "event:Ev42")
    assert context == {"source": "message", "channel": "D0ANN", "user": "U0ANN"}


def test_without_a_name_the_user_id_stands_in() -> None:
    event = signing.message_event("hi", user="U0ANN", channel="D0ANN", channel_type="im")
    said = translate_message(event_body(event))
    assert said and said[0].person == Person("slack", "U0ANN", "U0ANN", None)


@pytest.mark.parametrize("change", [
    {"channel_type": "channel", "channel": "C0BAR"},  # channel chatter: the bot listens to /karaoke there
    {"subtype": "message_changed"},
    {"subtype": "bot_message", "bot_id": "B0OTHER"},
    {"bot_id": "B0OTHER"},
    {"type": "app_mention"},
    {"user": None},
])
def test_other_messages_are_not_for_the_bot(change: dict[str, Any]) -> None:
    event = {**signing.message_event("hi", user="U0ANN", channel="D0ANN", channel_type="im"), **change}
    assert translate_message(event_body(event)) is None


@pytest.mark.parametrize(("slack", "typed"), [
    ("<@U0BOB|bob> &lt;3", "@bob <3"),
    ("<@U0BOB>", "@U0BOB"),
    ("<#C0BAR|bar>", "#bar"),
    ("<https://example.com|site> <https://example.com>", "site https://example.com"),
    ("<!here>", "@here"),
    ("a &amp;lt; b", "a &lt; b"),
])
def test_slack_text_reads_as_typed(slack: str, typed: str) -> None:
    assert plain_text(slack) == typed
