"""Persistence on SQLAlchemy 2 (async): the same code on SQLite (aiosqlite) and PostgreSQL (asyncpg).

Each store implements a ``core`` port; the contract tests hold each to the same promises as its fake.

- ``storage.db``: engine construction and database URL handling.
- ``storage.tables``: the schema; ``storage.migrate`` and ``migrations/``: Alembic, applied from code.
- ``storage.songs``: ``SqlSongStore`` (the catalog and its change feed).
- ``storage.shows``: ``SqlShowStore`` (show event streams, appended with optimistic concurrency).
- ``storage.chat_directory``: ``SqlChatDirectory`` (rooms, people, KJs, button choices).
- ``storage.delivery``: ``SqlInbox``, ``SqlOutbox`` and ``SqlSendingTurn`` (exactly-once chat delivery).
- ``storage.notices``: ``SqlNoticeStore`` (reminders, stored with their events, claimed under leases).
- ``storage.kjs``: ``SqlKjRegistry`` (KJ invites by hash, used once; who redeemed one; open shows a KJ runs).
"""
