"""Read-side views built from the shows' event logs: projections, their runner, and the Performances view.

- ``ports``: what a ``Projection`` is (one show event at a time, seeing the rotation's fold after it) and
  the ``ProjectionStore`` the runner needs (per-show checkpoints, claimed under a lock).
- ``runner``: ``ProjectionRunner`` follows every stream, in the background (woken by the shows' wake-ups,
  with a slow safety net) and on demand for one show; failures back off and show in ``health``.
- ``performances``: the ``Performances`` projection (one row per ended turn: sung, skipped, voided,
  no-show, unfinished) and its query port ``PerformanceLog``.
- ``reading``: ``CaughtUpPerformances`` (the view, one show caught up before it is read) and
  ``FoldedPerformances`` (the same rows computed from the logs, no view).
"""

from core.projections.performances import (
    OUTCOMES,
    PERFORMANCES,
    Outcome,
    Performance,
    PerformanceChange,
    PerformanceLog,
    PerformanceRows,
    Performances,
    Recorded,
    SingerAnonymized,
    Unrecorded,
    performances_of,
)
from core.projections.ports import Claim, Progress, Projection, ProjectionStore, Step, VersionMismatch
from core.projections.reading import CaughtUpPerformances, FoldedPerformances
from core.projections.runner import CatchUp, ProjectionHealth, ProjectionRunner

__all__ = [
    "OUTCOMES",
    "PERFORMANCES",
    "CatchUp",
    "CaughtUpPerformances",
    "Claim",
    "FoldedPerformances",
    "Outcome",
    "Performance",
    "PerformanceChange",
    "PerformanceLog",
    "PerformanceRows",
    "Performances",
    "Progress",
    "Projection",
    "ProjectionHealth",
    "ProjectionRunner",
    "ProjectionStore",
    "Recorded",
    "SingerAnonymized",
    "Step",
    "Unrecorded",
    "VersionMismatch",
    "performances_of",
]
