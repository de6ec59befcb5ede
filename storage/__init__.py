"""Persistence on SQLAlchemy 2 (async): the same code on SQLite and PostgreSQL.

- ``storage.db``: engine construction and database URL handling.
- ``storage.tables``: the schema.
- ``storage.songs``: ``SqlSongStore``, the catalog's store.
- ``storage.migrate``: Alembic migrations, applied and checked programmatically.
"""
