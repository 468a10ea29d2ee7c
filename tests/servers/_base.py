"""A small, correct, threaded LPJ-RPC/1 server, written to be subclassed.

This is the common ancestor of the server zoo in this directory, used to
self-test the conformance kit. It is deliberately independent of the
project's ``reference`` and ``conformance`` packages (stdlib only), so the kit
is tested against code it shares nothing with.

One ``LPJHandler`` instance serves one connection, in its own daemon thread
(``socketserver.ThreadingTCPServer``). The connection loop is synchronous:
read one frame, answer it, read the next. That alone gives responses in
request order, pipelining (unread frames wait in the kernel), and "answer every
complete request before closing on end of file".

Each step a broken server may get wrong is a method or class attribute:

    recv_chunk / read_exact     how bytes are taken off the socket
    read_prefix / decode_length / read_body / read_frame     framing in
    max_frame / frame_too_large / close_gracefully            the frame limit
    handle_frame / parse_body / validate_request / max_depth  checking a body
    methods / lookup_method / dispatch / method_not_found / do_ping
    reply / error                                             response objects
    encode_response / encode_length / frame / write_response / send_bytes
    on_connect / on_eof / on_reset / on_idle_timeout / idle_timeout

Every server file ends with ``if __name__ == "__main__": run(Handler)`` and is
started as ``python tests/servers/NAME.py PORT`` (PORT may be 0). It binds
127.0.0.1, writes one line ``listening on 127.0.0.1:<port>`` to stderr, and
exits 0 on SIGTERM or SIGINT.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import signal
import socket
import socketserver
import struct
import sys
import threading
import time
from typing import Any, ClassVar

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INTERNAL_ERROR = -32603

MiB = 1024 * 1024

log = logging.getLogger("lpj-zoo")

# A peer that goes away is not an error worth a traceback.
EXPECTED_DISCONNECTS = (BrokenPipeError, ConnectionAbortedError)


class ParseError(Exception):
    """The body is not UTF-8 JSON (answered with -32700)."""


class FrameTooLarge(Exception):
    def __init__(self, length: int) -> None:
        super().__init__(f"frame of {length} bytes is over the limit")
        self.length = length


class CloseConnection(Exception):
    """Raised by a hook to end the connection quietly, without answering."""


def refuse_constant(name: str) -> Any:
    """json.loads parse_constant hook: NaN, Infinity and -Infinity are not JSON."""
    raise ValueError(f"{name} is not JSON")


def finite_float(text: str) -> float:
    """json.loads parse_float hook: 1e400 is refused rather than read as infinity."""
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number {text[:40]} is beyond the double range")
    return value


def nesting_depth(value: Any) -> int:
    """Depth of nested arrays/objects: 0 for a scalar, 1 for [] or [1], 2 for [[1]]."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest


