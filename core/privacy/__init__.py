"""What the service keeps about people, for how long, and how it forgets someone.

- ``retention``: ``RetentionSweeper`` removes what only a running show needed, ``retention`` after it closed.
- ``erasure``: the rules of forgetting a person in a show's event log (``erase_person``) and
  ``PeopleEraser``, which withdraws their waiting songs and has every store forget them.
"""

from core.privacy.erasure import (
    ANONYMOUS_NAME,
    ERASED_PLATFORM,
    ErasureStore,
    Forgotten,
    PeopleEraser,
    erase_person,
    erased_command_id,
    names_to_scan,
)
from core.privacy.retention import DEFAULT_RETENTION, RetentionStore, RetentionSweeper

__all__ = [
    "ANONYMOUS_NAME",
    "DEFAULT_RETENTION",
    "ERASED_PLATFORM",
    "ErasureStore",
    "Forgotten",
    "PeopleEraser",
    "RetentionStore",
    "RetentionSweeper",
    "erase_person",
    "erased_command_id",
    "names_to_scan",
]
