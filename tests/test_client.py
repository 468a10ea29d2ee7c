"""Tests of ``reference.client`` and of ``lpj call`` / ``lpj ping``, over real TCP on loopback.

The servers run in threads of this process: :class:`EchoServer` puts the
sans-IO core (``ServerConnection``) behind a blocking socket, and
:class:`ScriptedServer` runs a script that sends exactly the bytes a case
needs.  Every socket operation has a timeout and every thread is joined.
"""

from __future__ import annotations

import contextlib
import json
import math
import select
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reference.client import (
    Client,
    ClientError,
    ClientTimeout,
    ConnectFailed,
    ConnectionClosed,
    ProtocolViolation,
    RemoteError,
    encode_request,
    format_address,
    parse_address,
)
from reference.protocol import (
    DEFAULT_FRAME_LIMIT,
    METHODS,
    MIN_FRAME_LIMIT,
    NEED_DATA,
    FrameDecoder,
    Method,
    Request,
    ServerConnection,
    encode_frame,
    parse_request,
)

IO_TIMEOUT = 5.0
ROOT = Path(__file__).resolve().parent.parent


def _fail(params: Any) -> Any:
    raise RuntimeError("handler failed on purpose")


TEST_METHODS = {**METHODS, "fail": Method("ok", _fail), "x-double": Method("ok", lambda n: 2 * n)}


class EchoServer:
    """A one-connection-at-a-time server around ServerConnection (the `single` model, in a thread)."""

    def __init__(self, host: str = "127.0.0.1", max_frame: int = DEFAULT_FRAME_LIMIT, methods=TEST_METHODS):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.listener = socket.create_server((host, 0), family=family)
        self.listener.settimeout(0.05)
        self.host, self.port = host, self.listener.getsockname()[1]
        self.address = format_address(host, self.port)
        self.max_frame, self.methods = max_frame, methods
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="echo-server", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            with conn, contextlib.suppress(OSError):  # the client went away: next connection
                conn.settimeout(IO_TIMEOUT)
                self._serve(conn)

    def _serve(self, conn: socket.socket) -> None:
        state = ServerConnection(self.max_frame, self.methods)
        while not self.stop.is_set():
            if not select.select([conn], [], [], 0.05)[0]:
                continue
            output = state.receive_data(conn.recv(65536))
            if output:
                conn.sendall(output)
            if state.finished:
                return
            if state.closing:  # LPJ-LIMIT-4: half-close, then discard input for a bounded time
                conn.shutdown(socket.SHUT_WR)
                deadline = time.monotonic() + 1.0
                while time.monotonic() < deadline and select.select([conn], [], [], 0.05)[0]:
                    if not conn.recv(65536):
                        break
                return

    def close(self) -> None:
        self.stop.set()
        self.thread.join(IO_TIMEOUT)
        assert not self.thread.is_alive(), "echo server thread did not stop"
        self.listener.close()


Script = Callable[[socket.socket, "ScriptedServer"], None]


