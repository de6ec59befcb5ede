"""Chat platform adapters (Telegram, Slack, console). Each translates a platform to ``core`` and back."""
