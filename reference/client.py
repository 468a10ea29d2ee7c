"""A blocking LPJ-RPC/1 client: one TCP connection, responses matched by order.

    with Client("127.0.0.1", 8080) as client:
        client.ping("hello")                          # -> "hello"
        client.call("ping", [1, 2])                   # -> [1, 2]
        client.call_many([("ping", 1), ("nope", 2)])  # -> [1, RemoteError(-32601, ...)]

Framing and strict JSON decoding come from the sans-IO core
(:mod:`reference.protocol`); this module only moves bytes and turns what comes
back into results or exceptions.

Errors.  Everything raised here derives from :class:`ClientError`, so one
``except ClientError`` covers every way a call can fail::

    ClientError
    ├── RemoteError         the server answered "out": "error" (any code, LPJ-ERR-5);
    │                       the connection stays usable
    ├── ConnectFailed       the connection could not be opened (also a ConnectionError)
    │   └── ConnectTimeout  ... because connecting timed out (also a ClientTimeout)
    ├── ClientTimeout       no complete response in time (also a TimeoutError)
    ├── ConnectionClosed    the server closed or reset the connection (also a ConnectionError)
    └── ProtocolViolation   the server sent something that is not an LPJ-RPC/1 response

After any error except :class:`RemoteError` the stream can no longer be trusted
to line responses up with requests (LPJ-ORDER-4: a late answer to a timed-out
request would be taken for the answer to the next one), so the client closes
the connection and every later call raises :class:`ConnectionClosed`.

Timeouts.  ``timeout`` bounds connecting, and then each response: the whole of
response *i* must arrive within ``timeout`` seconds of response *i - 1* (the
first: of the start of the call, sending included).  A server that trickles one
byte at a time therefore cannot stall a call for longer than that.

A :class:`Client` is not thread-safe: use one per thread.
"""

from __future__ import annotations

import ipaddress
import json
import selectors
import socket
import time
from collections.abc import Iterable, Sequence
from typing import Any, Final, NamedTuple

from reference.protocol import (
    CLOSED,
    MAX_FRAME_LIMIT,
    NEED_DATA,
    FrameDecoder,
    ProtocolError,
    encode_frame,
    loads,
)

RECV_SIZE: Final = 256 * 1024
_Selector = getattr(selectors, "PollSelector", selectors.SelectSelector)  # no extra fd per client


class ClientError(Exception):
    """Base of every exception this module raises."""

    received: Sequence[Any] = ()
    """For a failure inside :meth:`Client.call_many`: the responses that arrived
    before it, in order, as ``call_many`` would have returned them."""


class RemoteError(ClientError):
    """The server answered with an error response (``"out": "error"``).

    ``code`` (int) and ``message`` (str) are the error object's members; ``data``
    is its optional ``"data"`` member, ``None`` when absent; ``out`` is the
    response's ``"out"`` (always ``"error"``).  Unknown codes are errors too
    (LPJ-ERR-5).  The connection remains usable.
    """

    def __init__(self, code: int, message: str, data: Any = None, out: str = "error") -> None:
        super().__init__(f"error {code}: {message}")
        self.code = code
        self.message = message
        self.data = data
        self.out = out

    def __repr__(self) -> str:
        return f"RemoteError(code={self.code}, message={self.message!r}, data={self.data!r})"


class ClientTimeout(ClientError, TimeoutError):
    """A response (or the connection) did not come within the timeout; says what was awaited."""


class ConnectFailed(ClientError, ConnectionError):
    """The connection could not be opened: ``cannot connect to HOST:PORT: REASON``."""

    def __init__(self, host: str, port: int, reason: str) -> None:
        super().__init__(f"cannot connect to {format_address(host, port)}: {reason}")
        self.host = host
        self.port = port
        self.reason = reason


class ConnectTimeout(ConnectFailed, ClientTimeout):
    """Connecting timed out."""


class ConnectionClosed(ClientError, ConnectionError):
    """The server closed or reset the connection, or the client closed it earlier."""


class ProtocolViolation(ClientError):
    """The server sent a malformed frame or a body that is not a valid response."""


class Response(NamedTuple):
    """A success response: its ``"out"`` and ``"result"`` members."""

    out: str
    result: Any