class ScriptedServer:
    """Accept one connection and run ``script(conn, server)`` on it; re-raise its failure at close."""

    def __init__(self, script: Script) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(IO_TIMEOUT)
        self.port = self.listener.getsockname()[1]
        self.address = f"127.0.0.1:{self.port}"
        self.release = threading.Event()  # scripts that hold the connection wait on it
        self.error: BaseException | None = None
        self.script = script
        self.thread = threading.Thread(target=self._run, name="scripted-server", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            conn, _ = self.listener.accept()
            with conn:
                conn.settimeout(IO_TIMEOUT)
                self.script(conn, self)
        except BaseException as exc:
            self.error = exc

    def close(self) -> None:
        self.release.set()
        self.thread.join(2 * IO_TIMEOUT)
        assert not self.thread.is_alive(), "scripted server thread did not stop"
        self.listener.close()
        if self.error is not None:
            raise self.error


def read_requests(conn: socket.socket, count: int) -> list[Request]:
    """Read exactly ``count`` request frames (the server side of the script)."""
    decoder, requests = FrameDecoder(), []
    while len(requests) < count:
        event = decoder.next_event()
        if event is NEED_DATA:
            data = conn.recv(65536)
            assert data, f"client closed after {len(requests)} of {count} requests"
            decoder.receive_data(data)
        else:
            assert type(event) is bytes, event
            requests.append(parse_request(event))
    return requests


def frame(message: Any) -> bytes:
    return encode_frame(message if isinstance(message, bytes) else json.dumps(message).encode())


def answer_with(*chunks: bytes, requests: int = 1, hold: bool = False) -> Script:
    """Read ``requests`` requests, send ``chunks``, then close (or hold the connection until released)."""

    def script(conn: socket.socket, server: ScriptedServer) -> None:
        read_requests(conn, requests)
        for chunk in chunks:
            conn.sendall(chunk)
        if hold:
            server.release.wait(IO_TIMEOUT)

    return script


@pytest.fixture
def echo_server() -> Iterator[EchoServer]:
    server = EchoServer()
    yield server
    server.close()


@pytest.fixture
def scripted() -> Iterator[Callable[[Script], ScriptedServer]]:
    servers: list[ScriptedServer] = []

    def start(script: Script) -> ScriptedServer:
        servers.append(ScriptedServer(script))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def client_for(server: EchoServer | ScriptedServer, timeout: float = IO_TIMEOUT, **kwargs: Any) -> Client:
    return Client("127.0.0.1", server.port, timeout=timeout, **kwargs)


def nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth - 1):
        value = [value]
    return value


def closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        return sock.getsockname()[1]


# --- happy paths -------------------------------------------------------------------------------


def test_call_and_ping_round_trip(echo_server: EchoServer) -> None:
    params = {"a": [1, 2.5, -0.0, None, True], "é": "日本 😀", "max": 2**53 - 1}
    with client_for(echo_server) as client:
        assert client.call("ping", params) == params
        assert client.ping(params) == params
        assert client.ping() is None
        assert client.call("x-double", 21) == 42


def test_call_many_pipelines_in_order_with_error_in_place(echo_server: EchoServer) -> None:
    calls = [("ping", i) for i in range(100)]
    calls[40] = ("nope", 40)
    with client_for(echo_server) as client:
        results = client.call_many(calls)
        assert client.call_many([]) == []
        assert client.ping("still usable") == "still usable"
    assert len(results) == 100
    assert isinstance(results[40], RemoteError) and results[40].code == -32601
    assert results[:40] + results[41:] == [i for i in range(100) if i != 40]


def test_call_many_sends_everything_before_any_answer(scripted) -> None:
    """The server reads all three requests before answering one: only a pipelining client gets answers."""

    def script(conn: socket.socket, server: ScriptedServer) -> None:
        requests = read_requests(conn, 3)
        assert [r.params for r in requests] == ["a", "b", "c"]
        error = {"out": "error", "result": {"code": -32000, "message": "b refused"}}
        conn.sendall(frame({"out": "pong", "result": "a"}) + frame(error) + frame({"out": "pong", "result": "c"}))

    server = scripted(script)
    with client_for(server, timeout=2.0) as client:
        a, b, c = client.call_many([("ping", "a"), ("ping", "b"), ("ping", "c")])
    assert (a, c) == ("a", "c")
    assert isinstance(b, RemoteError) and (b.code, b.message) == (-32000, "b refused")


def test_call_many_larger_than_socket_buffers_does_not_deadlock(echo_server: EchoServer) -> None:
    """~12 MB each way against a server that blocks on writing: the client must read while it sends."""
    payload = "x" * 400
    with client_for(echo_server, timeout=10.0) as client:
        results = client.call_many([("ping", payload)] * 30_000)
    assert len(results) == 30_000 and all(r == payload for r in results)


def test_response_delivered_one_byte_at_a_time(scripted) -> None:
    response = frame({"out": "pong", "result": "slowly"})

    def script(conn: socket.socket, server: ScriptedServer) -> None:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        read_requests(conn, 1)
        for byte in response:
            conn.sendall(bytes([byte]))
            time.sleep(0.002)

    with client_for(scripted(script)) as client:
        assert client.ping("slowly") == "slowly"


