"""What the six server models share, written once.

* :class:`ServerConfig`: what ``lpj serve`` was asked for, checked against the spec's limits.
* :func:`bind` and :func:`log_ready`: the listening socket and the one line that says it is up.
* :data:`DISCONNECTS` and :func:`accept`: peers that vanish, and each accept failure on purpose.
* :func:`new_poller`: epoll, or poll where there is none, for the event loops.
* :func:`keep_freed_memory`: no page faults per request for large requests (glibc).
* :class:`StopFlag`: SIGTERM/SIGINT become a flag plus a descriptor that stays readable.
* :func:`accept_loop` and :func:`serve_connection`: the blocking models' two loops.
* :func:`graceful_close`: the close after frame-too-large (LPJ-LIMIT-4).
* :class:`Supervisor`: the master of ``forking``, ``prefork`` and ``prefork-evented``.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import logging
import math
import os
import select
import signal
import socket
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from reference.protocol import (
    DEFAULT_FRAME_LIMIT,
    IDLE_FLOOR_SECONDS,
    MIN_FRAME_LIMIT,
    ServerConnection,
    check_frame_limit,
)

log = logging.getLogger("reference.servers")

RECV_SIZE = 64 * 1024
TICK = 1.0  # seconds: how often a quiet loop looks at the clock, its parent and its stop deadline
BACKOFF = 0.5  # seconds without accepting after running out of descriptors or memory

# The event loops poll the kernel directly: epoll on Linux, poll elsewhere.  Both use the
# same event bits, and report a hang-up or error whether asked for or not; the loops
# treat that as READ, and recv says what happened.  ``selectors`` would add bookkeeping
# per ready socket that costs about a tenth of answering a small request.
READ, WRITE = select.POLLIN, select.POLLOUT
READABLE = READ | select.POLLERR | select.POLLHUP
if hasattr(select, "epoll"):
    new_poller, POLL_UNITS = select.epoll, 1.0  # poll(timeout) in seconds
else:
    new_poller, POLL_UNITS = select.poll, 1000.0  # poll(timeout) in milliseconds

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)


def keep_freed_memory() -> None:
    """Keep glibc from handing memory back to the kernel after every large request.

    By default glibc serves an allocation of 128 KiB or more with its own ``mmap``, and
    returns the top of its heap to the kernel as soon as more than 128 KiB there is free.
    A server that reads, decodes and encodes a 64 KiB body per request then page-faults
    its way through the same memory on every request: 13-26 faults per request were
    measured with 64 KiB params, about half the CPU the request costs.  Here bodies up to
    the 1 MiB every server must accept come from the heap, and up to 16 MiB of it is kept
    when free.  The settings are inherited by forked workers; without glibc (musl's
    ``mallopt`` does nothing, other systems have none) nothing changes.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(_M_MMAP_THRESHOLD, MIN_FRAME_LIMIT)
    mallopt(_M_TRIM_THRESHOLD, 16 << 20)


DISCONNECTS = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)
"""Errors that only mean the peer (or the path to it) is gone: close the connection quietly."""


def log_lost(exc: OSError) -> None:
    """A connection failed with ``exc``: expected disconnects at DEBUG, anything else louder."""
    log.log(logging.DEBUG if isinstance(exc, DISCONNECTS) else logging.WARNING, "connection lost: %s", exc)


_ACCEPT_NOTHING = frozenset({errno.EAGAIN, errno.EWOULDBLOCK, errno.ECONNABORTED, errno.EPROTO, errno.EINTR})
_ACCEPT_EXHAUSTED = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int | None = None  # prefork models; None means one per CPU
    max_frame: int = DEFAULT_FRAME_LIMIT
    idle_timeout: float = 300.0  # seconds with no byte received before closing; 0 = never (LPJ-CONN-3/4)
    grace: float = 5.0  # seconds a stopping server gives requests in flight (LPJ-CONN-6)
    backlog: int = 1024
    output_limit: int = 1 << 20  # evented: unsent bytes above which a connection is not read (LPJ-LIMIT-6)
    discard_seconds: float = 2.0  # LPJ-LIMIT-4: how long to swallow input after frame-too-large...
    discard_bytes: int = 16 << 20  # ...and how much of it
    max_restarts: int = 10  # a pool gives up when more workers than this die...
    restart_window: float = 60.0  # ...within this many seconds

    def __post_init__(self) -> None:
        check_frame_limit(self.max_frame)
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be between 0 and 65535, got {self.port}")
        if self.idle_timeout and self.idle_timeout < IDLE_FLOOR_SECONDS:
            raise ValueError(f"idle timeout must be 0 (never) or at least {IDLE_FLOOR_SECONDS:g} s (LPJ-CONN-3)")
        if self.workers is not None and self.workers < 1:
            raise ValueError(f"workers must be at least 1, got {self.workers}")
        if self.grace < 0:
            raise ValueError("grace must not be negative")

    @property
    def pool_size(self) -> int:
        return self.workers or os.cpu_count() or 1


