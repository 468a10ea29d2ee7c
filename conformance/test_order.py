"""Ordering and pipelining (spec section 9), and half-close (section 10)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.checks import Case, Matcher, Outcome, error, pong
from conformance.plugin import kit_settings
from conformance.strategies import encode_json, json_values, non_ping_methods
from conformance.wire import frame


@st.composite
def mixed_requests(draw: st.DrawFn) -> tuple[bytes, Matcher]:
    """One frame, valid or not, and the response it must get."""
    kind = draw(st.sampled_from(("ping", "ping", "ping", "unknown", "not-json", "not-object", "no-params", "empty")))
    params = draw(json_values(5))
    if kind == "ping":
        return frame(encode_json({"in": "ping", "params": params}, "raw")), pong(params)
    if kind == "unknown":
        return frame(encode_json({"in": draw(non_ping_methods), "params": params}, "raw")), error(-32601)
    if kind == "not-json":
        return frame(b'{"in": "ping", "params": [1, 2'), error(-32700)
    if kind == "not-object":
        return frame(encode_json([params], "raw")), error(-32600)
    if kind == "no-params":
        return frame(b'{"in":"ping"}'), error(-32600)
    return b"\x00\x00\x00\x00", error(-32600)


@pytest.mark.requirement("LPJ-ORDER-2", "LPJ-ORDER-1", "LPJ-ORDER-3")
@kit_settings()
@given(batch=st.lists(mixed_requests(), min_size=2, max_size=25))
def test_pipelined_requests_get_one_response_each_in_order(case: Case, batch: list[tuple[bytes, Matcher]]) -> None:
    stream = b"".join(frame_bytes for frame_bytes, _ in batch)
    case.exchange([stream], [Outcome(tuple(m for _, m in batch), "open")])


@pytest.mark.requirement("LPJ-CONN-1")
@kit_settings()
@given(batch=st.lists(mixed_requests(), min_size=1, max_size=25))
def test_half_close_after_a_pipelined_batch_still_gets_every_response(
    case: Case, batch: list[tuple[bytes, Matcher]]
) -> None:
    stream = b"".join(frame_bytes for frame_bytes, _ in batch)
    case.exchange([stream], [Outcome(tuple(m for _, m in batch), "closed")], half_close=True)


@pytest.mark.requirement("LPJ-CONN-2", "LPJ-CONN-1")
@kit_settings(examples=10)
@given(params=json_values(5), cut=st.integers(1, 40))
def test_partial_frame_at_end_of_file_is_never_answered(case: Case, params: Any, cut: int) -> None:
    complete = frame(encode_json({"in": "ping", "params": params}, "raw"))
    partial = frame(encode_json({"in": "ping", "params": "never answered"}, "raw"))
    partial = partial[: min(cut, len(partial) - 1)]
    case.exchange([complete + partial], [Outcome((pong(params),), "closed")], half_close=True)


@pytest.mark.requirement("LPJ-ORDER-3")
def test_thousand_pipelined_pings_before_reading(case: Case) -> None:
    stream = b"".join(frame(encode_json({"in": "ping", "params": i}, "raw")) for i in range(1000))
    case.exchange([stream], [Outcome(tuple(pong(i) for i in range(1000)), "open")])