def format_address(host: str, port: int) -> str:
    """``HOST:PORT``, with an IPv6 host in brackets (the inverse of :func:`parse_address`)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def parse_address(text: str) -> tuple[str, int]:
    """Split ``HOST:PORT`` (or ``[IPV6]:PORT``) into ``(host, port)``; ValueError if malformed.

    The port must be 1-65535 (this is an address to connect to).  An IPv6
    literal must be bracketed, since ``::1:8080`` is ambiguous.
    """

    def invalid(why: str) -> ValueError:
        return ValueError(f"invalid address {text!r}: {why} (expected HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080)")

    if text.startswith("["):
        close = text.find("]")
        if close < 0:
            raise invalid("missing ']' after the IPv6 address")
        host, rest = text[1:close], text[close + 1 :]
        if not rest.startswith(":"):
            raise invalid("missing ':PORT' after ']'")
        port_text = rest[1:]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise invalid(f"{host!r} in brackets is not an IPv6 address") from None
    else:
        host, colon, port_text = text.rpartition(":")
        if not colon:
            raise invalid("missing ':PORT'")
        if ":" in host:
            raise invalid("an IPv6 address must be in brackets")
        if not host:
            raise invalid("missing host")
    if not (port_text.isascii() and port_text.isdigit()):
        raise invalid(f"port {port_text!r} is not a number" if port_text else "missing port")
    port = int(port_text)
    if not 1 <= port <= 65535:
        raise invalid(f"port {port} is outside 1-65535")
    return host, port


def encode_request(method: str, params: Any) -> bytes:
    """One framed request (LPJ-REQ-1); ValueError/TypeError if it cannot be sent as JSON.

    JSON: requests are encoded with the standard library, not the core's
    orjson ``dumps``, because orjson silently turns NaN and Infinity into null,
    and a client must neither send them (LPJ-JSON-2) nor change the caller's
    data; ``allow_nan=False`` refuses them instead.  The stdlib also keeps
    integers of any size exact.  Responses are decoded with the core's
    ``loads`` (orjson), which is exactly as strict as the servers: UTF-8, one
    value, no NaN, no byte-order mark.  The frame itself is the core's.
    """
    if type(method) is not str or not method:
        raise ValueError(f"method must be a non-empty string (LPJ-REQ-1), got {method!r}")
    try:
        text = json.dumps({"in": method, "params": params}, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        body = text.encode()
    except UnicodeEncodeError:
        raise ValueError("cannot send a string with a lone surrogate: it has no UTF-8 form") from None
    except RecursionError:
        raise ValueError("cannot encode the request as JSON: params nested too deeply") from None
    except ValueError as exc:
        raise ValueError(f"cannot encode the request as JSON: {exc}") from None
    return encode_frame(body)


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


def _excerpt(body: bytes, limit: int = 60) -> str:
    return repr(body[:limit]) + ("..." if len(body) > limit else "")


def decode_response(body: bytes, which: str = "the response") -> Response | RemoteError:
    """Interpret one frame body as a response; raise ProtocolViolation if it is not one.

    Members other than ``out`` and ``result`` (and, in an error object, other
    than ``code``, ``message`` and ``data``) are ignored (LPJ-RESP-2).
    """
    try:
        message = loads(body)
    except ProtocolError as exc:
        raise ProtocolViolation(f"{which} is not valid JSON ({exc.message}): {_excerpt(body)}") from None
    if type(message) is not dict:
        raise ProtocolViolation(f"{which} is {_json_type(message)}, not a JSON object: {_excerpt(body)}")
    missing = [name for name in ("out", "result") if name not in message]
    if missing:
        raise ProtocolViolation(f"{which} has no {' and no '.join(repr(m) for m in missing)} member: {_excerpt(body)}")
    out, result = message["out"], message["result"]
    if type(out) is not str:
        raise ProtocolViolation(f'{which} has an "out" that is {_json_type(out)}, not a string')
    if out != "error":
        return Response(out, result)
    if type(result) is not dict:
        raise ProtocolViolation(f'{which} is an error whose "result" is {_json_type(result)}, not an object')
    code, text = result.get("code"), result.get("message")
    if type(code) is not int:
        raise ProtocolViolation(f'{which} is an error whose "code" is {_json_type(code)}, not an integer')
    if type(text) is not str:
        raise ProtocolViolation(f'{which} is an error whose "message" is {_json_type(text)}, not a string')
    return RemoteError(code, text, result.get("data"), out)


def _which(index: int, total: int) -> str:
    return "the response" if total == 1 else f"response {index + 1} of {total}"


def _partial(received: int, which: str) -> str:
    if received == 0:
        return f"before any byte of {which}"
    if received < 4:
        return f"after {received} of the 4 length-prefix bytes of {which}"
    return f"after {received} bytes of {which} (the length prefix and {received - 4} body bytes)"


class Client:
    """One blocking connection to an LPJ-RPC/1 server; connects on construction.

    ``timeout`` (seconds, > 0) bounds connecting and each response (see the
    module docstring).  ``max_frame`` is the largest response body accepted;
    a longer announced length is a ProtocolViolation, raised without waiting
    for the body.
    """

    def __init__(self, host: str, port: int, timeout: float = 5.0, *, max_frame: int = MAX_FRAME_LIMIT) -> None:
        if not timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
        self.host = host
        self.port = port
        self.timeout = timeout
        self.address = format_address(host, port)
        self._decoder = FrameDecoder(max_frame)
        self._closed_because: str | None = None
        try:
            sock = socket.create_connection((host, port), timeout=timeout)
        except TimeoutError as exc:
            raise ConnectTimeout(host, port, f"timed out after {timeout:g} s") from exc
        except ConnectionRefusedError as exc:
            raise ConnectFailed(host, port, "connection refused") from exc
        except socket.gaierror as exc:
            raise ConnectFailed(host, port, f"cannot resolve host: {exc.strerror}") from exc
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise ConnectFailed(host, port, reason[:1].lower() + reason[1:]) from exc
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.setblocking(False)
            self._selector = _Selector()
            self._selector.register(sock, selectors.EVENT_READ)
        except BaseException:
            sock.close()
            raise
        self._sock = sock

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Client {self.address} {'closed' if self.closed else 'open'}>"

    @property
    def closed(self) -> bool:
        return self._closed_because is not None

    def close(self) -> None:
        """Close the connection; idempotent."""
        self._shut("the client closed it")

    def call(self, method: str, params: Any = None) -> Any:
        """Send one request; return the result of a success response, raise RemoteError for an error."""
        (response,) = self._exchange([(method, params)])
        if isinstance(response, RemoteError):
            raise response
        return response.result

    def ping(self, params: Any = None) -> Any:
        """Call ``ping`` and return its result; ProtocolViolation unless the server answers ``"pong"``."""
        (response,) = self._exchange([("ping", params)])
        if isinstance(response, RemoteError):
            raise response
        if response.out != "pong":
            error = ProtocolViolation(f'ping was answered with "out": {response.out!r}, not "pong" (LPJ-PING-1)')
            self._shut(f"an earlier call failed: {error}")
            raise error
        return response.result

    def call_many(self, calls: Iterable[tuple[str, Any]]) -> list[Any]:
        """Pipeline ``(method, params)`` calls: send all without waiting, collect the answers in order.

        Returns one entry per call, in call order (LPJ-ORDER-4): the result of a
        success response, or a :class:`RemoteError` **instance, not raised**, for an
        error response; test with ``isinstance(entry, RemoteError)``.  A
        transport failure (timeout, close, malformed frame) is raised; its
        ``received`` attribute holds the entries that arrived before it.

        All requests are encoded into one buffer and written with as few
        ``send`` calls as the socket allows, while responses are read as they
        arrive: a client that only reads after writing everything deadlocks
        once the responses fill both ends' socket buffers and the server stops
        reading (backpressure, LPJ-LIMIT-6).
        """
        responses = self._exchange(list(calls))
        return [r if isinstance(r, RemoteError) else r.result for r in responses]

    def _shut(self, because: str) -> None:
        if self._closed_because is None:
            self._closed_because = because
            self._selector.close()
            self._sock.close()

    def _exchange(self, calls: Sequence[tuple[str, Any]]) -> list[Response | RemoteError]:
        payload = b"".join([encode_request(method, params) for method, params in calls])
        if self._closed_because is not None:
            raise ConnectionClosed(f"the connection to {self.address} is closed: {self._closed_because}")
        if not calls:
            return []
        try:
            self._check_idle()
            return self._transfer(payload, len(calls))
        except BaseException as exc:  # also KeyboardInterrupt: the stream is out of step either way
            self._shut(f"an earlier call failed: {str(exc) or type(exc).__name__}")
            raise

    def _check_idle(self) -> None:
        """Before sending: anything already received answers no request (LPJ-RESP-3)."""
        try:
            data = self._sock.recv(RECV_SIZE)
        except BlockingIOError:
            data = None
        except OSError as exc:
            raise ConnectionClosed(f"{self.address} reset the idle connection ({exc.strerror})") from exc
        if data == b"":
            raise ConnectionClosed(f"{self.address} closed the connection while it was idle")
        unsolicited = self._decoder.buffered + len(data or b"")
        if unsolicited:
            raise ProtocolViolation(f"{self.address} sent {unsolicited} bytes that answer no request (LPJ-RESP-3)")

    def _transfer(self, payload: bytes, expected: int) -> list[Response | RemoteError]:
        sock, selector, decoder = self._sock, self._selector, self._decoder
        view, total, sent = memoryview(payload), len(payload), 0
        send_failure = ""
        responses: list[Response | RemoteError] = []
        mask = selectors.EVENT_READ
        deadline = time.monotonic() + self.timeout
        eof = False

        def failure(cls: type[ClientError], what: str) -> ClientError:
            error = cls(what + (f" ({send_failure})" if send_failure else ""))
            error.received = [r if isinstance(r, RemoteError) else r.result for r in responses]
            return error

        while len(responses) < expected:
            if sent < total and not send_failure:
                try:
                    sent += sock.send(view[sent:])
                except BlockingIOError:
                    pass
                except OSError as exc:  # the server may have answered and closed (LPJ-LIMIT-5): read on
                    send_failure = f"sending failed after {sent} of {total} request bytes: {exc.strerror}"
            wanted = selectors.EVENT_READ | (selectors.EVENT_WRITE if sent < total and not send_failure else 0)
            if wanted != mask:
                selector.modify(sock, wanted)
                mask = wanted
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                got = decoder.buffered
                progress = f"{got} bytes of it received" if got else "none of it received"
                if sent < total:
                    progress += f", {sent} of {total} request bytes sent"
                raise failure(
                    ClientTimeout,
                    f"timed out after {self.timeout:g} s waiting for {_which(len(responses), expected)} "
                    f"from {self.address} ({progress})",
                )
            if not any(events & selectors.EVENT_READ for _, events in selector.select(remaining)):
                continue
            try:
                data = sock.recv(RECV_SIZE)
            except BlockingIOError:
                continue
            except OSError as exc:
                which = _which(len(responses), expected)
                raise failure(
                    ConnectionClosed,
                    f"{self.address} reset the connection {_partial(decoder.buffered, which)} ({exc.strerror})",
                ) from exc
            eof = not data
            decoder.receive_data(data)
            while len(responses) < expected:
                which = _which(len(responses), expected)
                event = decoder.next_event()
                if event is NEED_DATA:
                    break
                if event is CLOSED:
                    raise failure(
                        ConnectionClosed,
                        f"{self.address} closed the connection {_partial(decoder.buffered, which)}",
                    )
                if isinstance(event, ProtocolError):
                    if event.close:
                        detail = event.message.removeprefix("invalid request: ")
                        problem = f"announces a body over this client's max_frame: {detail}"
                    else:
                        problem = "is a zero-length frame (LPJ-FRAME-5)"
                    raise failure(ProtocolViolation, f"{which} {problem}")
                assert type(event) is bytes
                try:
                    responses.append(decode_response(event, which))
                except ProtocolViolation as exc:
                    raise failure(ProtocolViolation, str(exc)) from None
                deadline = time.monotonic() + self.timeout
        if eof:
            self._shut(f"{self.address} closed it")
        elif sent < total:
            self._shut("the server answered before the request was fully sent (frame too large?)")
        return responses
