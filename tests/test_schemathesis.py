"""A bounded, seeded schemathesis run against the live ASGI app, on SQLite and PostgreSQL.

Every operation in /openapi.json gets generated requests, valid and invalid, each sent with a service
and an admin token (the two roles that reach every route between them). Asserted: no 5xx, status codes
the operation declares, and bodies that conform to the declared schema (the `Error` model for errors).
The run is small and derandomized so that it finishes quickly and the same way every time; raise
``LISTINGGUARD_FUZZ_EXAMPLES`` for a longer hunt.
"""

from __future__ import annotations

import os

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from listingguard.app import create_app
from listingguard.config import Settings
from tests.conftest import listing, make_token

EXAMPLES = int(os.environ.get("LISTINGGUARD_FUZZ_EXAMPLES", "10"))
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
def test_no_5xx_and_responses_match_the_schema(
    settings: Settings, screener, database_url: str, mode: GenerationMode
) -> None:
    tokens = [make_token(database_url, "marketplace", "service"), make_token(database_url, "ada", "admin")]
    app = create_app(settings, screener=screener)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    try:
        with asgi.get_client(app) as client:
            # A stored listing, so that look-ups, appeals and evaluation tasks can find something.
            client.post("/v1/listings", json=listing(id="L1"), headers={"authorization": f"Bearer {tokens[0]}"})
            for result in schema.get_all_operations():
                operation = result.ok()

                @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
                @hypothesis.settings(
                    max_examples=EXAMPLES,
                    derandomize=True,
                    database=None,
                    deadline=None,
                    phases=[Phase.explicit, Phase.generate],  # no shrinking: report, don't minimise
                    suppress_health_check=list(HealthCheck),
                )
                def run(case: schemathesis.Case, operation: schemathesis.APIOperation = operation) -> None:
                    for token in tokens:
                        headers = {**(case.headers or {}), "authorization": f"Bearer {token}"}
                        try:
                            case.call_and_validate(session=client, headers=headers, checks=CHECKS)
                        except Exception as exc:  # collect every operation's first failure, then fail once
                            failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:3000])
                            raise

                try:
                    run()
                except Exception:
                    continue
    finally:
        asgi.shutdown_lifespans()
    assert not failures, "\n\n".join(failures)
