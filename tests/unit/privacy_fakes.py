"""``InMemoryErasure``: the ``ErasureStore`` port over the in-memory show store, by the same core rules."""

from __future__ import annotations

from collections.abc import Mapping

from core.privacy import erase_person, erased_command_id
from core.rotation.codec import event_from_dict, event_to_dict
from tests.unit.rotation.fakes import InMemoryShowStore


class InMemoryErasure:
    """Rewrites the fake store's rows as ``SqlErasure`` rewrites ``show_events``; remembers who was forgotten."""

    def __init__(self, store: InMemoryShowStore) -> None:
        self.store = store
        self.forgotten: list[tuple[str, str, str]] = []

    async def shows_of(self, platform: str, user_id: str) -> list[str]:
        return sorted(show_id for show_id, rows in self.store.rows.items()
                      if any(kind == "SingerJoined" and payload.get("platform") == platform
                             and payload.get("user_id") == user_id for _, kind, payload, _ in rows))

    async def forget(self, platform: str, user_id: str, alias: str) -> Mapping[str, int]:
        self.forgotten.append((platform, user_id, alias))
        changed = 0
        for rows in self.store.rows.values():
            events = [(seq, event_from_dict(kind, dict(payload))) for seq, kind, payload, _ in rows]
            for seq, event in erase_person(events, platform, user_id, alias):
                _, old_kind, _, command_id = rows[seq - 1]
                rows[seq - 1] = (seq, old_kind, event_to_dict(event)[1], command_id)
                changed += 1
            for index, (seq, kind, payload, command_id) in enumerate(rows):
                if command_id is not None and erased_command_id(command_id, user_id, alias) != command_id:
                    rows[index] = (seq, kind, payload, erased_command_id(command_id, user_id, alias))
                    changed += 1
        return {"events": changed}
