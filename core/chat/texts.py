"""The bot's words: how songs, places and waits are said, and the one-line refusals."""

from __future__ import annotations

from core.rotation import RotationError, SongRef

SORRY = "Sorry, something went wrong on our side. Please try again."
NOT_JOINED = "You haven't joined a show yet. Send /join CODE with the code on the screen."
ONLY_KJ = "Only the show's KJ can do that."
EXPIRED_BUTTON = "That button has expired or doesn't exist. Send /request again."
NOT_YOUR_BUTTON = "That button belongs to someone else. Send your own /request."
TOO_LONG = "That message is too long for me. Try a few words, like /request Bohemian Rhapsody."
SEARCH_NOT_READY = "The song list is still loading. Please try again in a minute."
CLOSED = "This show is closed. Thanks for singing!"

SINGER_HELP = (
    "/join CODE – join a show · /request <song or artist> – sign up to sing · /search <words> – look up songs · "
    "/queue – who's singing · /mysongs – your songs · /cancel [n] – take one back · /name <stage name> · "
    "/mute, /unmute – reminders off or on"
)
KJ_HELP = (
    "KJ: /open [name] · /next · /skip · /pause @singer · /resume @singer · /remove n · /move n m · /undo · "
    "/kj @user · /settings [key value] · /close"
)


def song_text(song: SongRef) -> str:
    """``Title — Artist``."""
    return f"{song.title} — {song.artist}"


def sung_text(singer: str, song: SongRef) -> str:
    """``Singer — Title (Artist)``: a line of the queue."""
    return f"{singer} — {song.title} ({song.artist})"


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 21st..."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def wait_text(eta_seconds: int) -> str:
    """A wait in words: "any moment now" under a minute, else "about N min"."""
    minutes = round(eta_seconds / 60)
    return "any moment now" if minutes < 1 else f"about {minutes} min"


def quoted(text: str, limit: int = 60) -> str:
    """``text`` in curly quotes, shortened with "…" past ``limit`` characters."""
    return f"“{text if len(text) <= limit else text[: limit - 1] + '…'}”"


_REFUSALS = {
    "limit-reached": "You already have {max_pending} songs waiting — that's the limit. /cancel one or sing first!",
    "duplicate-song": "That song is already in tonight's queue. How about another one?",
    "show-closed": CLOSED,
    "not-found": "That isn't in the queue any more. Check /queue and try again.",
    "conflict": "The queue changed meanwhile. Check /queue and try again.",
    "nothing-to-undo": "There's nothing left to undo.",
    "busy": "It's very busy right now. Please try again in a moment.",
    "invalid-settings": "That setting value isn't allowed.",
    "invalid": "That can't be done right now. Check /queue.",
}


def refusal(error: RotationError, max_pending: int = 3) -> str:
    """The one friendly line for a rotation refusal (never the internal message)."""
    return _REFUSALS.get(error.code, _REFUSALS["invalid"]).format(max_pending=max_pending)
