"""The one shape of every error answer over HTTP, shared by the API and the chat platforms' webhooks.

``{"error": {"code", "message", "details": {"fieldErrors": [{"field", "reason"}]}}}``: ``code`` is a
stable machine-readable word, ``message`` a sentence for people, ``details`` only when fields failed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def error_body(code: str, message: str, field_errors: Sequence[tuple[str, str]] | None = None) -> dict[str, Any]:
    """The JSON body of an error answer."""
    body: dict[str, Any] = {"code": code, "message": message}
    if field_errors:
        body["details"] = {"fieldErrors": [{"field": field, "reason": reason} for field, reason in field_errors]}
    return {"error": body}
