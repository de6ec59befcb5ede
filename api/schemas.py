"""Wire shapes shared by the routers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Query
from pydantic import PlainSerializer, WithJsonSchema


def utc_z(moment: datetime) -> str:
    """ISO 8601 in UTC ending in ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


PageNumber = Annotated[int, Query(ge=1, le=1_000_000, description="Which page, from 1")]
"""The ``page`` of a paged listing."""

UtcTimestamp = Annotated[
    datetime,
    PlainSerializer(utc_z, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
