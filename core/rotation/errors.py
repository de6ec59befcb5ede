"""Domain errors of the rotation, each with a stable machine-readable ``code``.

Adapters (bots, HTTP) map ``code`` to user-facing text, so codes never change once published.
"""

from __future__ import annotations

from typing import ClassVar


class RotationError(Exception):
    """Base of every error the rotation raises on purpose; ``code`` is stable, ``message`` is for humans."""

    code: ClassVar[str] = "invalid"

    def __init__(self, message: str) -> None:
        """Carry a human-readable ``message``; the class fixes the ``code``."""
        super().__init__(message)
        self.message = message


class InvalidCommand(RotationError):
    """The command is malformed or makes no sense in the current state (e.g. nobody to advance to)."""

    code = "invalid"


class InvalidSettings(RotationError):
    """A show setting is out of its allowed range."""

    code = "invalid-settings"


class LimitReached(RotationError):
    """The singer already has ``limit`` (the show's ``max_pending``) requests waiting."""

    code = "limit-reached"

    def __init__(self, message: str, limit: int) -> None:
        """Carry the message and the limit that was reached."""
        super().__init__(message)
        self.limit = limit


class SongAlreadyQueued(RotationError):
    """The song is already waiting (or being sung) in this show."""

    code = "duplicate-song"


class Blocked(RotationError):
    """The KJ blocked the singer in this show: it takes no songs from them."""

    code = "blocked"


class ShowIsClosed(RotationError):
    """The show is closed and accepts no more commands."""

    code = "show-closed"


class NotFound(RotationError):
    """The show, singer or request named by the command does not exist (or is not the caller's)."""

    code = "not-found"


class Conflict(RotationError):
    """The command clashes with the current state (already paused, id reused, stale expectation...)."""

    code = "conflict"


class NothingToUndo(RotationError):
    """There is no KJ action left that can be undone."""

    code = "nothing-to-undo"


class ConcurrencyConflict(RotationError):
    """Raised by a ShowStore when the stream moved past ``expected_version`` or the command id is taken."""

    code = "concurrency-conflict"


class TooBusy(RotationError):
    """The service gave up after too many concurrency conflicts in a row."""

    code = "busy"
