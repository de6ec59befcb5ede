"""Chat platform adapters, one folder each: ``telegram``, ``slack`` and ``console``.

Each translates its platform's updates into ``core.chat`` events, stores them in the inbox before
acknowledging them, and renders ``core.chat.Reply`` values back as its platform's messages. They hold
no rules and know nothing of the API, storage or the composition root (a test enforces it).
"""
