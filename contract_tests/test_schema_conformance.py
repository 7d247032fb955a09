"""Every operation in the spec, as schemathesis sees it: examples, coverage and fuzzing phases.

Schemathesis draws valid requests (positive mode) and requests that break the spec (negative mode) for
each operation and runs every check on each answer: no server errors, documented status codes, content
types, headers and response schemas, valid data accepted, invalid data rejected, auth not ignored, and
the two checks in contract_tests/checks.py. A failure names the operation, the check and a curl
reproduction, with the token and raw keys masked (conftest.py).
"""

from __future__ import annotations

from typing import Any

import requests
import schemathesis

schema = schemathesis.pytest.from_fixture("contract_schema")


@schema.parametrize()
def test_every_operation_answers_as_the_spec_says(
    case: schemathesis.Case[Any], traffic_session: requests.Session
) -> None:
    case.call_and_validate(session=traffic_session)