class LPJHandler(socketserver.BaseRequestHandler):
    """Serves one connection. Subclass and override one thing to break it."""

    max_frame = 16 * MiB  # largest accepted L; the spec wants >= 1 MiB and < 2**31
    max_depth = 256  # deeper params get -32600 (the spec wants at least 64 to work)
    idle_timeout: float | None = None  # None: never close an idle connection
    drain_seconds = 1.0  # how long to discard input after frame-too-large
    recv_size = 65536
    methods: ClassVar[dict[str, str]] = {"ping": "do_ping"}  # method name -> handler attribute

    # -- connection life cycle -------------------------------------------------

    def setup(self) -> None:
        self.sock: socket.socket = self.request
        self.rbuf = bytearray()  # bytes received but not yet consumed
        self.reading_body = False
        self.sock.settimeout(self.idle_timeout)
        with contextlib.suppress(OSError):  # the peer may already be gone
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle(self) -> None:
        try:
            self.on_connect()
            self.serve()
        except CloseConnection:
            pass
        except TimeoutError:
            self.on_idle_timeout()
        except ConnectionResetError as exc:
            self.on_reset(exc)
        except EXPECTED_DISCONNECTS as exc:
            log.debug("%s: peer went away (%s)", self.client_address, exc)

    def finish(self) -> None:
        self.rbuf.clear()

    def serve(self) -> None:
        while True:
            try:
                body = self.read_frame()
            except FrameTooLarge as exc:
                self.frame_too_large(exc.length)
                return
            if body is None:
                self.on_eof()
                return
            self.write_response(self.handle_frame(body))

    @property
    def mid_frame(self) -> bool:
        """True while part of a frame has been received but not all of it."""
        return self.reading_body or bool(self.rbuf)

    def on_connect(self) -> None:
        pass

    def on_eof(self) -> None:
        if self.rbuf or self.reading_body:
            log.debug("%s: end of file mid-frame; partial frame discarded", self.client_address)

    def on_reset(self, exc: ConnectionResetError) -> None:
        log.debug("%s: connection reset (%s)", self.client_address, exc)

    def on_idle_timeout(self) -> None:
        log.info("%s: idle for %s s, closing", self.client_address, self.idle_timeout)

    # -- reading frames --------------------------------------------------------

    def recv_chunk(self, want: int) -> bytes:
        """One recv; may return fewer bytes than wanted, b"" at end of file."""
        return self.sock.recv(min(want, self.recv_size))

    def read_exact(self, n: int) -> bytes | None:
        """Exactly n bytes, or None if end of file comes first (the partial data is kept in rbuf)."""
        while len(self.rbuf) < n:
            chunk = self.recv_chunk(n - len(self.rbuf))
            if not chunk:
                return None
            self.rbuf += chunk
        data = bytes(self.rbuf[:n])
        del self.rbuf[:n]
        return data

    def read_prefix(self) -> bytes | None:
        return self.read_exact(4)

    def decode_length(self, prefix: bytes) -> int:
        return struct.unpack("<I", prefix)[0]

    def read_body(self, length: int) -> bytes | None:
        return self.read_exact(length)

    def read_frame(self) -> bytes | None:
        """The next frame's body (b"" for L = 0), or None at end of file."""
        prefix = self.read_prefix()
        if prefix is None:
            return None
        length = self.decode_length(prefix)
        if length > self.max_frame:
            raise FrameTooLarge(length)
        self.reading_body = True
        body = self.read_body(length)
        if body is not None:
            self.reading_body = False
        return body

    def frame_too_large(self, length: int) -> None:
        """Answer -32600 without reading the body, then close the connection gracefully."""
        log.info("%s: L = %d is over the limit of %d", self.client_address, length, self.max_frame)
        self.write_response(self.error(INVALID_REQUEST, f"frame too large: {length} > {self.max_frame} bytes"))
        self.close_gracefully()

    def close_gracefully(self) -> None:
        """Shut down the write side, discard input for a bounded time, so that
        the kernel does not reset the connection and destroy the last response."""
        try:
            self.sock.shutdown(socket.SHUT_WR)
            deadline = time.monotonic() + self.drain_seconds
            while (left := deadline - time.monotonic()) > 0:
                self.sock.settimeout(left)
                if not self.sock.recv(self.recv_size):
                    break
        except OSError:  # includes the drain timeout
            pass

    # -- checking a body and dispatching --------------------------------------

    def handle_frame(self, body: bytes) -> dict[str, Any]:
        """The response object for one well-framed body."""
        if not body:
            return self.error(INVALID_REQUEST, "empty frame (L = 0)")
        try:
            request = self.parse_body(body)
        except ParseError as exc:
            return self.error(PARSE_ERROR, f"parse error: {exc}")
        problem = self.validate_request(request)
        if problem:
            return self.error(INVALID_REQUEST, f"invalid request: {problem}")
        return self.dispatch(request["in"], request["params"])

    def parse_body(self, body: bytes) -> Any:
        """Strict: UTF-8 (no BOM), exactly one JSON value, no NaN/Infinity."""
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ParseError(f"body is not UTF-8 ({exc.reason} at byte {exc.start})") from None
        try:
            return json.loads(text, parse_constant=refuse_constant, parse_float=finite_float)
        except RecursionError:
            raise ParseError("nesting too deep to parse") from None
        except ValueError as exc:  # JSONDecodeError, the hooks above, too many digits
            raise ParseError(str(exc)) from None

    def validate_request(self, request: Any) -> str | None:
        """None for a valid request, else what is wrong with it."""
        if not isinstance(request, dict):
            return f"body is a JSON {type(request).__name__}, not an object"
        if "in" not in request:
            return 'member "in" is missing'
        if not isinstance(request["in"], str):
            return 'member "in" is not a string'
        if not request["in"]:
            return 'member "in" is empty'
        if "params" not in request:
            return 'member "params" is missing'
        if nesting_depth(request["params"]) > self.max_depth:
            return f"params nested deeper than {self.max_depth}"
        return None

    def lookup_method(self, name: str):
        attribute = self.methods.get(name)
        return getattr(self, attribute) if attribute else None

    def dispatch(self, method: str, params: Any) -> dict[str, Any]:
        handler = self.lookup_method(method)
        if handler is None:
            return self.method_not_found(method)
        try:
            return handler(params)
        except Exception:
            log.exception("method %r failed", method)
            return self.error(INTERNAL_ERROR, "internal error")

    def method_not_found(self, method: str) -> dict[str, Any]:
        return self.error(METHOD_NOT_FOUND, f"unknown method {method!r}")

    def do_ping(self, params: Any) -> dict[str, Any]:
        return self.reply("pong", params)

    # -- responses -------------------------------------------------------------

    def reply(self, out: str, result: Any) -> dict[str, Any]:
        return {"out": out, "result": result}

    def error(self, code: int, message: str) -> dict[str, Any]:
        return self.reply("error", {"code": code, "message": message})

    def encode_response(self, response: dict[str, Any]) -> bytes:
        try:
            text = json.dumps(response, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
            return text.encode("utf-8")
        except UnicodeEncodeError:
            # A lone surrogate ("\ud800" in the request) has no UTF-8 form: send it escaped.
            return json.dumps(response, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")

    def encode_length(self, length: int) -> bytes:
        return struct.pack("<I", length)

    def frame(self, body: bytes) -> bytes:
        return self.encode_length(len(body)) + body

    def write_response(self, response: dict[str, Any]) -> None:
        self.send_bytes(self.frame(self.encode_response(response)))

    def send_bytes(self, data: bytes) -> None:
        self.sock.sendall(data)


class ServerOptions:
    """Settings shared by every server class of the zoo (mix in before a socketserver class)."""

    allow_reuse_address = True
    request_queue_size = 128  # many short connections at once must not overflow the backlog
    daemon_threads = True  # so SIGTERM never waits for a connection

    def handle_error(self, request, client_address) -> None:
        log.error("handler for %s crashed", client_address, exc_info=True)


class LPJServer(ServerOptions, socketserver.ThreadingTCPServer):
    """A thread per connection, unbounded."""


def run(handler_cls: type[LPJHandler], server_cls: type[socketserver.TCPServer] = LPJServer) -> None:
    """Entry point of every server file: ``python NAME.py PORT``."""
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        sys.stderr.write(f"usage: {os.path.basename(sys.argv[0])} PORT\n")
        sys.exit(2)
    logging.basicConfig(
        level=os.environ.get("LPJ_ZOO_LOG", "WARNING").upper(),
        format=f"{os.path.basename(sys.argv[0])}: %(levelname)s %(message)s",
    )
    # Block SIGTERM/SIGINT before any thread starts (threads inherit the mask) and wait for them
    # with sigwait: no handler runs at an awkward moment, and the wait ends as soon as one arrives.
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)

    server = server_cls(("127.0.0.1", int(sys.argv[1])), handler_cls)
    sys.stderr.write(f"listening on 127.0.0.1:{server.server_address[1]}\n")
    sys.stderr.flush()
    threading.Thread(target=server.serve_forever, name="accept", daemon=True).start()
    signal.sigwait(stop_signals)
    log.info("signal received, exiting")
    server.server_close()
    logging.shutdown()
    sys.stderr.flush()
    # Connection threads may sit in a blocking recv; _exit ends them at once.
    os._exit(0)


if __name__ == "__main__":
    run(LPJHandler)
