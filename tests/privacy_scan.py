"""Reading every table of a database as text, to prove that something left no trace anywhere."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import MetaData, select
from sqlalchemy.ext.asyncio import AsyncEngine


def _text(value: Any) -> str:
    if isinstance(value, dict | list):
        # Both the stored spelling (non-ASCII escaped) and the readable one.
        return json.dumps(value) + " " + json.dumps(value, ensure_ascii=False)
    return str(value)


async def table_texts(engine: AsyncEngine) -> dict[str, str]:
    """Every row of every table (reflected, so tables added later count too), one text per table."""
    metadata = MetaData()
    async with engine.connect() as conn:
        await conn.run_sync(metadata.reflect)
        found: dict[str, str] = {}
        for table in metadata.sorted_tables:
            rows = (await conn.execute(select(table))).all()
            found[table.name] = "\n".join(" | ".join(_text(v) for v in row) for row in rows)
    return found


async def tables_containing(engine: AsyncEngine, *needles: str) -> dict[str, list[str]]:
    """``table -> needles found in it``, for every table holding any of ``needles``."""
    found: dict[str, list[str]] = {}
    for name, text in (await table_texts(engine)).items():
        hits = [n for n in needles if n in text]
        if hits:
            found[name] = hits
    return found
