"""Slack request signing and inbound request builders (slash commands, interactivity, Events API).

Slack signs every request it sends to an app: ``X-Slack-Signature: v0=<hex hmac_sha256(secret, "v0:{ts}:{body}")>``
with ``X-Slack-Request-Timestamp: {ts}``; receivers reject bad signatures and timestamps older than 5 minutes.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode

DEFAULT_TEAM_ID = "T0KARAOKE"
DEFAULT_APP_ID = "A0KARAOKE"
DEFAULT_BOT_USER_ID = "U0KARABOT"
DEFAULT_BOT_ID = "B0KARABOT"
STALE_AFTER_SECONDS = 5 * 60

_event_ids = itertools.count(1)


def signature(secret: str, body: bytes, timestamp: int | str) -> str:
    """``v0=`` + hex HMAC-SHA256 of ``v0:{timestamp}:{body}`` keyed with the signing secret."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int | str | None = None) -> dict[str, str]:
    """The two signing headers Slack sends with ``body`` (timestamp defaults to now)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature(secret, body, ts)}


def new_trigger_id() -> str:
    return f"{int(time.time())}.{secrets.randbelow(10**12)}.{secrets.token_hex(16)}"


def slash_command_body(command: str = "/karaoke", text: str = "", *, user_id: str = "U0ALICE",
                       user_name: str = "alice", channel_id: str = "C0GENERAL", channel_name: str = "general",
                       team_id: str = DEFAULT_TEAM_ID, team_domain: str = "karaoke-test",
                       response_url: str = "https://hooks.slack.invalid/commands/T0/1/x",
                       trigger_id: str | None = None, api_app_id: str = DEFAULT_APP_ID,
                       enterprise_id: str | None = None) -> bytes:
    """A slash-command request body exactly as Slack posts it (application/x-www-form-urlencoded)."""
    fields: dict[str, str] = {
        "token": "deprecated-verification-token",
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id or new_trigger_id(),
    }
    if enterprise_id:
        fields["enterprise_id"] = enterprise_id
    return urlencode(fields).encode()


def block_actions_payload(action_id: str, value: str = "", *, block_id: str = "actions", user_id: str = "U0ALICE",
                          user_name: str = "alice", channel_id: str = "C0GENERAL", team_id: str = DEFAULT_TEAM_ID,
                          message_ts: str = "1700000000.000100", message: dict[str, Any] | None = None,
                          response_url: str = "https://hooks.slack.invalid/actions/T0/1/x",
                          button_text: str = "Button", api_app_id: str = DEFAULT_APP_ID,
                          container_type: str = "message") -> dict[str, Any]:
    """The JSON of a ``block_actions`` interaction for a button press (before form-wrapping)."""
    action = {"action_id": action_id, "block_id": block_id, "text": {"type": "plain_text", "text": button_text,
                                                                     "emoji": True},
              "value": value, "type": "button", "action_ts": f"{time.time():.6f}"}
    return {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": api_app_id,
        "token": "deprecated-verification-token",
        "container": {"type": container_type, "message_ts": message_ts, "channel_id": channel_id,
                      "is_ephemeral": False},
        "trigger_id": new_trigger_id(),
        "team": {"id": team_id, "domain": "karaoke-test"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": "general"},
        "message": message or {"type": "message", "user": DEFAULT_BOT_USER_ID, "ts": message_ts,
                               "bot_id": DEFAULT_BOT_ID, "text": "", "blocks": []},
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [action],
    }


def interactivity_body(payload: dict[str, Any]) -> bytes:
    """Interactivity requests are form-encoded with a single ``payload=<json>`` field."""
    return urlencode({"payload": json.dumps(payload)}).encode()


def message_event(text: str, *, user: str = "U0ALICE", channel: str = "C0GENERAL", channel_type: str = "channel",
                  ts: str | None = None, event_type: str = "message") -> dict[str, Any]:
    """An inner ``message`` (or ``app_mention`` via ``event_type``) event."""
    ts = ts or f"{time.time():.6f}"
    event: dict[str, Any] = {"type": event_type, "user": user, "text": text, "ts": ts, "channel": channel,
                             "event_ts": ts, "client_msg_id": secrets.token_hex(8)}
    if event_type == "message":
        event["channel_type"] = channel_type
    return event


def event_callback(event: dict[str, Any], *, event_id: str | None = None, team_id: str = DEFAULT_TEAM_ID,
                   api_app_id: str = DEFAULT_APP_ID, event_time: int | None = None,
                   bot_user_id: str = DEFAULT_BOT_USER_ID) -> dict[str, Any]:
    """An Events API ``event_callback`` envelope around ``event`` (``event_id`` is unique unless given)."""
    return {
        "token": "deprecated-verification-token",
        "team_id": team_id,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_event_ids):010d}",
        "event_time": event_time or int(time.time()),
        "authorizations": [{"enterprise_id": None, "team_id": team_id, "user_id": bot_user_id, "is_bot": True,
                            "is_enterprise_install": False}],
        "is_ext_shared_channel": False,
        "event_context": "4-" + secrets.token_hex(12),
    }


def url_verification(challenge: str = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P") -> dict[str, Any]:
    return {"token": "deprecated-verification-token", "challenge": challenge, "type": "url_verification"}
