"""Messages and the ping method (spec sections 6 and 7): what goes in comes back JSON-equal."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.checks import Case
from conformance.plugin import kit_settings
from conformance.strategies import (
    SAFE_INTEGER,
    doubles,
    encode_json,
    encodings,
    json_values,
    nested,
    request_body,
    safe_integers,
    unicode_text,
)


@pytest.mark.requirement("LPJ-PING-1", "LPJ-RESP-1")
@kit_settings()
@given(params=json_values(), style=encodings)
def test_ping_answers_pong_with_params_json_equal(case: Case, params: Any, style: str) -> None:
    case.ping(case.connect(), params, body=request_body(params, style))


@pytest.mark.requirement("LPJ-PING-2")
@kit_settings()
@given(numbers=st.lists(safe_integers, min_size=1, max_size=20))
def test_integers_within_53_bits_round_trip_exactly(case: Case, numbers: list[int]) -> None:
    case.ping(case.connect(), [SAFE_INTEGER, -SAFE_INTEGER, *numbers])


@pytest.mark.requirement("LPJ-PING-3")
@kit_settings()
@given(numbers=st.lists(doubles, min_size=1, max_size=20))
def test_doubles_round_trip_exactly(case: Case, numbers: list[float]) -> None:
    case.ping(case.connect(), numbers)


@pytest.mark.requirement("LPJ-PING-4")
@kit_settings()
@given(text=st.text(alphabet=st.characters(codec="utf-8"), max_size=60) | unicode_text, style=encodings)
def test_unicode_strings_round_trip(case: Case, text: str, style: str) -> None:
    case.ping(case.connect(), {text: text}, body=request_body({text: text}, style))


@pytest.mark.requirement("LPJ-PING-4", "LPJ-LIMIT-1")
@kit_settings(examples=4)
@given(size=st.sampled_from((65_536, 300_000, 1_000_000)), char=st.sampled_from(("a", "é", "\U0001f600")))
def test_long_strings_round_trip(case: Case, size: int, char: str) -> None:
    text = char * (size // len(char.encode()))
    case.ping(case.connect(), text)


@pytest.mark.requirement("LPJ-PING-5")
@kit_settings(examples=10)
@given(data=st.data(), depth=st.sampled_from((1, 2, 32, 63, 64)))
def test_nesting_to_depth_64_round_trips(case: Case, data: st.DataObject, depth: int) -> None:
    params = data.draw(nested(depth), label="params")
    case.ping(case.connect(), params)


@pytest.mark.requirement("LPJ-REQ-5")
@kit_settings()
@given(
    extra=st.dictionaries(
        unicode_text.filter(lambda k: k not in ("in", "params")), json_values(5), min_size=1, max_size=4
    ),
    params=json_values(5),
    first=st.booleans(),
)
def test_unknown_request_members_are_ignored(case: Case, extra: dict[str, Any], params: Any, first: bool) -> None:
    message = {**extra, "in": "ping", "params": params} if first else {"in": "ping", "params": params, **extra}
    case.ping(case.connect(), params, body=encode_json(message, "raw"))