def test_unknown_members_are_ignored(scripted) -> None:
    """LPJ-RESP-2, in the response object and in the error object."""
    success = frame({"id": 7, "out": "pong", "result": [1], "meta": {"x": None}})
    error = frame({"out": "error", "result": {"code": -32601, "message": "no", "hint": "try ping"}, "id": 8})
    with client_for(scripted(answer_with(success + error, requests=2))) as client:
        first, second = client.call_many([("ping", [1]), ("nope", None)])
    assert first == [1]
    assert isinstance(second, RemoteError) and (second.code, second.message, second.data) == (-32601, "no", None)


def test_ipv6_loopback() -> None:
    try:
        server = EchoServer("::1")
    except OSError:
        pytest.skip("no IPv6 loopback")
    try:
        host, port = parse_address(server.address)
        with Client(host, port, timeout=IO_TIMEOUT) as client:
            assert client.address == f"[::1]:{port}"
            assert client.ping("v6") == "v6"
    finally:
        server.close()


# --- error responses ---------------------------------------------------------------------------


def test_remote_error_fields_and_connection_stays_usable(echo_server: EchoServer) -> None:
    with client_for(echo_server) as client:
        with pytest.raises(RemoteError) as caught:
            client.call("nope", [1])
        error = caught.value
        assert isinstance(error, ClientError)
        assert (error.code, error.out, error.data) == (-32601, "error", None)
        assert isinstance(error.message, str) and "nope" in error.message
        assert str(error) == f"error -32601: {error.message}"
        with pytest.raises(RemoteError) as caught:
            client.call("fail", None)
        assert caught.value.code == -32603
        assert client.ping(1) == 1


def test_remote_error_with_unknown_code_and_data(scripted) -> None:
    """LPJ-ERR-5: any code is an error, known or not."""
    error = {"out": "error", "result": {"code": 4242, "message": "teapot", "data": {"why": [1, 2]}}}
    with client_for(scripted(answer_with(frame(error)))) as client, pytest.raises(RemoteError) as caught:
        client.call("brew", None)
    assert (caught.value.code, caught.value.message, caught.value.data) == (4242, "teapot", {"why": [1, 2]})


def test_ping_answered_without_pong_is_a_violation(scripted) -> None:
    with client_for(scripted(answer_with(frame({"out": "pang", "result": 1})))) as client:
        with pytest.raises(ProtocolViolation, match="pang"):
            client.ping(1)
        assert client.closed


# --- malformed responses -----------------------------------------------------------------------

MALFORMED = {
    "zero-length frame": (b"\x00\x00\x00\x00", "zero-length"),
    "bad JSON": (frame(b"{nope"), "not valid JSON"),
    "invalid UTF-8": (frame(b'{"out":"pong","result":"\xff"}'), "not valid JSON"),
    "byte-order mark": (frame(b'\xef\xbb\xbf{"out":"pong","result":1}'), "not valid JSON"),
    "NaN": (frame(b'{"out":"pong","result":NaN}'), "not valid JSON"),
    "trailing garbage": (frame(b'{"out":"pong","result":1} x'), "not valid JSON"),
    "array": (frame([1, 2]), "an array, not a JSON object"),
    "string": (frame("pong"), "a string, not a JSON object"),
    "no out": (frame({"result": 1}), "no 'out'"),
    "no result": (frame({"out": "pong"}), "no 'result'"),
    "out not a string": (frame({"out": 1, "result": 1}), '"out" that is a number'),
    "error result not an object": (frame({"out": "error", "result": "bad"}), '"result" is a string'),
    "error without code": (frame({"out": "error", "result": {"message": "m"}}), '"code" is null'),
    "error code a string": (frame({"out": "error", "result": {"code": "1", "message": "m"}}), '"code" is a string'),
    "error code a float": (frame({"out": "error", "result": {"code": 1.5, "message": "m"}}), '"code" is a number'),
    "error code a boolean": (frame({"out": "error", "result": {"code": True, "message": "m"}}), "a boolean"),
    "error without message": (frame({"out": "error", "result": {"code": -1}}), '"message" is null'),
    "error message not a string": (frame({"out": "error", "result": {"code": -1, "message": 5}}), '"message" is a'),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_response_is_a_violation_and_closes(scripted, case: str) -> None:
    data, expected = MALFORMED[case]
    with client_for(scripted(answer_with(data, hold=True))) as client:
        with pytest.raises(ProtocolViolation, match=expected) as caught:
            client.call("ping", 1)
        assert isinstance(caught.value, ClientError)
        assert client.closed
        with pytest.raises(ConnectionClosed, match="earlier call failed"):
            client.call("ping", 1)


def test_oversized_announced_length_is_refused_without_waiting(scripted) -> None:
    with client_for(scripted(answer_with(b"\xff\xff\xff\xff", hold=True)), max_frame=1 << 20) as client:
        started = time.monotonic()
        with pytest.raises(ProtocolViolation, match="max_frame"):
            client.call("ping", 1)
        assert time.monotonic() - started < 2


def test_unsolicited_frame_is_a_violation(scripted) -> None:
    """LPJ-RESP-3 binds the server; the client notices rather than mismatching later answers."""
    answers = frame({"out": "pong", "result": 1}) + frame({"out": "pong", "result": "extra"})
    with client_for(scripted(answer_with(answers, hold=True))) as client:
        assert client.ping(1) == 1
        with pytest.raises(ProtocolViolation, match="answer no request"):
            client.ping(2)


# --- closed connections ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        (b"", "closed the connection before any byte of the response"),
        (b"\x10\x00", "after 2 of the 4 length-prefix bytes of the response"),
        (b'\x10\x00\x00\x00{"o', "after 7 bytes of the response \\(the length prefix and 3 body bytes\\)"),
    ],
)
def test_server_closes_mid_response(scripted, sent: bytes, expected: str) -> None:
    with client_for(scripted(answer_with(sent))) as client:
        with pytest.raises(ConnectionClosed, match=expected) as caught:
            client.call("ping", 1)
        assert isinstance(caught.value, ClientError)
        assert client.closed


