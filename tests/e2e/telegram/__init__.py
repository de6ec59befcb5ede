"""The Telegram adapter driven through the real python-telegram-bot against FakeTelegram."""
