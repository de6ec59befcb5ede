"""Liveness and readiness."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import ServicesDep
from api.errors import ApiError, ErrorEnvelope

logger = logging.getLogger(__name__)
router = APIRouter(tags=["health"])
# How soon a load balancer or a script waiting for the service should ask again.
READY_RETRY_SECONDS = 2


class Status(BaseModel):
    status: str


class Readiness(Status):
    # How the read-side views fare in this instance, e.g. {"projections": {"performances": "ok"}}. A failing
    # projection is named here and does not make the instance unready (the rotation does not need it).
    details: dict[str, dict[str, str]]


@router.get("/healthz", response_model=Status)
async def healthz() -> Status:
    """The process is up. Touches no database."""
    return Status(status="ok")


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": ErrorEnvelope, "description": "Not ready"}},
)
async def readyz(services: ServicesDep) -> Readiness:
    """Ready when the database answers, its schema is at head, and search has its index. ``details`` says how
    each projection (read-side view) fares here: ``ok``, or failing since when and why (still ready: the
    rotation does not depend on them)."""
    problem = await services.readiness_problem()
    if problem:
        raise ApiError(503, "unavailable", problem, headers={"Retry-After": str(READY_RETRY_SECONDS)})
    return Readiness(status="ready", details=services.readiness_details())