def test_call_many_reports_which_response_and_what_arrived(scripted) -> None:
    answers = frame({"out": "pong", "result": 1}) + frame({"out": "error", "result": {"code": 9, "message": "m"}})
    client = client_for(scripted(answer_with(answers, requests=3)))
    with client, pytest.raises(ConnectionClosed, match="before any byte of response 3 of 3") as caught:
        client.call_many([("ping", 1), ("ping", 2), ("ping", 3)])
    first, second = caught.value.received
    assert first == 1 and isinstance(second, RemoteError) and second.code == 9


def test_connection_reset(scripted) -> None:
    def script(conn: socket.socket, server: ScriptedServer) -> None:
        read_requests(conn, 1)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    with client_for(scripted(script)) as client, pytest.raises(ConnectionClosed):
        client.call("ping", 1)


def test_server_closed_idle_connection(scripted) -> None:
    with client_for(scripted(answer_with(frame({"out": "pong", "result": 1})))) as client:
        assert client.ping(1) == 1
        # "closed" if the end of file arrived first, "reset" if the request reached the closed socket
        with pytest.raises(ConnectionClosed, match=r"closed|reset"):
            client.ping(2)


def test_oversized_request_gets_error_or_close(echo_server: EchoServer) -> None:
    """LPJ-LIMIT-5: -32600 then end of file, or end of file / reset without it; never a hang."""
    small_limit = EchoServer(max_frame=MIN_FRAME_LIMIT)
    try:
        with client_for(small_limit) as client:
            with pytest.raises((RemoteError, ConnectionClosed)) as caught:
                client.call("ping", "x" * (2 * MIN_FRAME_LIMIT))
            if isinstance(caught.value, RemoteError):
                assert caught.value.code == -32600
            with pytest.raises(ConnectionClosed):
                client.ping(1)
    finally:
        small_limit.close()


def test_server_that_closes_without_reading_an_oversized_request(scripted) -> None:
    def script(conn: socket.socket, server: ScriptedServer) -> None:
        conn.recv(4)  # the length prefix only; closing with unread data resets the connection

    with client_for(scripted(script)) as client, pytest.raises(ConnectionClosed):
        client.call("ping", "x" * (8 << 20))


def test_calls_after_close_raise(echo_server: EchoServer) -> None:
    with client_for(echo_server) as client:
        assert repr(client).endswith("open>")
    assert client.closed and repr(client).endswith("closed>")
    client.close()
    with pytest.raises(ConnectionClosed, match="the client closed it"):
        client.ping(1)


# --- timeouts ----------------------------------------------------------------------------------


