"""Prometheus metrics over HTTP: ``GET /metrics`` (with a bearer token) and the request-latency middleware.

The registry and its instruments are the composition root's (``Metrics``); this module only times requests
by their route template (``/api/v1/shows/{show_id}``, never the raw path) and serves the exposition.
"""

from __future__ import annotations

import hmac
import time

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import client_of, too_many_attempts
from api.deps import Metrics, ServicesDep
from api.errors import ApiError

UNMATCHED = "unmatched"  # requests no route answered (404s): one series for all of them, not one per path


class TimeRequests:
    """Pure ASGI (it must not buffer the live streams): observes each HTTP request's duration, to its last byte."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the last-resort handler answers when nothing was sent

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            self.metrics.requests.labels(scope["method"], route_template(scope), str(status)).observe(
                time.perf_counter() - started)


def route_template(scope: Scope) -> str:
    """The matched route's path with its parameters named (``/api/v1/shows/{show_id}``), or ``unmatched``.

    Built from the request's path and the parameters the router matched in it: the matched route object
    knows only its path inside the router that holds it, not the prefixes it was included under.
    """
    if scope.get("route") is None:
        return UNMATCHED
    path: str = scope.get("path", "")
    params = {str(value): name for name, value in (scope.get("path_params") or {}).items() if str(value)}
    for value, name in params.items():
        if "/" in value and path.endswith("/" + value):  # a catch-all parameter ({path} of a mount)
            path = path[: -len(value)] + "{" + name + "}"
    return "/".join("{" + params[part] + "}" if part in params else part for part in path.split("/"))


router = APIRouter(include_in_schema=False)


@router.get("/metrics")
async def metrics(request: Request, services: ServicesDep) -> Response:
    """The Prometheus exposition; needs ``Authorization: Bearer <KARAOKE_METRICS_TOKEN or the admin token>``."""
    # Wrong metrics tokens count against the client with wrong admin tokens: one limit on guessing.
    access = services.access
    client = client_of(request, access)
    wait = access.guard.wait(client)
    if wait > 0:
        raise too_many_attempts(wait)
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), services.metrics.token.encode()):
        access.guard.failed(client)
        raise ApiError(401, "unauthorized", "A valid metrics bearer token is required.",
                       headers={"WWW-Authenticate": "Bearer"})
    await services.metrics.refresh()
    return Response(generate_latest(services.metrics.registry), media_type=CONTENT_TYPE_LATEST)
