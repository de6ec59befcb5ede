"""One error envelope for every non-2xx answer; stack traces go to the log, never to a client."""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.envelope import error_body
from core.repeat import Outages

logger = logging.getLogger(__name__)

_CODES = {
    400: "validation-error",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    411: "length-required",
    413: "too-large",
    415: "unsupported-media-type",
    422: "unprocessable",
    429: "too-many-requests",
    431: "headers-too-large",
    503: "unavailable",
}


# What a client is told to wait before trying again while the database is unreachable.
RETRY_AFTER_SECONDS = 2


class FieldError(BaseModel):
    field: str
    reason: str


class ErrorDetails(BaseModel):
    fieldErrors: list[FieldError] | None = None


class ErrorBody(BaseModel):
    code: str
    message: str
    details: ErrorDetails | None = None


class ErrorEnvelope(BaseModel):
    """The shape of every error answer."""

    error: ErrorBody


class ApiError(Exception):
    """Raise from a route to answer with the envelope."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        field_errors: list[tuple[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field_errors = field_errors
        self.headers = headers


def envelope(
    status: int,
    code: str,
    message: str,
    field_errors: list[tuple[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A JSON response carrying the error envelope."""
    return JSONResponse(error_body(code, message, field_errors), status_code=status, headers=headers)


def not_found(what: str) -> ApiError:
    """The 404 for a missing resource."""
    return ApiError(404, "not-found", f"{what} not found")


def _location(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    return ".".join(parts) or "body"


class _OutagesAnswer503:
    """Pure ASGI, just inside Starlette's last-resort 500 handler: a failure that ``outages`` recognises as a
    database outage is answered 503 ``unavailable`` with ``Retry-After``, and logged once per outage there,
    instead of a 500 and a traceback per request. Anything else goes on to the 500 handler as before."""

    def __init__(self, app: ASGIApp, outages: Outages) -> None:
        self.app = app
        self.outages = outages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as error:
            if not self.outages.absorbs(error):
                raise
            if started:
                return  # a stream cut short by the outage: nothing more can be said on it
            answer = envelope(503, "unavailable", "The database is unavailable; try again shortly.",
                              headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
            await answer(scope, receive, send)


_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


def _allowed_methods(request: Request, starlettes: str | None) -> str | None:
    """Every method the API's schema declares for the request's path, or Starlette's answer off the schema."""
    # Starlette names only the methods of the first route that matched the path; a path served by several
    # routes (GET and PATCH /songs/{id}) allows all of theirs, exactly as the OpenAPI schema lists them.
    path = request.scope["path"]
    for template, item in request.app.openapi().get("paths", {}).items():
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            methods = {method.upper() for method in item if method in _HTTP_METHODS}
            if "GET" in methods:
                methods.add("HEAD")
            return ", ".join(sorted(methods))
    return starlettes


def install_error_handlers(app: FastAPI, outages: Outages | None = None) -> None:
    """Make every failure answer with the envelope: validation 400, HTTP errors by status, a database outage
    (as ``outages`` recognises it) 503 with ``Retry-After``, the rest 500."""
    if outages is not None:
        app.add_middleware(_OutagesAnswer503, outages=outages)

    @app.exception_handler(ApiError)
    async def api_error(_: Request, error: ApiError) -> JSONResponse:
        return envelope(error.status, error.code, error.message, error.field_errors, error.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, error: RequestValidationError) -> JSONResponse:
        field_errors = []
        for item in error.errors():
            reason = str(item.get("msg", "invalid"))
            # Pydantic prefixes messages from our own validators; the reason reads better without it.
            reason = reason.removeprefix("Value error, ")
            field_errors.append((_location(tuple(item.get("loc", ()))), reason))
        return envelope(400, "validation-error", "The request is not valid.", field_errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        code = _CODES.get(error.status_code, "error")
        message = error.detail if isinstance(error.detail, str) else code
        headers = {key: value for key, value in (getattr(error, "headers", None) or {}).items()
                   if key.lower() != "allow"}
        if error.status_code == 405:
            allowed = _allowed_methods(request, (getattr(error, "headers", None) or {}).get("Allow"))
            if allowed:
                headers["Allow"] = allowed
        return envelope(error.status_code, code, message, headers=headers or None)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return envelope(500, "internal-error", "Something went wrong on our side.")


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorEnvelope, "description": "Invalid input"},
    413: {"model": ErrorEnvelope, "description": "The body is too large"},
    500: {"model": ErrorEnvelope, "description": "Unexpected failure"},
    503: {"model": ErrorEnvelope, "description": "The database is unavailable for now (see Retry-After)"},
}
AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorEnvelope, "description": "Missing or wrong bearer token"},
    429: {
        "model": ErrorEnvelope,
        "description": "Too many wrong tokens from this client; try again after `Retry-After` seconds",
        "headers": {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}},
    },
}
NOT_FOUND_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorEnvelope, "description": "No such resource"},
}