def test_timeout_when_the_server_never_answers(scripted) -> None:
    with client_for(scripted(answer_with(hold=True)), timeout=0.3) as client:
        started = time.monotonic()
        with pytest.raises(ClientTimeout, match=r"timed out after 0.3 s waiting for the response") as caught:
            client.call("ping", 1)
        assert 0.25 < time.monotonic() - started < 3
        assert isinstance(caught.value, TimeoutError) and isinstance(caught.value, ClientError)
        assert client.closed  # a late answer must not be taken for the next request's


def test_timeout_is_a_deadline_not_an_idle_limit(scripted) -> None:
    """A server trickling one byte per 50 ms cannot stall a call past its timeout."""

    def script(conn: socket.socket, server: ScriptedServer) -> None:
        read_requests(conn, 1)
        conn.sendall(struct.pack("<I", 200))
        for _ in range(200):
            if server.release.is_set():
                return
            try:
                conn.sendall(b" ")
            except OSError:
                return
            time.sleep(0.05)

    with client_for(scripted(script), timeout=0.5) as client:
        started = time.monotonic()
        with pytest.raises(ClientTimeout, match="bytes of it received"):
            client.call("ping", 1)
        assert time.monotonic() - started < 3


def test_connection_refused() -> None:
    port = closed_port()
    with pytest.raises(ConnectFailed) as caught:
        Client("127.0.0.1", port, timeout=IO_TIMEOUT)
    assert str(caught.value) == f"cannot connect to 127.0.0.1:{port}: connection refused"
    assert isinstance(caught.value, ClientError) and isinstance(caught.value, ConnectionError)


@pytest.mark.parametrize("timeout", [0, -1, math.nan])
def test_bad_timeout(timeout: float) -> None:
    with pytest.raises(ValueError, match="timeout"):
        Client("127.0.0.1", 1, timeout=timeout)


# --- what the client refuses to send -----------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "params", "error"),
    [
        ("ping", math.nan, ValueError),
        ("ping", [math.inf], ValueError),
        ("ping", "\ud800", ValueError),
        ("", None, ValueError),
        (None, None, ValueError),
        ("ping", object(), TypeError),
        ("ping", nested(5000), ValueError),
    ],
)
def test_unsendable_requests_are_refused_before_any_io(echo_server: EchoServer, method, params, error) -> None:
    with client_for(echo_server) as client:
        with pytest.raises(error):
            client.call(method, params)
        with pytest.raises(error):
            client.call_many([("ping", 1), (method, params)])
        assert client.ping("fine") == "fine"


def test_encode_request_is_one_frame() -> None:
    data = encode_request("ping", {"n": 2**70})
    (length,) = struct.unpack_from("<I", data)
    assert length == len(data) - 4
    assert json.loads(data[4:]) == {"in": "ping", "params": {"n": 2**70}}


# --- parse_address -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:8080", ("127.0.0.1", 8080)),
        ("localhost:1", ("localhost", 1)),
        ("example.com:65535", ("example.com", 65535)),
        ("[::1]:9000", ("::1", 9000)),
        ("[fe80::1%lo]:80", ("fe80::1%lo", 80)),
    ],
)
def test_parse_address(text: str, expected: tuple[str, int]) -> None:
    assert parse_address(text) == expected
    assert format_address(*expected) == text


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "missing ':PORT'"),
        ("localhost", "missing ':PORT'"),
        ("localhost:", "missing port"),
        (":8080", "missing host"),
        ("host:http", "not a number"),
        ("host:+80", "not a number"),
        ("host: 80", "not a number"),
        ("host:0", "outside 1-65535"),
        ("host:65536", "outside 1-65535"),
        ("::1:8080", "must be in brackets"),
        ("[::1]", "missing ':PORT'"),
        ("[::1]8080", "missing ':PORT'"),
        ("[::1:8080", "missing ']'"),
        ("[127.0.0.1]:80", "not an IPv6 address"),
    ],
)
def test_parse_address_rejects(text: str, why: str) -> None:
    with pytest.raises(ValueError, match="invalid address") as caught:
        parse_address(text)
    assert why in str(caught.value)
    assert "expected HOST:PORT" in str(caught.value)


# --- the command line --------------------------------------------------------------------------


