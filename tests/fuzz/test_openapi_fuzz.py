"""Schemathesis against every service's OpenAPI document: requests generated from the document
(valid ones, and ones that break it), sent with an admin key through the WSGI app, and every
response checked: no server error, a documented status, content type and headers, a body that
matches its schema, and invalid data refused.

`FUZZ_CASES` cases per service (200 in the test suite; `make fuzz` runs 1,000). Not checked:
schemathesis' `positive_data_acceptance`, because some rules cannot be said in JSON Schema
(`from` <= `to`, at most 36 months, a session's trainer must exist, `send` needs an sms
invitation with a phone number): those answer 422 to a document-valid request, by design, and
are stated in the operations' descriptions and the README.
"""

from __future__ import annotations

import importlib
import math
import os
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis import checks as core_checks
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi import checks as openapi_checks

SERVICES = ("ivr_survey", "web_survey", "training_survey", "aggregator")
CASES = int(os.environ.get("FUZZ_CASES", "200"))
CHECKS = [
    core_checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.negative_data_rejection,
]
# A body over the size limit is refused with 413, which schemathesis does not count as a
# rejection by default.
REJECTIONS = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


def _config(key: str) -> SchemathesisConfig:
    # The key as the document's bearer scheme, so that a negative case that leaves the header
    # out is known to be one (sending it anyway would make the "invalid" case valid).
    return SchemathesisConfig.from_dict(
        {
            "auth": {"openapi": {"bearerAuth": {"bearer": key}}},
            "checks": {"negative_data_rejection": {"expected-statuses": REJECTIONS}},
        }
    )


def _summary(exc: BaseException, limit: int = 30) -> str:
    """The failure's first lines, each cut short: a generated body can be 100 KB."""
    lines = str(exc).splitlines()[:limit]
    return "\n".join(line[:240] for line in lines)


def fuzz(app: object, key: str, cases: int) -> tuple[int, list[str]]:
    """Run about `cases` generated requests over all operations; (how many ran, failures)."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=_config(key))
    operations = [result.ok() for result in schema.get_all_operations()]
    ran = 0
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    per_run = max(5, math.ceil(cases / (len(operations) * len(MODES))))
    rounds = 0
    # Operations with few possible inputs stop early, so go round again until enough ran.
    while ran < cases and rounds < 10 and not failures:
        rounds += 1
        for operation in operations:
            for mode in MODES:

                @given(case=operation.as_strategy(generation_mode=mode))
                @settings(
                    max_examples=per_run,
                    deadline=None,
                    database=None,
                    suppress_health_check=list(HealthCheck),
                )
                def run(case: schemathesis.Case) -> None:
                    nonlocal ran
                    ran += 1
                    response = case.call()
                    statuses[response.status_code] += 1
                    case.validate_response(response, checks=CHECKS)

                try:
                    run()
                except Unsatisfiable:  # nothing invalid to send (a path's free-form token)
                    pass
                except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - reported below
                    failures.append(f"{operation.label} ({mode.value}):\n{_summary(exc)}")
    print(f"statuses: {dict(sorted(statuses.items()))}")
    return ran, failures


@pytest.mark.parametrize("service", SERVICES)
def test_generated_requests_get_no_server_error_and_documented_answers(service, config, api_key):
    # The public limit is the client address's; here every request comes from one address.
    app = importlib.import_module(service).create_app(
        {**config, "RATE_LIMIT_PUBLIC": "100000/minute"}
    )
    key = api_key("admin")["Authorization"].split()[1]
    ran, failures = fuzz(app, key, CASES)
    assert not failures, "\n\n".join(failures)
    assert ran >= CASES, f"only {ran} cases ran"
    print(f"{service}: {ran} generated requests, no failure")
