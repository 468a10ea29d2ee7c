"""LPJ-RPC/1 for Locust: a ``User`` whose calls are timed and reported to Locust's events.

Locust (an optional extra: ``pip install 'lpj-rpc[locust]'``) brings distributed load:
one master, any number of workers on any number of machines, a web UI or headless runs.
This module gives it a client for LPJ-RPC/1; Locust's own ``--host`` takes ``HOST:PORT``::

    locust -f reference/locust_user.py --headless -u 100 -r 20 -t 60s --host 127.0.0.1:8080
    # or spread over machines:
    locust -f reference/locust_user.py --master --headless -u 1000 -r 100 -t 5m --host HOST:PORT
    locust -f reference/locust_user.py --worker --master-host MASTER   # on each load machine

Subclass :class:`LpjUser` for your own tasks (``self.client.call(method, params)``); the
:class:`PingUser` here pings with a small string.  Every call fires Locust's ``request``
event with request type ``LPJ``, the method as name, the time from send to the complete
response, the response size, and an exception for a failure: an error response, a
``pong`` whose result is not the params, a malformed frame, a timeout or a lost
connection (after which the next call reconnects).

Locust monkey-patches sockets with gevent, so the plain blocking socket code below
yields to other users while it waits.  This module does not import :mod:`reference`
(``locust -f`` loads it as a file, possibly where the package is not installed).
"""

from __future__ import annotations

import json
import socket
import struct
import time
from typing import Any

from locust import User, constant, task

HEADER = struct.Struct("<I")
MAX_RESPONSE = 64 << 20


class LpjError(Exception):
    """A call failed: what Locust records as the failure."""


class LpjClient:
    """One connection per user; each call sends a frame and waits for its response."""

    def __init__(self, address: str, request_event: Any, timeout: float = 10.0) -> None:
        host, _, port = address.removeprefix("lpj://").rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"host must be HOST:PORT, got {address!r}")
        self.address = (host.strip("[]"), int(port))
        self.request_event = request_event
        self.timeout = timeout
        self.sock: socket.socket | None = None

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def call(self, method: str, params: Any, *, name: str | None = None, check_echo: bool | None = None) -> Any:
        """Call ``method``; return its result, or None after reporting a failure to Locust.

        For ``ping`` the result must equal the params (``check_echo`` overrides that choice)."""
        body = json.dumps({"in": method, "params": params}, separators=(",", ":")).encode()
        start = time.perf_counter()
        length, result, exception = 0, None, None
        try:
            response = self._roundtrip(HEADER.pack(len(body)) + body)
            length = len(response)
            message = json.loads(response)
            if not isinstance(message, dict) or "out" not in message or "result" not in message:
                raise LpjError("response is not an LPJ-RPC response object")
            if message["out"] == "error":
                error = message["result"] if isinstance(message["result"], dict) else {}
                raise LpjError(f"error {error.get('code')}: {error.get('message')}")
            result = message["result"]
            if (method == "ping" if check_echo is None else check_echo) and result != params:
                raise LpjError("pong result differs from the params")
        except (OSError, ValueError, LpjError) as exc:
            exception = exc if isinstance(exc, LpjError) else LpjError(f"{type(exc).__name__}: {exc}")
            if not isinstance(exc, LpjError):
                self.close()  # the stream is out of step: reconnect on the next call
        self.request_event.fire(
            request_type="LPJ",
            name=name or method,
            response_time=(time.perf_counter() - start) * 1000,
            response_length=length,
            exception=exception,
            context={},
        )
        return result if exception is None else None

    def _roundtrip(self, frame: bytes) -> bytes:
        if self.sock is None:
            self.sock = socket.create_connection(self.address, timeout=self.timeout)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.sendall(frame)
        (length,) = HEADER.unpack(self._exactly(4))
        if not 0 < length <= MAX_RESPONSE:
            raise LpjError(f"bad frame length {length}")
        return self._exactly(length)

    def _exactly(self, n: int) -> bytes:
        assert self.sock is not None
        data = bytearray()
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("server closed the connection")
            data += chunk
        return bytes(data)


class LpjUser(User):
    """Base for LPJ-RPC users: ``self.client`` is an :class:`LpjClient` on Locust's ``--host``."""

    abstract = True
    timeout = 10.0

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        if not self.host:
            raise ValueError("give the server as --host HOST:PORT")
        self.client = LpjClient(self.host, environment.events.request, self.timeout)

    def on_stop(self) -> None:
        self.client.close()


class PingUser(LpjUser):
    """Pings as fast as it is answered (no wait between calls)."""

    wait_time = constant(0)

    @task
    def ping(self) -> None:
        self.client.call("ping", "hello, LPJ-RPC")