def lpj(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reference", *args], capture_output=True, text=True, cwd=ROOT, timeout=60
    )


def assert_one_line(stderr: str, prefix: str) -> None:
    assert "Traceback" not in stderr
    assert stderr.count("\n") == 1 and stderr.startswith(prefix), stderr


def test_cli_call_success(echo_server: EchoServer) -> None:
    done = lpj("call", echo_server.address, "ping", '{"a": [1, "é"], "big": 9007199254740991}')
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"a": [1, "é"], "big": 9007199254740991}
    assert "round trip" in done.stderr and " ms" in done.stderr
    done = lpj("call", echo_server.address, "ping")
    assert (done.returncode, done.stdout) == (0, "null\n")


def test_cli_call_error_response(echo_server: EchoServer) -> None:
    done = lpj("call", echo_server.address, "nope", "[]")
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith("error -32601: ") and "Traceback" not in done.stderr


@pytest.mark.parametrize("address", ["localhost", "127.0.0.1:http", "::1:80", "host:0", "[::1"])
def test_cli_bad_address(address: str) -> None:
    done = lpj("call", address, "ping")
    assert done.returncode == 2
    assert_one_line(done.stderr, "lpj call: invalid address")


@pytest.mark.parametrize("params", ["{bad", "NaN", "[1] [2]", "", '"\\ud800"', "[" * 5000 + "]" * 5000])
def test_cli_bad_params(echo_server: EchoServer, params: str) -> None:
    done = lpj("call", echo_server.address, "ping", params)
    assert done.returncode == 2
    assert_one_line(done.stderr, "lpj call: ")
    done = lpj("ping", echo_server.address, params)
    assert done.returncode == 2
    assert_one_line(done.stderr, "lpj ping: ")


@pytest.mark.parametrize("command", ["call", "ping"])
def test_cli_unreachable(command: str) -> None:
    port = closed_port()
    done = lpj(command, f"127.0.0.1:{port}", *(["ping"] if command == "call" else []))
    assert done.returncode == 1
    assert done.stderr == f"lpj {command}: cannot connect to 127.0.0.1:{port}: connection refused\n"


def test_cli_call_timeout(scripted) -> None:
    server = scripted(answer_with(hold=True))
    done = lpj("call", server.address, "ping", "--timeout", "0.3")
    assert done.returncode == 1
    assert_one_line(done.stderr, "lpj call: timed out after 0.3 s")


def test_cli_ping_series(echo_server: EchoServer) -> None:
    done = lpj("ping", echo_server.address, "--count", "3", "--interval", "0")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    for seq, line in enumerate(lines[:3], 1):
        assert line.startswith(f"pong from {echo_server.address}: seq={seq} result={seq} time=")
        assert line.endswith(" ms")
    assert lines[3] == f"--- {echo_server.address} ping statistics ---"
    assert lines[4] == "3 sent, 3 ponged, 0 failed"
    assert lines[5].startswith("round trip min/avg/max = ")
    assert len(lines) == 6


def test_cli_ping_with_params(echo_server: EchoServer) -> None:
    done = lpj("ping", echo_server.address, '"hello"', "-c", "2", "-i", "0.01")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count('result="hello"') == 2


def test_cli_ping_server_without_ping() -> None:
    server = EchoServer(methods={})
    try:
        done = lpj("ping", server.address, "-c", "2", "-i", "0")
    finally:
        server.close()
    assert done.returncode == 1
    assert done.stdout.count("error -32601") == 2
    assert "2 sent, 0 ponged, 2 failed" in done.stdout


@pytest.mark.parametrize("option", [["--count", "-1"], ["--interval", "x"], ["--timeout", "0"]])
def test_cli_ping_bad_option(echo_server: EchoServer, option: list[str]) -> None:
    done = lpj("ping", echo_server.address, *option)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("lpj ping: ") and len(done.stderr.strip().splitlines()) == 1


def test_cli_help_lists_commands_and_defaults() -> None:
    done = lpj("--help")
    assert done.returncode == 0 and "call" in done.stdout and "ping" in done.stdout
    done = lpj("ping", "--help")
    assert done.returncode == 0
    assert "(default: 1)" in done.stdout and "exit status" in done.stdout
