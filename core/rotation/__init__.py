"""The event-sourced singer rotation of a karaoke show.

Write side: ``decide(state, command, now) -> events``, ``evolve``/``fold`` to rebuild state.
Read side: ``queue_view``, ``history``, ``singer_requests``. ``RotationService`` runs commands over a
``ShowStore`` port with optimistic concurrency and idempotent command ids. Stdlib only.

Design decisions (details in each module):

- Ordering (``policies``): next-up lock first, then the KJ's manual order, then the policy
  (``round_robin`` or ``fifo``). Moving a request to position p fixes the p-1 requests above it and
  the moved one; bumping a singer is moving their next request to position 1.
- Skip acts on the first upcoming request (the singer just called) and never touches the one at the
  mic: the called request stays pending, its singer's turn in the round is used, and the next request
  by someone else is called (``NextSingerCalled`` locks it). Voiding (``VoidPerformance``) is for a
  performer who never came to the mic: not counted as sung, their song waits again, the called
  singer starts.
- Undo: every undoable KJ action (advance, skip, void, move, bump, pause, resume, remove) opens with a
  ``KjActionTaken`` event carrying an ``UndoPoint``; ``Undo`` appends ``KjActionReverted`` for the
  most recent action not yet reverted, restoring the point. Repeated undos walk further back; an
  undo is never itself undone (no redo). Opening, settings changes, joining and closing are not
  undoable, and a closed show refuses undo like everything else.
- Rounds: each turn (sung or skipped) records whether it opened a new round, so replay never
  re-runs policy code; the same holds for the next-up lock and the KJ's manual order.
"""

from core.rotation.codec import (
    EventCodecError,
    event_from_dict,
    event_to_dict,
    settings_from_dict,
    settings_to_dict,
)
from core.rotation.commands import (
    AdvanceQueue,
    BlockSinger,
    BumpSinger,
    ChangeShowSettings,
    CloseShow,
    Command,
    ForgetSinger,
    LinkSingers,
    MoveRequest,
    OpenShow,
    PauseSinger,
    RemoveRequest,
    RenameSinger,
    RequestSong,
    ResumeSinger,
    SkipMyTurn,
    SkipSinger,
    UnblockSinger,
    Undo,
    VoidPerformance,
    WithdrawRequest,
)
from core.rotation.decide import decide
from core.rotation.errors import (
    Blocked,
    ConcurrencyConflict,
    Conflict,
    InvalidCommand,
    InvalidSettings,
    LimitReached,
    NotFound,
    NothingToUndo,
    RotationError,
    ShowIsClosed,
    SongAlreadyQueued,
    TooBusy,
)
from core.rotation.events import DISRUPTIVE, Event
from core.rotation.policies import upcoming
from core.rotation.ports import (
    AppendResult,
    IdSource,
    Notice,
    NoticePlanner,
    RandomSource,
    RecordedCommand,
    ShowStore,
    StoredEvent,
)
from core.rotation.queue import OwnRequest, QueueView, SingerInfo, Slot, history, queue_view, singer_requests
from core.rotation.results import (
    Accepted,
    ActionUndone,
    CommandResult,
    QueueMoved,
    ShowStarted,
    SongRequestAccepted,
)
from core.rotation.service import RotationService
from core.rotation.settings import POLICIES, SETTING_BOUNDS, Bounds, Policy, ShowSettings
from core.rotation.state import HistoryEntry, ShowState, evolve, fold
from core.rotation.values import PERSON, ShowPage, ShowSummary, SingerRef, SongRef

__all__ = [
    "DISRUPTIVE",
    "PERSON",
    "POLICIES",
    "SETTING_BOUNDS",
    "Accepted",
    "ActionUndone",
    "AdvanceQueue",
    "AppendResult",
    "BlockSinger",
    "Blocked",
    "Bounds",
    "BumpSinger",
    "ChangeShowSettings",
    "CloseShow",
    "Command",
    "CommandResult",
    "ConcurrencyConflict",
    "Conflict",
    "Event",
    "EventCodecError",
    "ForgetSinger",
    "HistoryEntry",
    "IdSource",
    "InvalidCommand",
    "InvalidSettings",
    "LimitReached",
    "LinkSingers",
    "MoveRequest",
    "NotFound",
    "NothingToUndo",
    "Notice",
    "NoticePlanner",
    "OpenShow",
    "OwnRequest",
    "PauseSinger",
    "Policy",
    "QueueMoved",
    "QueueView",
    "RandomSource",
    "RecordedCommand",
    "RemoveRequest",
    "RenameSinger",
    "RequestSong",
    "ResumeSinger",
    "RotationError",
    "RotationService",
    "ShowIsClosed",
    "ShowPage",
    "ShowSettings",
    "ShowStarted",
    "ShowState",
    "ShowStore",
    "ShowSummary",
    "SingerInfo",
    "SingerRef",
    "SkipMyTurn",
    "SkipSinger",
    "Slot",
    "SongAlreadyQueued",
    "SongRef",
    "SongRequestAccepted",
    "StoredEvent",
    "TooBusy",
    "UnblockSinger",
    "Undo",
    "VoidPerformance",
    "WithdrawRequest",
    "decide",
    "event_from_dict",
    "event_to_dict",
    "evolve",
    "fold",
    "history",
    "queue_view",
    "settings_from_dict",
    "settings_to_dict",
    "singer_requests",
    "upcoming",
]
