"""The sans-IO core: framing, validation, dispatch; fed whole, byte by byte and in random chunks."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.checks import Outcome, matches
from conformance.jsonvalue import json_equal
from conformance.specdata import validator, vector_cases
from conformance.strategies import json_values, split_points
from reference import protocol
from reference.protocol import (
    CLOSED,
    NEED_DATA,
    FrameDecoder,
    Method,
    ProtocolError,
    Request,
    ServerConnection,
    dispatch,
    encode_frame,
    encode_request,
    parse_request,
)

PROBE = encode_frame(b'{"in":"ping","params":"probe"}')


def test_core_never_imports_io_modules() -> None:
    tree = ast.parse(Path(protocol.__file__).read_text(encoding="utf-8"))
    imported = {
        alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    }
    imported |= {
        node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    assert not imported & {"socket", "select", "selectors", "asyncio", "ssl"}, imported


def decode_all(chunks: list[bytes], max_frame: int = protocol.DEFAULT_FRAME_LIMIT) -> list[Any]:
    decoder = FrameDecoder(max_frame)
    events: list[Any] = []
    for chunk in [*chunks, b""]:
        decoder.receive_data(chunk)
        while (event := decoder.next_event()) is not NEED_DATA:
            if isinstance(event, ProtocolError):
                event = (event.code, event.close)
            events.append(event)
            if event is CLOSED:
                return events
    return events


frames_stream = st.lists(st.binary(min_size=1, max_size=40), max_size=8).map(
    lambda bodies: b"".join(encode_frame(b) for b in bodies)
)


@given(stream=frames_stream, data=st.data())
def test_any_split_of_a_stream_decodes_to_the_same_frames(stream: bytes, data: st.DataObject) -> None:
    whole = decode_all([stream])
    assert decode_all(data.draw(split_points(stream, max_pieces=12))) == whole
    assert decode_all([stream[i : i + 1] for i in range(len(stream))]) == whole
    assert whole[-1] is CLOSED


@given(stream=frames_stream, tail=st.binary(min_size=1, max_size=10))
def test_partial_frame_at_end_of_file_is_discarded(stream: bytes, tail: bytes) -> None:
    partial = encode_frame(b"x" * 20 + tail)[:-1]
    assert decode_all([stream + partial]) == decode_all([stream])


def test_zero_length_frame_is_an_error_that_keeps_the_stream() -> None:
    assert decode_all([b"\x00\x00\x00\x00" + encode_frame(b"1")]) == [(-32600, False), b"1", CLOSED]


def test_frame_too_large_closes_without_waiting_for_the_body() -> None:
    assert decode_all([b"\xff\xff\xff\xff"], max_frame=1 << 20) == [(-32600, True), CLOSED]
    assert decode_all([encode_frame(b"x" * 11)], max_frame=10) == [(-32600, True), CLOSED]


def test_whole_frame_takes_only_exactly_one_acceptable_frame_with_nothing_buffered() -> None:
    frame = encode_frame(b'{"in":"ping","params":1}')
    decoder = FrameDecoder(max_frame=1 << 20)
    assert bytes(decoder.whole_frame(frame)) == frame[4:]
    assert bytes(decoder.whole_frame(memoryview(frame))) == frame[4:]
    for not_one in (frame[:-1], frame + frame, frame + b"\x00", b"\x00\x00\x00\x00", b"\xff\xff\xff\xff" + b"x"):
        assert decoder.whole_frame(not_one) is None, not_one
    assert FrameDecoder(max_frame=10).whole_frame(encode_frame(b"x" * 11)) is None  # too large is not taken
    decoder.receive_data(frame[:3])  # a partial header buffered: the next bytes continue it
    assert decoder.whole_frame(frame) is None
    decoder.receive_data(frame[3:])
    assert decoder.next_event() == frame[4:]
    assert bytes(decoder.whole_frame(frame)) == frame[4:]  # everything consumed: whole frames again
    decoder.receive_data(b"")
    assert decoder.whole_frame(frame) is None  # after end of file nothing more is read


@given(stream=frames_stream, data=st.data())
def test_the_one_frame_fast_path_answers_like_the_general_path(stream: bytes, data: st.DataObject) -> None:
    requests = [encode_request("ping", p) for p in data.draw(st.lists(st.integers() | st.text(), max_size=4))]
    requests += [encode_frame(b'{"in":"nope","params":1}'), encode_frame(b"{bad"), *([stream] if stream else [])]
    reads = data.draw(st.permutations(requests))
    one_at_a_time, all_at_once = ServerConnection(), ServerConnection()
    assert b"".join(one_at_a_time.receive_data(r) for r in reads) == all_at_once.receive_data(b"".join(reads))


def test_frame_limit_bounds() -> None:
    assert protocol.check_frame_limit(1 << 20) == 1 << 20
    for bad in ((1 << 20) - 1, 1 << 31):
        with pytest.raises(ValueError, match="frame limit"):
            protocol.check_frame_limit(bad)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"\xff", -32700),
        (b"NaN", -32700),
        (b'{"in":"ping","params":1}x', -32700),
        (b"\xef\xbb\xbf{}", -32700),
        (b"[]", -32600),
        (b'{"in":"","params":1}', -32600),
        (b'{"in":1,"params":1}', -32600),
        (b'{"in":"ping"}', -32600),
    ],
)
def test_invalid_bodies_get_their_code(body: bytes, code: int) -> None:
    with pytest.raises(ProtocolError) as raised:
        parse_request(body)
    assert raised.value.code == code
    assert not raised.value.close


requests = st.builds(
    lambda method, params, extra: {**extra, "in": method, "params": params},
    st.text(min_size=1, max_size=10),
    json_values(10),
    st.dictionaries(st.text(max_size=5).filter(lambda k: k not in ("in", "params")), json_values(3), max_size=3),
)


@given(message=requests)
def test_schema_valid_requests_are_accepted(message: dict[str, Any]) -> None:
    assert not list(validator("request").iter_errors(message))
    request = parse_request(json.dumps(message).encode())
    assert request.method == message["in"]
    assert json_equal(request.params, message["params"])


@given(value=json_values(10))
def test_whatever_the_core_accepts_is_a_schema_valid_request(value: Any) -> None:
    body = json.dumps(value).encode()
    try:
        parse_request(body)
    except ProtocolError:
        assert list(validator("request").iter_errors(value))
    else:
        assert not list(validator("request").iter_errors(value))


def test_dispatch_is_pure_and_reports_failures_as_internal_errors() -> None:
    def broken(params: Any) -> Any:
        raise RuntimeError("boom")

    methods = {**protocol.METHODS, "x-broken": Method("never", broken)}
    assert dispatch(Request("ping", [1]), methods) == {"out": "pong", "result": [1]}
    assert dispatch(Request("nope", 1), methods)["result"]["code"] == -32601
    assert dispatch(Request("x-broken", 1), methods)["result"]["code"] == -32603
    connection = ServerConnection(methods=methods)
    out = connection.receive_data(encode_frame(b'{"in":"x-broken","params":1}') + PROBE)
    assert [r["result"] if r["out"] == "pong" else r["result"]["code"] for r in responses_of(out)] == [-32603, "probe"]


def test_unencodable_result_becomes_an_error_not_a_crash() -> None:
    deep = b"[" * 1000 + b"]" * 1000
    out = ServerConnection().receive_data(encode_frame(b'{"in":"ping","params":' + deep + b"}") + PROBE)
    first, second = responses_of(out)
    assert first["out"] in ("pong", "error") and second["result"] == "probe"


def responses_of(data: bytes) -> list[dict[str, Any]]:
    decoded = decode_all([data], max_frame=1 << 30)
    return [json.loads(body) for body in decoded if isinstance(body, bytes)]


def run_core(chunks: list[bytes], half_close: bool) -> tuple[list[dict[str, Any]], str]:
    connection = ServerConnection(max_frame=protocol.MIN_FRAME_LIMIT)
    out = b"".join(connection.receive_data(chunk) for chunk in chunks if chunk)
    if half_close:
        out += connection.receive_data(b"")
    responses = responses_of(out)
    if connection.closing or connection.finished:
        return responses, "closed"
    probe = responses_of(connection.receive_data(PROBE))
    return responses, "open" if probe == [{"out": "pong", "result": "probe"}] else "broken"


def feedings(vector: Any) -> list[str]:
    # One byte at a time is for the small vectors; megabyte ones are fed whole and in chunks.
    small = sum(len(w) for w in vector.writes) <= 100_000
    return ["whole", "random-chunks", *(["byte-by-byte"] if small else [])]


FEEDS = [pytest.param(v, f, id=f"{v.id}-{f}") for v in vector_cases() for f in feedings(v)]


@pytest.mark.parametrize(("vector", "feeding"), FEEDS)
def test_every_vector_passes_through_the_core(vector: Any, feeding: str) -> None:
    stream = b"".join(vector.writes)
    if feeding == "whole":
        chunks = list(vector.writes)
    elif feeding == "byte-by-byte":
        chunks = [stream[i : i + 1] for i in range(len(stream))]
    else:
        step = 1 + (len(stream) * 7919 + len(vector.id)) % 97
        chunks = [stream[i : i + step] for i in range(0, len(stream), step)]
    responses, state = run_core(chunks, vector.half_close)
    allowed = [Outcome.of(o) for o in vector.expect]
    assert any(
        o.connection == state
        and len(o.responses) == len(responses)
        and all(matches(m, r) for m, r in zip(o.responses, responses, strict=True))
        for o in allowed
    ), (responses, state, vector.expect)
