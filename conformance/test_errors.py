"""Errors (spec sections 5, 6 and 8): the right code, the right shape, and the connection lives on.

Every case here expects the error response AND then a probe ping on the same
connection answered with its pong (LPJ-ERR-4).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given

from conformance.checks import Case, Outcome, error
from conformance.plugin import kit_settings
from conformance.strategies import (
    encode_json,
    invalid_method_values,
    invalid_utf8,
    json_values,
    non_object_values,
    non_ping_methods,
    not_json,
)
from conformance.wire import frame


def expect_error_then_open(case: Case, body: bytes, code: int) -> None:
    case.exchange([frame(body)], [Outcome((error(code),), "open")])


@pytest.mark.requirement("LPJ-JSON-3", "LPJ-ERR-4")
@kit_settings()
@given(body=invalid_utf8())
def test_body_that_is_not_utf8_gets_parse_error(case: Case, body: bytes) -> None:
    expect_error_then_open(case, body, -32700)


@pytest.mark.requirement("LPJ-JSON-3", "LPJ-ERR-4")
@kit_settings()
@given(body=not_json())
def test_body_that_is_not_json_gets_parse_error(case: Case, body: bytes) -> None:
    expect_error_then_open(case, body, -32700)


@pytest.mark.requirement("LPJ-REQ-2", "LPJ-ERR-4")
@kit_settings()
@given(value=non_object_values)
def test_body_that_is_not_an_object_gets_invalid_request(case: Case, value: Any) -> None:
    expect_error_then_open(case, encode_json(value, "raw"), -32600)


@pytest.mark.requirement("LPJ-REQ-3", "LPJ-ERR-4")
@kit_settings()
@given(method=invalid_method_values, params=json_values(4))
def test_in_that_is_not_a_non_empty_string_gets_invalid_request(case: Case, method: Any, params: Any) -> None:
    expect_error_then_open(case, encode_json({"in": method, "params": params}, "raw"), -32600)


@pytest.mark.requirement("LPJ-REQ-4", "LPJ-ERR-4")
@kit_settings(examples=5)
@given(extra=json_values(4))
def test_request_without_params_gets_invalid_request(case: Case, extra: Any) -> None:
    expect_error_then_open(case, encode_json({"in": "ping", "id": extra}, "raw"), -32600)


@pytest.mark.requirement("LPJ-ERR-2", "LPJ-ERR-4")
@kit_settings()
@given(method=non_ping_methods, params=json_values(4))
def test_unknown_method_gets_method_not_found(case: Case, method: str, params: Any) -> None:
    expect_error_then_open(case, encode_json({"in": method, "params": params}, "raw"), -32601)
