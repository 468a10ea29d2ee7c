"""Robustness (spec section 12): no client behaviour stops the server.

Each case abuses one connection, ends it, then demands a pong on a fresh one
(LPJ-ROBUST-1).  Cases that need two connections at once adapt to the
concurrency class: a sequential server cannot serve a second connection while
the first is open, and that is allowed.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.characterise import concurrency
from conformance.checks import Case, Outcome, pong
from conformance.plugin import Kit, kit_settings
from conformance.strategies import request_body
from conformance.targets import Target
from conformance.wire import Ended, frame

pytestmark = pytest.mark.requirement("LPJ-ROBUST-1")


@kit_settings(examples=10)
@given(garbage=st.binary(min_size=1, max_size=300), framed=st.booleans())
def test_garbage_then_close_leaves_server_serving(case: Case, garbage: bytes, framed: bool) -> None:
    """Raw garbage, or garbage inside a well-formed frame (the server answers -32700 or -32600)."""
    wire = case.connect()
    wire.send(frame(garbage) if framed else garbage)
    if framed:
        case.response(wire, "the error response to a frame of garbage")
    wire.close()
    case.expect_alive(f"{'a frame of garbage' if framed else 'garbage bytes'} and a close")


@kit_settings(examples=10)
@given(cut=st.integers(1, 30), reset=st.booleans())
def test_connection_ended_mid_frame_leaves_server_serving(case: Case, cut: int, reset: bool) -> None:
    wire = case.connect()
    wire.send(frame(request_body("cut short"))[:cut])
    wire.abort() if reset else wire.close()
    case.expect_alive(f"a connection {'reset' if reset else 'closed'} after {cut} bytes of a frame")


@pytest.mark.parametrize("prefix", ["ffffffff", "00000080", "00000000"], ids=["max-length", "2-gib", "zero-length"])
def test_odd_length_then_close_leaves_server_serving(case: Case, prefix: str) -> None:
    wire = case.connect()
    wire.send(bytes.fromhex(prefix))
    wire.close()
    case.expect_alive(f"the length prefix {prefix} and a close")


def test_half_close_with_nothing_sent_leaves_server_serving(case: Case) -> None:
    wire = case.connect()
    wire.shutdown_write()
    ended = wire.read_frame("the server to close its side")
    if not isinstance(ended, Ended) or ended.kind not in ("eof", "reset"):
        actual = ended.describe() if isinstance(ended, Ended) else f"a {ended.length}-byte frame"
        raise case.violation(
            "LPJ-CONN-1",
            "after a half-close with nothing pending the server did not close",
            wire=wire,
            expected=["end of file"],
            actual=actual,
        )
    case.expect_alive("a half-close with nothing sent")


@pytest.mark.requirement("LPJ-ROBUST-1", "LPJ-TRANS-2")
def test_hundreds_of_connections_opened_and_dropped(case: Case, kit: Kit) -> None:
    for i in range(300):
        wire = case.connect()
        if i % 3 == 1:
            wire.send(frame(request_body(i))[:5])
        if i % 3 == 2:
            wire.abort()
        else:
            wire.close()
        case.wires.clear()
    case.expect_alive("300 connections opened and dropped")


@pytest.mark.requirement("LPJ-ROBUST-1", "LPJ-ROBUST-2")
def test_slow_client_on_another_connection(case: Case, target: Target, kit: Kit) -> None:
    """A client sending one byte per 50 ms; an unbounded server answers others meanwhile."""
    parallel = concurrency(target, kit.io_timeout)["class"] != "sequential"  # measured before we hold a connection
    slow = case.connect()
    whole = frame(request_body("slow"))
    for i, byte in enumerate(whole):
        slow.send(bytes([byte]))
        if parallel and i == len(whole) // 2:
            case.ping(case.connect(), "not delayed by the slow client", requirement="LPJ-ROBUST-2")
        time.sleep(0.05 if i < 10 else 0)
    # With another connection served in between, a damaged answer here is cross-talk.
    blame = "LPJ-ROBUST-2" if parallel else "LPJ-FRAME-6"
    value = case.response(slow, "the pong to the slow client", blame)
    case.expect_pong(slow, value, "slow", blame)


@pytest.mark.requirement("LPJ-ROBUST-2")
@kit_settings(examples=5)
@given(count=st.integers(2, 20))
def test_no_cross_talk_between_connections(case: Case, target: Target, kit: Kit, count: int) -> None:
    parallel = concurrency(target, kit.io_timeout)["class"] != "sequential"
    first, second = case.connect(), None
    if parallel:
        second = case.connect()
        first.send(b"".join(frame(request_body(["first", i])) for i in range(count)))
        second.send(b"".join(frame(request_body(["second", i])) for i in range(count)))
        for i in range(count):
            case.expect_pong(second, case.response(second, f"pong {i} on the second connection"), ["second", i])
        for i in range(count):
            case.expect_pong(first, case.response(first, f"pong {i} on the first connection"), ["first", i])
    else:
        case.exchange(
            [b"".join(frame(request_body(["first", i])) for i in range(count))],
            [Outcome(tuple(pong(["first", i]) for i in range(count)), "open")],
            wire=first,
        )