class ListenError(Exception):
    """The listening socket could not be set up: a usage error (exit code 2), not a crash."""


# Linux spreads the connections to a port over the listening sockets that share it with
# SO_REUSEPORT, by a hash of the client's address and port; elsewhere the option exists
# but the last socket bound takes everything.
SPREADS_BY_PORT = sys.platform == "linux" and hasattr(socket, "SO_REUSEPORT")


def bind(config: ServerConfig, *, reuse_port: bool = False) -> socket.socket:
    """A non-blocking listening socket on config.host:config.port (SO_REUSEADDR, config.backlog);
    with ``reuse_port``, one that :func:`bind_more` can add sockets beside."""
    where = f"{config.host}:{config.port}"
    try:
        family, _, _, _, address = socket.getaddrinfo(
            config.host or None, config.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise ListenError(f"cannot listen on {where}: {exc.strerror.lower()}") from None
    return _listen(family, address, config.backlog, where, reuse_port)


def bind_more(listener: socket.socket, count: int, backlog: int) -> list[socket.socket]:
    """``count`` more listening sockets on ``listener``'s address, sharing its port (SO_REUSEPORT)."""
    address = listener.getsockname()
    return [_listen(listener.family, address, backlog, f"{address[0]}:{address[1]}", True) for _ in range(count)]


def _listen(family: int, address: Any, backlog: int, where: str, reuse_port: bool) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
        sock.listen(backlog)
    except OSError as exc:
        sock.close()
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise ListenError(f"cannot listen on {where}: {reason.lower()}") from None
    sock.setblocking(False)  # workers share it: the one that loses the race gets EAGAIN, not a hang
    return sock


def log_ready(listener: socket.socket, model: str, workers: object) -> None:
    """The one INFO line scripts wait for: the address actually bound (so --port 0 works)."""
    host, port = listener.getsockname()[:2]
    if ":" in host:
        host = f"[{host}]"
    log.info("listening on %s:%d model=%s workers=%s pid=%d", host, port, model, workers, os.getpid())


class Exhausted(Exception):
    """accept failed for want of descriptors or memory: stop accepting for a moment."""


def accept(listener: socket.socket) -> socket.socket | None:
    """One connection from the listener, or None when there is nothing to take after all
    (another process won the race, or the client gave up before we got to it)."""
    try:
        sock, _ = listener.accept()
    except OSError as exc:
        if exc.errno in _ACCEPT_NOTHING:
            return None
        if exc.errno in _ACCEPT_EXHAUSTED:
            log.warning("cannot accept: %s; pausing %.1f s", exc.strerror, BACKOFF)
            raise Exhausted from exc
        raise
    with contextlib.suppress(OSError):  # one write per batch of responses: do not let Nagle hold it
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class StopFlag:
    """A request to stop: a flag, plus a pipe that turns readable when it is set and stays
    readable, so any number of poll loops (threads included) see it without racing to drain it.

    :meth:`install` makes SIGTERM and SIGINT set it.  The handler only sets the flag; it also
    puts the signal's default action back, so a second signal ends the process at once.
    """

    def __init__(self, grace: float) -> None:
        self._read_fd, self._write_fd = os.pipe()
        os.set_blocking(self._write_fd, False)
        self.grace = grace
        self.requested_at: float | None = None
        self.reason = "stop requested"
        self._installed: list[int] = []

    def fileno(self) -> int:
        return self._read_fd

    def is_set(self) -> bool:
        return self.requested_at is not None

    @property
    def deadline(self) -> float:
        """When requests still in flight are abandoned (infinite until a stop is requested)."""
        return math.inf if self.requested_at is None else self.requested_at + self.grace

    def set(self) -> None:
        if self.requested_at is None:
            self.requested_at = time.monotonic()
            with contextlib.suppress(BlockingIOError):
                os.write(self._write_fd, b"!")

    def wait(self, timeout: float) -> bool:
        select.select([self._read_fd], [], [], timeout)
        return self.is_set()

    def install(self, *, interrupt: bool = True) -> None:
        """Handle SIGTERM (and SIGINT, unless ``interrupt`` is false: a worker leaves Ctrl-C,
        which the terminal sends to the whole process group, to its master)."""
        self._installed = [signal.SIGTERM, signal.SIGINT] if interrupt else [signal.SIGTERM]
        for signum in self._installed:
            signal.signal(signum, self._on_signal)
        if not interrupt:
            signal.signal(signal.SIGINT, signal.SIG_IGN)

    def _on_signal(self, signum: int, frame: object) -> None:
        if self.requested_at is None:
            self.reason = signal.Signals(signum).name
        self.set()
        for installed in self._installed:
            signal.signal(installed, signal.SIG_DFL)


def accept_loop(
    listener: socket.socket,
    stop: StopFlag,
    handle: Callable[[socket.socket], None],
    *,
    master: int | None = None,
) -> None:
    """Accept connections until stopped, handing each to ``handle``, which owns it from then on.
    A prefork worker passes its ``master``'s pid and leaves when that process is gone."""
    poller = select.poll()
    poller.register(listener, select.POLLIN)
    poller.register(stop, select.POLLIN)
    while not stop.is_set():
        if master is not None and os.getppid() != master:
            log.warning("master %d is gone; worker %d exits", master, os.getpid())
            return
        if not poller.poll(TICK * 1000):
            continue
        try:
            client = accept(listener)
        except Exhausted:
            stop.wait(BACKOFF)
            continue
        if client is not None:
            handle(client)


class _Waiter:
    """Wait for one socket, watching the stop flag; give up at the idle timeout or the stop deadline."""

    def __init__(self, sock: socket.socket, stop: StopFlag, idle_timeout: float) -> None:
        self._fd = sock.fileno()
        self._events = select.POLLIN
        self._poller = select.poll()
        self._poller.register(self._fd, self._events)
        self._poller.register(stop, select.POLLIN)
        self._stop = stop
        self._watching_stop = True
        self._idle = idle_timeout or math.inf
        self.last_input = time.monotonic()

    def wait(self, events: int) -> bool:
        """True when the socket may be ready (or the stop was just requested: check again);
        False when it is time to close: idle too long, or the stop deadline has passed."""
        if events != self._events:
            self._poller.modify(self._fd, events)
            self._events = events
        while True:
            deadline = self.last_input + self._idle
            if self._stop.is_set():
                if self._watching_stop:  # readable for good now: stop polling it, wake the caller
                    self._poller.unregister(self._stop)
                    self._watching_stop = False
                    return True
                deadline = min(deadline, self._stop.deadline)
            timeout = deadline - time.monotonic()
            if timeout <= 0:
                return False
            ready = self._poller.poll(None if timeout == math.inf else math.ceil(timeout * 1000))
            if any(fd == self._fd for fd, _ in ready):
                return True


def serve_connection(sock: socket.socket, config: ServerConfig, stop: StopFlag) -> None:
    """Serve one connection to its end, blocking the calling thread or process.

    Whatever arrives goes to the protocol core and its answers are sent before reading again,
    so a client that does not read is simply not read either (LPJ-LIMIT-6).  Once a stop is
    requested the connection closes as soon as no frame is half-received (what the kernel
    already holds is read and answered first), or at the stop deadline.
    """
    proto = ServerConnection(config.max_frame)
    buffer = bytearray(RECV_SIZE)
    view = memoryview(buffer)
    waiter = _Waiter(sock, stop, config.idle_timeout)
    try:
        with sock:
            sock.setblocking(False)
            while True:
                stopping = stop.is_set()
                in_flight = proto.buffered > 0
                if (stopping and time.monotonic() >= stop.deadline) or (
                    (not stopping or in_flight) and not waiter.wait(select.POLLIN)
                ):
                    if stop.is_set():
                        log.warning("stop deadline passed: closing a connection with a request in flight")
                    else:
                        log.debug("closing a connection idle for %g s", config.idle_timeout)
                    return
                try:
                    n = sock.recv_into(buffer)
                except BlockingIOError:
                    if stopping and not in_flight:
                        return
                    continue
                if n:
                    waiter.last_input = time.monotonic()
                output = proto.receive_data(view[:n] if n else b"")
                if output and not _send_all(sock, output, waiter):
                    return
                if proto.closing:
                    graceful_close(sock, config)
                    return
                if proto.finished:
                    return
    except OSError as exc:
        log_lost(exc)
    except Exception:  # a bug must cost one connection, not the server (LPJ-ROBUST-1)
        log.exception("connection failed")


def _send_all(sock: socket.socket, data: bytes, waiter: _Waiter) -> bool:
    view = memoryview(data)
    while view:
        try:
            sent = sock.send(view)
        except BlockingIOError:
            sent = 0
        view = view[sent:]
        if view and not waiter.wait(select.POLLOUT):
            return False
    return True


def graceful_close(sock: socket.socket, config: ServerConfig) -> None:
    """Close after frame-too-large (LPJ-LIMIT-4): shut down our write side (the client reads
    the error, then end of file), swallow what it is still sending for a bounded time and
    amount, then close; closing with unread input would make the kernel send a reset that
    can destroy the error response before the client reads it."""
    budget = config.discard_bytes
    deadline = time.monotonic() + config.discard_seconds
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_WR)
        while budget > 0:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            sock.settimeout(remaining)
            data = sock.recv(RECV_SIZE)
            if not data:
                break
            budget -= len(data)
    sock.close()


