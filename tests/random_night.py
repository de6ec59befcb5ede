"""A random night of karaoke: commands a room and its KJ might send, valid or not, chosen by a seeded RNG.

Shared by the projection's property tests (pure, on the fakes) and the random nights on both databases. Every
kind of command that leaves a trace in the history is here: requests by chat singers (some with a person,
two accounts that get linked), walk-ins and names in odd scripts, withdrawals, sitting a turn out, the KJ's
advance, skip, skip now, pause, resume, move, bump, remove, block and unblock, renames, and undo, often.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field

from core.rotation import (
    AdvanceQueue,
    BlockSinger,
    BumpSinger,
    CloseShow,
    Command,
    LinkSingers,
    MoveRequest,
    PauseSinger,
    RemoveRequest,
    RenameSinger,
    RequestSong,
    ResumeSinger,
    ShowState,
    SingerRef,
    SkipMyTurn,
    SkipSinger,
    SongRef,
    UnblockSinger,
    Undo,
    VoidPerformance,
    WithdrawRequest,
    upcoming,
)

# (platform, user id, display name, person): a name in another script, a formula a spreadsheet would run.
ACCOUNTS: tuple[tuple[str, str, str, str | None], ...] = (
    ("telegram", "1001", "Ann", "person-ann"),
    ("telegram", "1002", "Ben", "person-ben"),
    ("slack", "U0003", "Zoë ✨", "person-zoe"),
    ("telegram", "1004", "李小龍", None),
    ("slack", "U0005", "=HYPERLINK(\"x\")", "person-eve"),
    # Ben's second account: linked to him at some point of the night.
    ("slack", "U0006", "Ben on Slack", "person-ben-slack"),
)
WALK_INS = ("Walk-in Wendy", "@Grandpa")
SONGS: tuple[SongRef, ...] = tuple(
    SongRef(str(uuid.UUID(int=n + 1)), title, artist, duration)
    for n, (title, artist, duration) in enumerate([
        ("Africa", "Toto", 295), ("Zombie", "The Cranberries", 306), ("Dancing Queen", "ABBA", 231),
        ("Bohemian Rhapsody", "Queen", 354), ("上を向いて歩こう", "坂本九", 185), ("-1 Minute", "Minus", None),
        ("Wonderwall", "Oasis", 258), ("Valerie", "Amy Winehouse", 219), ("Toxic", "Britney Spears", 198),
        ("Hallelujah", "Leonard Cohen", 277), ("Creep", "Radiohead", 238), ("+44", "Plus, \"Quoted\"", 200),
    ])
)
KINDS: tuple[tuple[str, int], ...] = (
    ("request", 30), ("advance", 22), ("skip", 6), ("skip_now", 4), ("skip_my_turn", 5), ("withdraw", 4),
    ("remove", 3), ("undo", 9), ("pause", 3), ("resume", 3), ("move", 3), ("bump", 2), ("rename", 3),
    ("block", 1), ("unblock", 1), ("link", 2),
)


@dataclass
class RandomNight:
    """Picks the next command from the show's state; ``close`` ends the night."""

    rng: random.Random
    count: int = 0
    person_of: dict[tuple[str, str], str | None] = field(
        default_factory=lambda: {(p, u): person for p, u, _, person in ACCOUNTS})
    names: dict[tuple[str, str], str] = field(default_factory=lambda: {(p, u): n for p, u, n, _ in ACCOUNTS})

    def _id(self, what: str) -> str:
        self.count += 1
        return f"{what}-{self.count}"

    def _new_uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _ref(self, platform: str, user_id: str) -> SingerRef:
        return SingerRef(platform, user_id, self.names[(platform, user_id)], self.person_of[(platform, user_id)])

    def _anyone(self) -> SingerRef:
        if self.rng.random() < 0.15:
            return SingerRef(None, None, self.rng.choice(WALK_INS))
        platform, user_id, _, _ = self.rng.choice(ACCOUNTS)
        return self._ref(platform, user_id)

    def _ref_of(self, state: ShowState, singer_id: str) -> SingerRef:
        singer = state.singers[singer_id]
        if singer.platform is None or (singer.platform, singer.user_id or "") not in self.names:
            return SingerRef(singer.platform, singer.user_id, singer.name, singer.person_id)
        return self._ref(singer.platform, singer.user_id or "")

    def _pending(self, state: ShowState) -> list[str]:
        return sorted(r for r, req in state.requests.items() if req.status == "pending")

    def close(self) -> Command:
        """The KJ ends the night."""
        return CloseShow(self._id("close"))

    def next(self, state: ShowState) -> Command:
        """A command someone might send now (it may well be refused)."""
        kinds, weights = zip(*KINDS, strict=True)
        kind = self.rng.choices(kinds, weights)[0]
        rng, cid = self.rng, self._id(kind)
        pending = self._pending(state)
        singers = sorted(state.singers)
        if kind == "request" or (not pending and kind in ("withdraw", "remove", "move", "skip_my_turn")):
            return RequestSong(self._id("request"), self._anyone(), rng.choice(SONGS), self._new_uuid(),
                               self._new_uuid())
        if kind == "advance":
            return AdvanceQueue(cid)
        if kind == "skip":
            return SkipSinger(cid)
        if kind == "skip_now":
            return VoidPerformance(cid)
        if kind == "undo":
            return Undo(cid)
        if kind == "withdraw":
            request = state.requests[rng.choice(pending)]
            return WithdrawRequest(cid, self._ref_of(state, request.singer_id), request.request_id)
        if kind == "skip_my_turn":
            line = upcoming(state)
            # Mostly the one called next, or the one just called up, as a singer pressing the button would.
            choices = ([line[0]] if line else []) + ([state.now] if state.now else []) + pending
            request = state.requests[rng.choice(choices)]
            return SkipMyTurn(cid, self._ref_of(state, request.singer_id), request.request_id)
        if kind == "remove":
            return RemoveRequest(cid, rng.choice(pending))
        if kind == "move":
            return MoveRequest(cid, rng.choice(pending), rng.randint(1, 4))
        if not singers:
            return AdvanceQueue(cid)
        singer_id = rng.choice(singers)
        if kind == "pause":
            return PauseSinger(cid, singer_id)
        if kind == "resume":
            return ResumeSinger(cid, singer_id)
        if kind == "bump":
            return BumpSinger(cid, singer_id)
        if kind == "block":
            return BlockSinger(cid, singer_id)
        if kind == "unblock":
            return UnblockSinger(cid, singer_id)
        if kind == "rename":
            ref = self._ref_of(state, singer_id)
            name = rng.choice(["Annie", "B.", "Zoë the 2nd", "李", "-minus", "A much longer stage name " * 3])
            if ref.platform is not None and (ref.platform, ref.user_id or "") in self.names:
                self.names[(ref.platform, ref.user_id or "")] = name
            return RenameSinger(cid, ref, name)
        # Ben links his Slack account: from now on it is his person, whichever account asks.
        self.person_of[("slack", "U0006")] = "person-ben"
        return LinkSingers(cid, "person-ben", (("telegram", "1002"), ("slack", "U0006")), ("person-ben-slack",))
