"""Framing (spec section 4): byte order, byte-counted lengths, reassembly, several frames per read."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.checks import Case, Outcome, Violation, pong
from conformance.jsonvalue import json_equal, strict_loads
from conformance.plugin import kit_settings
from conformance.strategies import encodings, json_values, request_body, split_points, unicode_text
from conformance.targets import probe
from conformance.wire import Ended, Frame, Wire, frame


@pytest.mark.requirement("LPJ-FRAME-2")
@pytest.mark.runs_when_down
def test_length_prefix_is_little_endian(case: Case) -> None:
    wire = case.connect()
    try:
        case.ping(wire, "byte order")
    except Violation as violation:
        violation.note = diagnose_byte_order(case)
        raise


def diagnose_byte_order(case: Case) -> str:
    """Ask, on a fresh connection, whether the server speaks big-endian prefixes."""
    if probe(case.address, min(case.io_timeout, 2.0), big_endian=True) is None:
        return "the same ping with a BIG-ENDIAN prefix gets a big-endian pong: this server speaks big-endian prefixes"
    return "a ping with a big-endian prefix is not answered either"


@pytest.mark.requirement("LPJ-FRAME-3")
@kit_settings()
@given(text=st.text(alphabet=st.characters(min_codepoint=0x80, exclude_categories=("Cs",)), min_size=1, max_size=30))
def test_length_counts_bytes_of_multibyte_utf8(case: Case, text: str) -> None:
    wire = case.connect()
    wire.send_frame(request_body(text))
    received = wire.read_frame("a pong to a body with multi-byte characters")
    if isinstance(received, Ended):
        raise case.violation(
            None, received.describe(), wire=wire, expected=[f"pong {text!r}"], actual=received.describe()
        )
    try:
        strict_loads(received.body)
    except ValueError:
        raise character_counted(case, wire, received) from None
    case.expect_pong(wire, case.decode(wire, received), text)
    wire.close()


def character_counted(case: Case, wire: Wire, received: Frame) -> Violation:
    """The body came back cut short: say whether the prefix counted characters."""
    leftover = wire.read_frame("the rest of the body", timeout=0.3)
    whole = received.body + (leftover.partial if isinstance(leftover, Ended) else b"")
    note = ""
    try:
        if len(whole.decode()) == received.length and len(whole) > received.length:
            note = f": it says {received.length}, the number of characters; the body has {len(whole)} bytes"
    except UnicodeDecodeError:
        pass
    return case.violation(
        None,
        "the response's length prefix does not count the bytes of its body" + note,
        wire=wire,
        expected=["a length prefix equal to the body's size in bytes"],
        actual=f"prefix {received.length}, {len(whole)} body bytes received",
    )


@pytest.mark.requirement("LPJ-FRAME-6")
@kit_settings()
@given(params=json_values(10), style=encodings, data=st.data())
def test_frame_split_over_many_reads_is_reassembled(case: Case, params: Any, style: str, data: st.DataObject) -> None:
    pieces = data.draw(split_points(frame(request_body(params, style))), label="writes")
    case.exchange(pieces, [Outcome((pong(params),), "open")])


@pytest.mark.requirement("LPJ-FRAME-6")
def test_frame_written_one_byte_at_a_time_is_reassembled(case: Case) -> None:
    whole = frame(request_body({"slow": "bytes", "é": [1, 2.5]}))
    case.exchange(
        [whole[i : i + 1] for i in range(len(whole))], [Outcome((pong({"slow": "bytes", "é": [1, 2.5]}),), "open")]
    )


@pytest.mark.requirement("LPJ-FRAME-7", "LPJ-ORDER-2")
@kit_settings()
@given(batch=st.lists(json_values(6), min_size=2, max_size=12), cut=st.floats(0.05, 0.95))
def test_several_frames_and_a_partial_one_in_one_read(case: Case, batch: list[Any], cut: float) -> None:
    stream = b"".join(frame(request_body(p)) for p in batch)
    last = len(stream) - len(frame(request_body(batch[-1])))
    split = last + max(1, int((len(stream) - last) * cut))
    split = min(split, len(stream) - 1)
    case.exchange([stream[:split], stream[split:]], [Outcome(tuple(pong(p) for p in batch), "open")])


@pytest.mark.requirement("LPJ-FRAME-1", "LPJ-FRAME-3")
@kit_settings()
@given(text=unicode_text)
def test_response_frames_are_exact(case: Case, text: str) -> None:
    """Nothing but whole frames comes back: a pong, then nothing stray before the next one."""
    wire = case.connect()
    for params in (text, [text, text]):
        wire.send_frame(request_body(params))
        value = case.response(wire, f"the pong to {params!r}")
        if not (value.get("out") == "pong" and json_equal(value.get("result"), params)):
            case.expect_pong(wire, value, params)
    wire.close()


@pytest.mark.requirement("LPJ-LIMIT-4")
def test_frame_too_large_error_is_not_destroyed_by_a_reset(case: Case) -> None:
    """Body bytes after an oversized prefix must be drained, or the kernel resets the connection."""
    wire = case.connect()
    wire.send(bytes.fromhex("ffffffff") + b"x" * 65536)
    received = wire.read_frame("the -32600 response to an oversized frame")
    if isinstance(received, Ended):
        if received.kind == "reset":
            raise case.violation(
                None,
                "the connection was reset instead of closed: no error response arrived",
                wire=wire,
                expected=["error -32600, then end of file"],
                actual=received.describe(),
            )
        return  # closing without the error is allowed by LPJ-LIMIT-3 ("if it can")
    case.decode(wire, received)
    ended = wire.read_frame("end of file after the error response")
    if isinstance(ended, Ended) and ended.kind == "reset":
        raise case.violation(
            None,
            "after the error response the connection was reset, not closed",
            wire=wire,
            expected=["end of file"],
            actual=ended.describe(),
        )
