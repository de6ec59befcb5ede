"""Schemathesis over the app's own OpenAPI schema: no 5xx, nothing that breaks the schema."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Ok

from tests.conftest import ADMIN_TOKEN, settings_for
from tests.live_server import live_server

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def test_the_api_keeps_its_own_schema(db_url: str) -> None:
    # Schemathesis sends made-up bearer tokens too; the limit on wrong ones would soon answer 429 to all.
    with live_server(settings_for(db_url, auth_failure_limit=1_000_000)) as base_url:
        schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
        results = list(schema.get_all_operations())
        assert not [r for r in results if not isinstance(r, Ok)], "every operation of the schema is readable"
        operations = [r.ok() for r in results if isinstance(r, Ok)]
        assert len(operations) >= 6
        for operation in operations:

            @given(case=operation.as_strategy())
            @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
            def call(case: schemathesis.Case[Any]) -> None:
                # Half the cases carry the admin token so the write paths are explored past the 401.
                headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"} if len(repr(case.body)) % 2 else {}
                case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS)

            call()
