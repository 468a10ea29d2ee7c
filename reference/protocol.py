"""The LPJ-RPC/1 protocol core: bytes in, bytes out, no I/O.

Every server model in :mod:`reference.servers` is a thin I/O loop around
:class:`ServerConnection`: it feeds whatever bytes ``recv`` returned (``b""`` at
end of file) and writes back whatever bytes come out.  Framing, JSON, request
validation and dispatch live here once, so six concurrency models cannot
disagree about the protocol.  This module never imports ``socket``; a test
holds it to that.

Layers, each usable on its own:

* :class:`FrameDecoder` turns a byte stream into frame bodies (or framing
  errors), in the style of h11: ``receive_data`` then ``next_event``.
* :func:`parse_request` turns one body into a :class:`Request` or raises
  :class:`ProtocolError` carrying its JSON-RPC code.
* :func:`dispatch` is a pure function from request to response object.
* :func:`encode_frame` / :func:`encode_response` turn responses into bytes.

Requirement IDs (``LPJ-...``) refer to ``spec/SPEC.md``.
"""

from __future__ import annotations

import json
import logging
import struct
from collections.abc import Callable, Iterator
from typing import Any, Final, NamedTuple, TypeAlias

import orjson

log = logging.getLogger(__name__)

Body: TypeAlias = bytes | bytearray | memoryview  # what the core accepts as bytes from the peer

HEADER: Final = struct.Struct("<I")  # LPJ-FRAME-2: little-endian, unsigned 32-bit
MIN_FRAME_LIMIT: Final = 1 << 20  # LPJ-LIMIT-1: every server accepts 1 MiB bodies
MAX_FRAME_LIMIT: Final = (1 << 31) - 1  # LPJ-LIMIT-2: finite and below 2^31
DEFAULT_FRAME_LIMIT: Final = 8 << 20
IDLE_FLOOR_SECONDS: Final = 30.0  # LPJ-CONN-3

PARSE_ERROR: Final = -32700
INVALID_REQUEST: Final = -32600
METHOD_NOT_FOUND: Final = -32601
INTERNAL_ERROR: Final = -32603


