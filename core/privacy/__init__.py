"""What the service keeps about people, for how long, and how it forgets someone.

- ``retention``: ``RetentionSweeper`` removes what only a running show needed, ``retention`` after it closed.
- ``erasure``: the rules of forgetting a person in a show's event log (``erase_person``) and
  ``PeopleEraser``, which withdraws their waiting songs and has every store forget them.
"""

from core.privacy.retention import DEFAULT_RETENTION, RetentionStore, RetentionSweeper

__all__ = ["DEFAULT_RETENTION", "RetentionStore", "RetentionSweeper"]
