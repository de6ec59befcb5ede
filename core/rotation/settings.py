"""Per-show settings with their defaults and validation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from core.rotation.errors import InvalidSettings

Policy = Literal["round_robin", "fifo"]
POLICIES: tuple[str, ...] = get_args(Policy)


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

    def __post_init__(self) -> None:
        if self.policy not in POLICIES:
            raise InvalidSettings(f"policy must be one of {', '.join(POLICIES)}, not {self.policy!r}")
        _check_range("max_pending", self.max_pending, 1, 50)
        _check_range("default_song_seconds", self.default_song_seconds, 30, 3600)
        _check_range("changeover_seconds", self.changeover_seconds, 0, 1800)
        _check_range("heads_up_position", self.heads_up_position, 1, 50)
        _check_range("reminder_minutes", self.reminder_minutes, 0, 240)
        _check_range("no_show_timeout_seconds", self.no_show_timeout_seconds, 10, 3600)
        if not isinstance(self.auto_skip, bool):
            raise InvalidSettings("auto_skip must be true or false")


def _check_range(name: str, value: int, low: int, high: int) -> None:
    # bool is an int subclass; True as a limit is almost certainly a caller bug.
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidSettings(f"{name} must be a whole number from {low} to {high}, not {value!r}")