class ProtocolError(Exception):
    """The peer broke the protocol: answer with ``code``; ``close`` after it if set."""

    def __init__(self, code: int, message: str, *, close: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.close = close

    def response(self) -> dict[str, Any]:
        return error_response(self.code, self.message)


class Request(NamedTuple):
    method: str
    params: Any


class _NeedData:
    def __repr__(self) -> str:
        return "NEED_DATA"


class _Closed:
    def __repr__(self) -> str:
        return "CLOSED"


NEED_DATA: Final = _NeedData()
"""``next_event`` result: no complete frame buffered; feed more bytes."""
CLOSED: Final = _Closed()
"""``next_event`` result: end of file; any partial frame was discarded (LPJ-CONN-2)."""


def check_frame_limit(max_frame: int) -> int:
    """Return ``max_frame`` if the spec allows it as a server's limit, else raise ValueError."""
    if not MIN_FRAME_LIMIT <= max_frame <= MAX_FRAME_LIMIT:
        raise ValueError(f"frame limit must be between {MIN_FRAME_LIMIT} and {MAX_FRAME_LIMIT} bytes, got {max_frame}")
    return max_frame


class FrameDecoder:
    """Incremental decoder of length-prefixed frames.

    ``next_event`` returns a frame body (``bytes``), a :class:`ProtocolError`
    for a frame that cannot be read (zero length; too large, which poisons the
    stream), :data:`NEED_DATA` or :data:`CLOSED`.  :meth:`frames` yields every
    complete frame at once, for a server's hot path.
    """

    __slots__ = ("_buffer", "_eof", "_failed", "_start", "max_frame")

    def __init__(self, max_frame: int = DEFAULT_FRAME_LIMIT) -> None:
        self.max_frame = max_frame
        self._buffer = bytearray()
        self._start = 0  # frames before this offset are consumed; trimmed once per receive_data
        self._eof = False
        self._failed = False

    @property
    def buffered(self) -> int:
        """Bytes received but not yet returned as frames."""
        return len(self._buffer) - self._start

    def receive_data(self, data: Body) -> None:
        """Feed bytes from the peer; ``b""`` means end of file."""
        if self._eof:
            raise RuntimeError("receive_data after end of file")
        if not data:
            self._eof = True
        elif not self._failed:
            if self._start:
                del self._buffer[: self._start]
                self._start = 0
            self._buffer += data

    def frames(self, limit: int = -1) -> Iterator[bytes | ProtocolError]:
        """Yield up to ``limit`` complete frame bodies (all if negative), or framing errors."""
        buffer, start, size = self._buffer, self._start, len(self._buffer)
        try:
            while limit and size - start >= 4 and not self._failed:
                (length,) = HEADER.unpack_from(buffer, start)
                if length == 0:
                    start += 4
                    yield ProtocolError(INVALID_REQUEST, "invalid request: zero-length frame")
                elif length > self.max_frame:
                    self._failed = True
                    buffer.clear()
                    start = size = 0
                    yield ProtocolError(
                        INVALID_REQUEST,
                        f"invalid request: frame too large ({length} bytes, limit {self.max_frame})",
                        close=True,
                    )
                elif size - start - 4 >= length:
                    body = bytes(buffer[start + 4 : start + 4 + length])
                    start += 4 + length
                    yield body
                else:
                    break
                limit -= 1
        finally:
            self._start = start

    def whole_frame(self, data: Body) -> memoryview | None:
        """The body of ``data`` if ``data`` is exactly one acceptable frame and nothing
        is buffered, without copying or buffering it; else None (feed it with
        :meth:`receive_data`).  A server's hot path: most reads hold one request."""
        if len(data) > 4 and len(self._buffer) == self._start and not (self._eof or self._failed):
            (length,) = HEADER.unpack_from(data)
            if length == len(data) - 4 and length <= self.max_frame:
                return memoryview(data)[4:]
        return None

    def next_event(self) -> bytes | ProtocolError | _NeedData | _Closed:
        for event in self.frames(limit=1):
            return event
        return CLOSED if self._eof else NEED_DATA


def loads(body: Body) -> Any:
    """Decode one JSON body strictly (LPJ-JSON-1/3): UTF-8, one value, no NaN, no BOM."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ProtocolError(PARSE_ERROR, f"parse error: {exc}") from None


def dumps(value: Any) -> bytes:
    """Encode a response body as compact UTF-8 JSON; ValueError if it cannot be encoded."""
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        # orjson refuses nesting deeper than 254 levels that its own decoder
        # accepted (up to 1024); the standard library goes deeper.
        try:
            return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
        except RecursionError:
            raise ValueError("value nested too deeply to encode") from None


def parse_request(body: Body) -> Request:
    """Validate one frame body as a request (LPJ-REQ-1..5), or raise ProtocolError."""
    return validate_request(loads(body))


def validate_request(message: Any) -> Request:
    """Check a decoded body is a request (LPJ-REQ-2..4), or raise ProtocolError."""
    if type(message) is not dict:
        raise ProtocolError(INVALID_REQUEST, "invalid request: body is not a JSON object")
    method = message.get("in")
    if type(method) is not str or not method:
        raise ProtocolError(INVALID_REQUEST, 'invalid request: "in" must be a non-empty string')
    if "params" not in message:
        raise ProtocolError(INVALID_REQUEST, 'invalid request: "params" is missing')
    return Request(method, message["params"])


Handler = Callable[[Any], Any]


class Method(NamedTuple):
    out: str
    handler: Handler


def ping(params: Any) -> Any:
    """LPJ-PING-1: the result is the params, unchanged."""
    return params


METHODS: Final[dict[str, Method]] = {"ping": Method("pong", ping)}


def error_response(code: int, message: str) -> dict[str, Any]:
    return {"out": "error", "result": {"code": code, "message": message}}


def dispatch(request: Request, methods: dict[str, Method] = METHODS) -> dict[str, Any]:
    """Answer one valid request: a pure function of the request and the method table."""
    method = methods.get(request.method)
    if method is None:
        return error_response(METHOD_NOT_FOUND, f"method not found: {request.method!r}")
    try:
        result = method.handler(request.params)
    except Exception as exc:  # LPJ-ERR-3: a failing handler must not take the server down
        log.exception("method %r failed", request.method)
        return error_response(INTERNAL_ERROR, f"internal error: {type(exc).__name__}")
    return {"out": method.out, "result": result}


def encode_frame(body: bytes) -> bytes:
    return HEADER.pack(len(body)) + body


def encode_response(response: dict[str, Any]) -> bytes:
    """Frame a response; one that cannot be encoded becomes an error response (LPJ-JSON-5)."""
    try:
        return encode_frame(dumps(response))
    except ValueError as exc:
        return encode_frame(dumps(error_response(INVALID_REQUEST, f"invalid request: {exc}")))


def encode_request(method: str, params: Any) -> bytes:
    return encode_frame(dumps({"in": method, "params": params}))


def answer(body: Body, methods: dict[str, Method] = METHODS) -> dict[str, Any]:
    """The response object for one frame body: parse, validate, dispatch."""
    try:
        request = parse_request(body)
    except ProtocolError as error:
        return error.response()
    return dispatch(request, methods)


class ServerConnection:
    """One connection's protocol state, server side.

    Feed it what ``recv`` returned; send what it returns.  After sending, close
    the connection if :attr:`closing` (frame too large: close gracefully, see
    LPJ-LIMIT-4) or :attr:`finished` (the peer's end of file, LPJ-CONN-1).
    """

    __slots__ = ("_answer", "_decoder", "closing", "finished")

    def __init__(self, max_frame: int = DEFAULT_FRAME_LIMIT, methods: dict[str, Method] = METHODS) -> None:
        self._decoder = FrameDecoder(max_frame)
        # One frame body -> one framed response; the standard table has a faster path.
        self._answer: Callable[[Body], bytes] = (
            _answer_fast if methods is METHODS else lambda body: encode_response(answer(body, methods))
        )
        self.closing = False
        self.finished = False

    @property
    def buffered(self) -> int:
        """Bytes of a frame received in part; 0 between frames (nothing in flight)."""
        return self._decoder.buffered

    def receive_data(self, data: Body) -> bytes:
        """Consume bytes (``b""`` at end of file); return every response now due, framed."""
        if self.closing or self.finished:
            return b""
        decoder = self._decoder
        body = decoder.whole_frame(data)
        if body is not None:
            return self._answer(body)
        decoder.receive_data(data)
        out: list[bytes] = []
        for event in decoder.frames():
            if type(event) is bytes:
                out.append(self._answer(event))
            else:
                assert isinstance(event, ProtocolError)
                out.append(encode_response(event.response()))
                if event.close:
                    self.closing = True
        if not data:
            self.finished = True  # a partial frame left in the decoder is discarded (LPJ-CONN-2)
        return b"".join(out)


_PONG_HEAD: Final = b'{"out":"pong","result":'
_PONG_OVERHEAD: Final = len(_PONG_HEAD) + 1


def _answer_fast(body: Body) -> bytes:
    """The hot path for the standard method table: a valid ping is answered
    without building request or response objects; anything else takes the
    general path.  Either way one loads and one dumps per request."""
    try:
        message = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        return encode_response(error_response(PARSE_ERROR, f"parse error: {exc}"))
    if type(message) is dict and message.get("in") == "ping" and "params" in message:
        try:
            result = orjson.dumps(message["params"])
        except orjson.JSONEncodeError:
            pass  # nested too deep for orjson: encode_response below knows what to do
        else:
            return b"".join((HEADER.pack(len(result) + _PONG_OVERHEAD), _PONG_HEAD, result, b"}"))
    try:
        response = dispatch(validate_request(message))
    except ProtocolError as error:
        response = error.response()
    return encode_response(response)
