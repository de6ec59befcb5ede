"""The console adapter: try a whole karaoke night in a terminal, switching people and rooms, no accounts needed."""

from bots.console.repl import ConsoleChat
from bots.console.sender import ConsoleSender

__all__ = ["ConsoleChat", "ConsoleSender"]
