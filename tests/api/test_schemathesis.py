"""Schemathesis over the app's own OpenAPI schema with every check it has (``st run --checks all``).

Not only no 5xx and responses as documented: requests the schema calls valid are accepted (ST202), ones it
calls invalid are refused, an undeclared method gets 405 with an ``Allow`` header naming exactly the
schema's methods (ST204, ST205), a missing token gets 401, and resources behave across calls (stateful).
The CLI runs as its users run it, against the real service on loopback, on each database.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import ADMIN_TOKEN, settings_for
from tests.live_server import live_server

ST = Path(sys.executable).parent / "st"
# Enough to reach every rule of every operation in a few minutes; the seed keeps a red run reproducible. One
# worker: with several, hypothesis (6.170, CPython 3.11) can fail parsing its own lambdas in two threads at once.
MAX_EXAMPLES = "10"
SEED = "20261130"


def test_the_api_keeps_its_own_schema_under_every_check(db_url: str, tmp_path: Path) -> None:
    # Schemathesis sends made-up bearer tokens too; the limit on wrong ones would soon answer 429 to all.
    # It also sends one generated Idempotency-Key with different bodies. This API answers 422 for exactly
    # that and nothing else (validation is 400): a refusal that depends on what came before, like 409, so
    # a schema-valid request may meet it. 422 therefore joins the statuses schemathesis accepts there.
    (tmp_path / "schemathesis.toml").write_text(
        '[checks.positive_data_acceptance]\n'
        'expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]\n'
        # A stats window whose from is after its to (or a day no calendar has, such as 2026-02-30) is refused
        # with 400: no schema can say either, so two well-formed dates may be refused there, and only there.
        '[[operations]]\ninclude-path = "/api/v1/stats"\n'
        '[operations.checks.positive_data_acceptance]\n'
        'expected-statuses = ["2xx", "400", "401", "403", "429"]\n', encoding="utf-8")
    with live_server(settings_for(db_url, auth_failure_limit=1_000_000)) as base_url:
        result = subprocess.run(
            [str(ST), "run", f"{base_url}/openapi.json", "--checks", "all", "--phases",
             "examples,coverage,fuzzing,stateful", "--max-examples", MAX_EXAMPLES, "--seed", SEED,
             "--workers", "1", "--no-color", "--generation-database", "none",
             "--header", f"Authorization: Bearer {ADMIN_TOKEN}", "--request-timeout", "10"],
            capture_output=True, text=True, cwd=tmp_path, timeout=900, check=False,
        )
    report = result.stdout + result.stderr
    assert result.returncode == 0, report[-12000:]
    tested = re.search(r"Tested: (\d+)", report)
    assert tested is not None and int(tested.group(1)) >= 25, report[-3000:]
    for phase in ("Coverage", "Fuzzing", "Stateful"):
        assert re.search(rf"✅ +{phase}", report), f"{phase} did not run clean:\n{report[-3000:]}"