def _describe_exit(status: int) -> tuple[int, str]:
    code = os.waitstatus_to_exitcode(status)
    if code >= 0:
        return (logging.DEBUG if code == 0 else logging.WARNING), f"exited with code {code}"
    name = signal.Signals(-code).name
    if -code == signal.SIGKILL:
        return logging.WARNING, "was killed by SIGKILL (perhaps by the out-of-memory killer)"
    return logging.WARNING, f"was killed by {name}"


class Supervisor:
    """The master of ``forking``, ``prefork`` and ``prefork-evented``, with gunicorn's discipline.

    It never touches a client socket.  Its signal handlers only queue the signal and write a
    wake-up byte; :meth:`wait` sleeps on that byte (and on the descriptors it is given) and
    handles the queue: SIGCHLD reaps with ``waitpid(-1, WNOHANG)`` until nothing is left,
    logging how each child ended; the first SIGTERM/SIGINT starts a stop, the second forces it.
    Children always end in ``os._exit``.  :meth:`shutdown` is the stop sequence: TERM, a grace
    period spent reaping, KILL, reap again.
    """

    SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD)

    def __init__(self, config: ServerConfig, kind: str = "worker") -> None:
        self.config = config
        self.kind = kind
        self.children: dict[int, float] = {}  # pid -> when it started
        self.stopping = False
        self.forced = False
        self._queue: list[int] = []
        self._wake_read = self._wake_write = -1
        self._poller = select.poll()
        self._watched: tuple[int, ...] = ()
        self._killed: set[int] = set()
        self._deaths: deque[float] = deque(maxlen=config.max_restarts + 1)  # only the recent ones matter

    def install(self) -> None:
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_read, False)
        os.set_blocking(self._wake_write, False)
        self._poller.register(self._wake_read, select.POLLIN)
        for signum in self.SIGNALS:
            signal.signal(signum, self._on_signal)

    def _on_signal(self, signum: int, frame: object) -> None:
        self._queue.append(signum)
        with contextlib.suppress(BlockingIOError):
            os.write(self._wake_write, b"!")

    def wait(self, timeout: float | None, *fds: int) -> list[int]:
        """Sleep until a signal arrives, one of ``fds`` is readable or ``timeout`` passes;
        handle the signals queued meanwhile; return the readable ``fds``."""
        if fds != self._watched:
            for fd in self._watched:
                self._poller.unregister(fd)
            for fd in fds:
                self._poller.register(fd, select.POLLIN)
            self._watched = fds
        ready = self._poller.poll(None if timeout is None else timeout * 1000)
        with contextlib.suppress(BlockingIOError):
            while os.read(self._wake_read, 4096):
                pass
        while self._queue:
            self._handle(self._queue.pop(0))
        return [fd for fd, _ in ready if fd != self._wake_read]

    def _handle(self, signum: int) -> None:
        if signum == signal.SIGCHLD:
            self.reap()
        elif self.stopping:
            log.warning("%s again: forcing the stop", signal.Signals(signum).name)
            self.forced = True
        else:
            log.info("%s: stopping (grace %.1f s)", signal.Signals(signum).name, self.config.grace)
            self.stopping = True

    def reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self._reaped(pid, status)

    def _reaped(self, pid: int, status: int) -> None:
        self.children.pop(pid, None)
        level, how = _describe_exit(status)
        if pid in self._killed:
            self._killed.discard(pid)
            level, how = logging.WARNING, "was killed: it had not stopped in time"
        elif not self.stopping:
            self._deaths.append(time.monotonic())
        log.log(level, "%s %d %s", self.kind, pid, how)

    def spawn(self, target: Callable[..., Any], *args: Any) -> int:
        """Fork a child that runs ``target(stop, *args)`` and always ends in ``os._exit``."""
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, self.SIGNALS)
        try:
            pid = os.fork()
            if pid == 0:
                self._child(target, args, mask)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        self.children[pid] = time.monotonic()
        return pid

    def _child(self, target: Callable[..., Any], args: tuple[Any, ...], mask: set[int]) -> NoReturn:
        code = 1
        try:
            os.close(self._wake_read)
            os.close(self._wake_write)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            stop = StopFlag(self.config.grace)
            stop.install(interrupt=False)
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            target(stop, *args)
            code = 0
        except Exception:
            log.exception("%s %d failed", self.kind, os.getpid())
        finally:
            os._exit(code)

    def restart_allowed(self) -> bool:
        """The restart budget: False once more than max_restarts children died within restart_window."""
        horizon = time.monotonic() - self.config.restart_window
        while self._deaths and self._deaths[0] < horizon:
            self._deaths.popleft()
        return len(self._deaths) <= self.config.max_restarts

    def shutdown(self) -> None:
        """Stop every child: TERM, wait out the grace period while reaping, KILL, reap again."""
        self.stopping = True
        for pid in list(self.children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + self.config.grace + TICK
        while self.children and not self.forced:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self.wait(min(remaining, TICK))
        for pid in list(self.children):
            self._killed.add(pid)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for pid in list(self.children):
            try:
                _, status = os.waitpid(pid, 0)
            except ChildProcessError:
                self.children.pop(pid, None)
            else:
                self._reaped(pid, status)

    def run_pool(self, listeners: list[socket.socket], model: str, worker: Callable[..., Any]) -> int:
        """prefork and prefork-evented: keep N children running ``worker(stop, listener, config,
        master_pid)`` until stopped; replace one that dies, within the restart budget.

        Worker ``i`` gets ``listeners[i % len(listeners)]``: one shared socket, or one each.
        A replacement gets the socket of the worker it replaces, which the master kept open,
        so connections queued on it while no one was accepting are not lost.
        """
        size = self.config.pool_size
        self.install()
        master = os.getpid()

        def start(slot: int) -> int:
            return self.spawn(worker, listeners[slot % len(listeners)], self.config, master)

        workers = [start(slot) for slot in range(size)]  # slot -> pid
        log_ready(listeners[0], model, size)
        failed = False
        while not self.stopping:
            self.wait(TICK)
            vacant = [slot for slot, pid in enumerate(workers) if pid not in self.children]
            if not vacant or self.stopping:
                continue
            if not self.restart_allowed():
                log.error(
                    "%d workers died within %.0f s (one that crashes at start?): giving up",
                    len(self._deaths),
                    self.config.restart_window,
                )
                failed = True
                break
            for slot in vacant:
                log.info("starting a worker to replace one that ended")
                workers[slot] = start(slot)
        for listener in listeners:
            listener.close()  # stop accepting: the workers' copies go as they exit
        self.shutdown()
        log.info("stopped")
        return 1 if failed or self.forced else 0
