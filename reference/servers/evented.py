"""Model 5, ``evented``: one process, one thread, non-blocking sockets and an event loop.

Nothing ever blocks on a client.  The loop asks the kernel (epoll on Linux, poll
elsewhere) which sockets are ready, and for each does what can be done now: accept,
read what arrived and feed it to the protocol core, send what the socket will take.
A connection's state lives in a :class:`Connection` found by its file descriptor:
the core's decoder (the input buffer) and a ``bytearray`` of output not yet sent,
trimmed in place as the kernel takes it.  The loop asks for WRITE readiness only
while output is pending; asking always would wake it on every pass.  Requests may be
pipelined; on the client's end of file the pending responses are flushed before
closing.  (The loop talks to epoll itself rather than through ``selectors``, whose
bookkeeping per ready socket costs about a tenth of answering a small request.)

Backpressure (LPJ-LIMIT-6): a client that pipelines without reading would make the
output buffer grow without end, so a connection with more than ``output_limit``
bytes unsent is not read until it drains; its requests wait in the kernel, and
TCP flow control stops the client.  Accepting is capped per readiness event so a
connect storm cannot starve the clients already connected.

Concurrency: unbounded (thousands of mostly idle connections in one thread), on one
core.

Cost: the code is inside out: every wait becomes a return to the loop, every
partial read or write explicit state.  Harder to write, easier to get wrong, which is
why business code usually stays blocking.

Under load: one slow handler or CPU-heavy request stalls every client of the loop,
and one core is the ceiling.

Used by: Redis, Node.js, Nginx (per worker), HAProxy, memcached (per thread), Tornado,
``asyncio``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time

from reference.protocol import ServerConnection
from reference.servers._plumbing import (
    BACKOFF,
    POLL_UNITS,
    READ,
    READABLE,
    RECV_SIZE,
    TICK,
    WRITE,
    Exhausted,
    ServerConfig,
    StopFlag,
    accept,
    log,
    log_lost,
    log_ready,
    new_poller,
)


class Connection:
    __slots__ = ("closed", "discard_left", "discard_until", "events", "fd", "last_input", "out", "proto", "sock")

    def __init__(self, sock: socket.socket, max_frame: int) -> None:
        self.sock = sock
        self.fd = sock.fileno()  # kept: fileno() is -1 once closed, and the poller knows it by number
        self.proto = ServerConnection(max_frame)
        self.out = bytearray()
        self.events = READ
        self.last_input = time.monotonic()
        self.discard_until = 0.0  # set after frame-too-large: swallow input until then
        self.discard_left = 0
        self.closed = False


class EventLoop:
    """Serve ``listener`` until ``stop`` is set (a prefork worker also stops if ``master`` dies)."""

    def __init__(self, listener: socket.socket, config: ServerConfig, stop: StopFlag, master: int = 0):
        self.listener, self.config, self.stop, self.master = listener, config, stop, master
        self.connections: dict[int, Connection] = {}  # by file descriptor
        self.poller = new_poller()
        self.buffer = bytearray(RECV_SIZE)  # one receive buffer for every connection
        self.view = memoryview(self.buffer)
        self.stopping = False
        self.now = time.monotonic()
        self.accept_paused_until = 0.0
        self.next_sweep = 0.0

    def run(self) -> None:
        listener_fd, stop_fd = self.listener.fileno(), self.stop.fileno()
        self.poller.register(listener_fd, READ)
        self.poller.register(stop_fd, READ)
        connections, poll = self.connections, self.poller.poll
        try:
            while not (self.stopping and not connections):
                ready = poll(self.timeout() * POLL_UNITS)
                self.now = time.monotonic()  # once per wake-up, not once per read
                for fd, mask in ready:
                    conn = connections.get(fd)
                    if conn is not None:
                        try:
                            if mask & READABLE:
                                self.read(conn)
                            if mask & WRITE and not conn.closed:
                                self.write(conn)
                        except Exception:  # a bug must cost one connection, not the loop
                            log.exception("connection failed")
                            self.close(conn)
                    elif fd == listener_fd:
                        if not self.stopping:  # the stop may come first in the same batch
                            self.accept()
                    elif fd == stop_fd and not self.stopping:
                        self.begin_stop()
                self.tick()
        finally:
            for conn in list(connections.values()):
                self.close(conn)
            if hasattr(self.poller, "close"):
                self.poller.close()

    def timeout(self) -> float:
        return max(0.0, min(TICK, self.stop.deadline - time.monotonic())) if self.stopping else TICK

    def accept(self) -> None:
        for _ in range(self.config.backlog):  # at most a backlog's worth per readiness event
            try:
                sock = accept(self.listener)
            except Exhausted:
                self.poller.unregister(self.listener)
                self.accept_paused_until = time.monotonic() + BACKOFF
                return
            if sock is None:
                return
            sock.setblocking(False)
            conn = Connection(sock, self.config.max_frame)
            self.connections[conn.fd] = conn
            self.poller.register(conn.fd, READ)

    def read(self, conn: Connection) -> None:
        try:
            n = conn.sock.recv_into(self.buffer)
        except BlockingIOError:
            return
        except OSError as exc:
            log_lost(exc)
            self.close(conn)
            return
        if conn.discard_until:  # after frame-too-large: read and drop, then close (LPJ-LIMIT-4)
            conn.discard_left -= n
            if n == 0 or conn.discard_left <= 0:
                self.close(conn)
            return
        if n:
            conn.last_input = self.now
        self.write(conn, conn.proto.receive_data(self.view[:n] if n else b""))

    def write(self, conn: Connection, data: bytes = b"") -> None:
        """Send what is pending, then ``data``; keep whatever the kernel does not take."""
        out = conn.out
        if out:
            out += data
            data = out
        if data:
            try:
                sent = conn.sock.send(data)
            except BlockingIOError:
                sent = 0
            except OSError as exc:
                log_lost(exc)
                self.close(conn)
                return
            if data is out:
                del out[:sent]
            elif sent < len(data):
                out += memoryview(data)[sent:]  # the usual case (all sent) copies nothing
        self.settle(conn)

    def settle(self, conn: Connection) -> None:
        """Choose what to wait for on ``conn`` next, or close it."""
        proto = conn.proto
        if conn.out:
            events = WRITE
            if len(conn.out) < self.config.output_limit and not (proto.closing or proto.finished):
                events |= READ  # over the limit: stop reading until the client reads (backpressure)
        elif proto.closing and not conn.discard_until:
            with contextlib.suppress(OSError):
                conn.sock.shutdown(socket.SHUT_WR)
            conn.discard_until = time.monotonic() + self.config.discard_seconds
            conn.discard_left = self.config.discard_bytes
            events = READ
        elif proto.finished or (self.stopping and proto.buffered == 0 and not conn.discard_until):
            self.close(conn)  # everything answered and flushed (LPJ-CONN-1), or stopping and idle
            return
        else:
            events = READ
        if events != conn.events:
            self.poller.modify(conn.fd, events)
            conn.events = events

    def close(self, conn: Connection) -> None:
        if not conn.closed:
            conn.closed = True
            del self.connections[conn.fd]
            self.poller.unregister(conn.fd)
            conn.sock.close()

    def begin_stop(self) -> None:
        """Stop accepting; close idle connections; let the others finish what is in flight."""
        self.stopping = True
        self.poller.unregister(self.stop)
        if not self.accept_paused_until:
            self.poller.unregister(self.listener)
        self.listener.close()
        log.info("%s: stopping, %d connection(s) open", self.stop.reason, len(self.connections))
        for conn in list(self.connections.values()):
            if not (conn.closed or conn.out or conn.discard_until):
                self.read(conn)  # answer requests that already arrived before closing (LPJ-CONN-6)
            if not conn.closed:
                self.settle(conn)

    def tick(self) -> None:
        now = self.now  # read once per wake-up, in run
        if self.stopping and now >= self.stop.deadline and self.connections:
            log.warning("stop deadline passed: closing %d connection(s)", len(self.connections))
            for conn in list(self.connections.values()):
                self.close(conn)
        if now < self.next_sweep:
            return
        self.next_sweep = now + TICK
        if self.master and os.getppid() != self.master:
            log.warning("master %d is gone; worker exits", self.master)
            self.stop.set()
        if self.accept_paused_until and now >= self.accept_paused_until and not self.stopping:
            self.accept_paused_until = 0.0
            self.poller.register(self.listener, READ)
        idle = self.config.idle_timeout
        for conn in list(self.connections.values()):
            if (conn.discard_until and now >= conn.discard_until) or (idle and now - conn.last_input > idle):
                self.close(conn)


def serve(listener: socket.socket, config: ServerConfig) -> int:
    stop = StopFlag(config.grace)
    stop.install()
    log_ready(listener, "evented", 1)
    EventLoop(listener, config, stop).run()
    log.info("stopped")
    return 0
