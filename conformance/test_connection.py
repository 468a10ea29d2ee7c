"""Connection management (spec section 10): idle connections, unsolicited frames, closing."""

from __future__ import annotations

import time

import pytest

from conformance.checks import Case
from conformance.plugin import Kit
from conformance.strategies import request_body
from conformance.wire import Ended, frame


@pytest.mark.requirement("LPJ-CONN-3", "LPJ-CONN-5")
def test_idle_connection_is_not_closed_early(case: Case, kit: Kit) -> None:
    """Idle between frames and in the middle of one; the spec's floor is 30 s (see --idle-wait)."""
    wait = kit.idle_wait
    wire = case.connect()
    case.ping(wire, "before idling")
    time.sleep(wait)
    whole = frame(request_body("after idling mid-frame"))
    wire.send(whole[:7])
    time.sleep(wait)
    wire.send(whole[7:])
    value = case.response(wire, f"the pong after {wait:g} s idle between frames and {wait:g} s mid-frame")
    case.expect_pong(wire, value, "after idling mid-frame")


@pytest.mark.requirement("LPJ-RESP-3")
def test_no_frame_arrives_without_a_request(case: Case) -> None:
    wire = case.connect()
    received = wire.read_frame("nothing (no request was sent)", timeout=0.3)
    if not isinstance(received, Ended):
        raise case.violation(
            None,
            "the server sent a frame before any request",
            wire=wire,
            expected=["nothing until a request arrives"],
            actual=f"a {received.length}-byte frame",
        )
    case.ping(wire, "one")
    received = wire.read_frame("nothing more after the pong", timeout=0.3)
    if not isinstance(received, Ended):
        raise case.violation(
            None,
            "the server sent a second frame for one request",
            wire=wire,
            expected=["exactly one response"],
            actual=f"another {received.length}-byte frame",
        )
    if received.kind != "timeout":
        raise case.violation(
            "LPJ-CONN-5",
            "the server closed the connection after answering",
            wire=wire,
            expected=["the connection stays open"],
            actual=received.describe(),
        )


@pytest.mark.requirement("LPJ-CONN-5", "LPJ-ORDER-1")
def test_connection_serves_many_requests_one_after_another(case: Case) -> None:
    wire = case.connect()
    for i in range(20):
        case.ping(wire, {"request": i})
