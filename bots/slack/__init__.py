"""The Slack adapter: Slack payloads into the inbox, replies out as Block Kit, no rules of its own.

- ``build_slack_app(inbox, client, signing_secret)`` — a Bolt ``AsyncApp`` that stores slash commands
  (``/karaoke <sub> <args>``), presses of the bot's buttons and direct messages, *then* acknowledges them;
  ``slack_router(app, signing_secret, clock)`` mounts it in FastAPI as ``POST /slack/events``, checking each
  request's signature on the raw bytes first (``bots.slack.signature``).
- ``SlackSender(client)`` — the ``core.delivery.FreeChannelSender`` for Slack: a queued ``Reply`` that answers
  a command or press where it was made → that request's response_url (free of chat.postMessage's limits);
  any other, or once the URL is spent → chat.postMessage, chat.postEphemeral or a DM; every failure is an outcome.
- ``translate_*`` (payload → ``Said``/``Pressed`` + context) and ``render`` (``Reply`` → destination + messages).
"""

from bots.slack.intake import build_slack_app, slack_router
from bots.slack.people import SlackUser, SlackUserNames
from bots.slack.render import RenderedReply, SlackMessage, render
from bots.slack.sender import SlackSender
from bots.slack.translate import translate_action, translate_command, translate_message

__all__ = [
    "RenderedReply",
    "SlackMessage",
    "SlackSender",
    "SlackUser",
    "SlackUserNames",
    "build_slack_app",
    "render",
    "slack_router",
    "translate_action",
    "translate_command",
    "translate_message",
]
