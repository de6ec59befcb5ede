"""Per-show settings with their defaults and validation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal, get_args

from core.rotation.errors import InvalidSettings

Policy = Literal["round_robin", "fifo"]
POLICIES: tuple[str, ...] = get_args(Policy)


@dataclass(frozen=True, slots=True)
class Bounds:
    """The whole numbers a setting may take: ``low``..``high``, both included."""

    low: int
    high: int


# The one statement of every numeric setting's range; the API's schema and the bot's /settings read it.
SETTING_BOUNDS: Final[Mapping[str, Bounds]] = {
    "max_pending": Bounds(1, 50),
    "default_song_seconds": Bounds(30, 3600),
    "changeover_seconds": Bounds(0, 1800),
    "heads_up_position": Bounds(1, 50),
    "reminder_minutes": Bounds(0, 240),
    "no_show_timeout_seconds": Bounds(10, 3600),
    "idle_close_hours": Bounds(1, 72),
}


@dataclass(frozen=True, slots=True)
class ShowSettings:
    """Rules of one show. Constructing an out-of-range value raises ``InvalidSettings``.

    The reminder fields (``heads_up_position``, ``reminder_minutes``, ``no_show_timeout_seconds``,
    ``auto_skip``) are stored for the notification feature and not used by the rotation itself.
    """

    policy: Policy = "round_robin"
    max_pending: int = 3
    default_song_seconds: int = 240
    changeover_seconds: int = 60
    heads_up_position: int = 3
    reminder_minutes: int = 10
    no_show_timeout_seconds: int = 180
    auto_skip: bool = False
    # A show nobody touched for this long closes itself (and tells its KJs), so none stays open forever.
    idle_close_hours: int = 12

    def __post_init__(self) -> None:
        if self.policy not in POLICIES:
            raise InvalidSettings(f"policy must be one of {', '.join(POLICIES)}, not {self.policy!r}")
        for name, bounds in SETTING_BOUNDS.items():
            _check_range(name, getattr(self, name), bounds)
        if not isinstance(self.auto_skip, bool):
            raise InvalidSettings("auto_skip must be true or false")


def _check_range(name: str, value: object, bounds: Bounds) -> None:
    # bool is an int subclass; True as a limit is almost certainly a caller bug.
    if isinstance(value, bool) or not isinstance(value, int) or not bounds.low <= value <= bounds.high:
        raise InvalidSettings(f"{name} must be a whole number from {bounds.low} to {bounds.high}, not {value!r}")
