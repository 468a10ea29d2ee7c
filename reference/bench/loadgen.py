"""The load generator: P processes, each driving its share of N connections with an event loop.

Every connection keeps ``pipeline`` requests in flight: it sends that many at once and
one more for each response, in batches (whatever one ``recv`` completed is replaced by
one ``send``).  Requests carry ``[connection number, "xxx..."]`` as params, so each
connection has its own expected answer and crossed wires show.

Checking is cheap because answers repeat: a connection's first response is fully
validated (framing, ``"out": "pong"``, a result JSON-equal to the params, compared
type-strictly) and its exact bytes remembered; after that, a run of complete frames in
the buffer is compared with that frame repeated, one ``memcmp``.  Anything that differs
is split into frames and each one fully validated, so every response is checked and
the load generator's cost per response is a fraction of a microsecond when pipelining.

With ``busy_poll`` the loop asks for ready sockets without ever blocking.  That burns
its CPU, so it is for a load generator pinned to CPUs no server uses; in return a
response is read the moment it arrives, and the server's ``send`` need not wake a
sleeping process on another CPU, which on a VM costs more than answering a ping.

Latency is from the ``send`` that carried a request to the ``recv`` that completed its
response, recorded in a histogram of whole microseconds.  When the run ends, each
connection closes as soon as it has nothing in flight, and answers that come in the
drain period after it count in the latencies but not in the rate.  Requests still
unanswered after the drain are *lost*; a connection the server closes or resets
is an error and loses what it had in flight.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import socket
import struct
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from reference.servers._plumbing import POLL_UNITS, READ, READABLE, WRITE, new_poller

HEADER = struct.Struct("<I")
RECV_SIZE = 256 * 1024
MAX_RESPONSE = 64 << 20


@dataclass(frozen=True)
class LoadSpec:
    host: str
    port: int
    connections: int = 16
    pipeline: int = 1
    duration: float = 5.0
    payload: int = 16  # characters in the params' string
    processes: int = 1
    drain: float = 2.0  # seconds to wait for answers still in flight after the run
    connect_timeout: float = 5.0
    cpus: tuple[int, ...] | None = None  # pin the load workers to these CPUs (Linux)
    busy_poll: bool = False  # never sleep waiting for responses: only on CPUs the servers do not use


@dataclass
class LoadResult:
    """What one run measured; :meth:`summary` is the JSON-ready form."""

    spec: LoadSpec
    elapsed: float = 0.0
    completed: int = 0  # responses received within the run (the rate's numerator)
    drained: int = 0  # responses received in the drain period after it
    sent: int = 0
    lost: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    histogram: Counter[int] = field(default_factory=Counter)  # microseconds -> responses
    per_connection: list[int] = field(default_factory=list)

    def merge(self, other: LoadResult) -> None:
        self.elapsed = max(self.elapsed, other.elapsed)
        self.completed += other.completed
        self.drained += other.drained
        self.sent += other.sent
        self.lost += other.lost
        self.errors.update(other.errors)
        self.histogram.update(other.histogram)
        self.per_connection.extend(other.per_connection)

    @property
    def rps(self) -> float:
        return self.completed / self.elapsed if self.elapsed else 0.0

    def percentile(self, q: float) -> float:
        """Latency in milliseconds below which a fraction ``q`` of responses came."""
        total = sum(self.histogram.values())
        if not total:
            return float("nan")
        rank, seen = q * total, 0
        for micros in sorted(self.histogram):
            seen += self.histogram[micros]
            if seen >= rank:
                return micros / 1000
        return max(self.histogram) / 1000

    def summary(self) -> dict[str, Any]:
        spec = self.spec
        return {
            "target": f"{spec.host}:{spec.port}",
            "connections": spec.connections,
            "pipeline": spec.pipeline,
            "payload": spec.payload,
            "duration": spec.duration,
            "processes": spec.processes,
            "elapsed": round(self.elapsed, 4),
            "requests": self.completed,
            "rps": round(self.rps, 1),
            "latency_ms": {
                "p50": self.percentile(0.5),
                "p90": self.percentile(0.9),
                "p99": self.percentile(0.99),
                "p99.9": self.percentile(0.999),
                "max": max(self.histogram, default=0) / 1000 if self.histogram else float("nan"),
            },
            "sent": self.sent,
            "drained": self.drained,
            "errors": sum(self.errors.values()),
            "error_kinds": dict(self.errors),
            "lost": self.lost,
            "fairness": {
                "min": min(self.per_connection, default=0),
                "max": max(self.per_connection, default=0),
            },
        }


def params_for(number: int, payload: int) -> list[Any]:
    return [number, "x" * payload]


def _canonical(value: Any) -> str:
    """A text that two JSON values share only if they are equal, types included (1 is not 1.0 or true)."""

    def tag(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: tag(x) for k, x in v.items()}
        if isinstance(v, list):
            return [tag(x) for x in v]
        return [type(v).__name__, v]

    return json.dumps(tag(value), sort_keys=True)


def validate(body: bytes, params: Any) -> str | None:
    """Why ``body`` is not a correct answer to ``ping(params)``, or None if it is."""
    try:
        message = json.loads(body)
    except (ValueError, RecursionError):
        return "response is not JSON"
    if type(message) is not dict:
        return "response is not an object"
    if message.get("out") != "pong":
        return f"out is {message.get('out')!r}, not 'pong'"
    if "result" not in message:
        return "response has no result"
    if _canonical(message["result"]) != _canonical(params):
        return "result differs from params"
    return None


class Connection:
    __slots__ = (
        "batches",
        "closed",
        "expected",
        "expected_size",
        "fd",
        "inbuf",
        "number",
        "outstanding",
        "params",
        "pending",
        "repeats",
        "request",
        "requests",
        "responses",
        "sock",
        "writing",
    )

    def __init__(self, sock: socket.socket, number: int, payload: int) -> None:
        self.sock = sock
        self.fd = sock.fileno()
        self.number = number
        self.params = params_for(number, payload)
        body = json.dumps({"in": "ping", "params": self.params}, separators=(",", ":")).encode()
        self.request = HEADER.pack(len(body)) + body
        self.requests: dict[int, bytes] = {}  # k -> request * k
        self.expected: bytes | None = None  # the first validated response frame, header included
        self.expected_size = 0
        self.repeats: dict[int, bytes] = {}  # k -> expected * k
        self.inbuf = bytearray()
        self.pending: bytes | memoryview = b""  # request bytes not yet taken by the kernel
        self.batches: deque[list[float]] = deque()  # [send time, requests] in order
        self.outstanding = 0
        self.responses = 0
        self.closed = False
        self.writing = False  # registered for WRITE: the kernel has not taken all of ``pending``


class Worker:
    """One process's share of the connections; :meth:`run` returns its :class:`LoadResult`."""

    def __init__(self, spec: LoadSpec, numbers: list[int]) -> None:
        self.spec = spec
        self.numbers = numbers
        self.poller = new_poller()
        self.result = LoadResult(spec)
        self.conns: list[Connection] = []
        self.by_fd: dict[int, Connection] = {}
        self.buffer = bytearray(RECV_SIZE)
        self.view = memoryview(self.buffer)
        self.sending = True
        self.end = 0.0

    def connect(self) -> None:
        spec = self.spec
        for number in self.numbers:
            sock = socket.create_connection((spec.host, spec.port), timeout=spec.connect_timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.setblocking(False)
            conn = Connection(sock, number, spec.payload)
            self.conns.append(conn)
            self.by_fd[conn.fd] = conn
            self.poller.register(conn.fd, READ)

    def run(self, start: float, progress: Any = None, slot: int = 0) -> LoadResult:
        spec, result = self.spec, self.result
        self.end = start + spec.duration
        while time.monotonic() < start:
            time.sleep(min(0.01, max(0.0, start - time.monotonic())))
        now = time.monotonic()
        for conn in self.conns:
            self.send(conn, spec.pipeline, now)
        drain_end = self.end + spec.drain
        next_report = now + 0.1
        poll, by_fd = self.poller.poll, self.by_fd
        while True:
            now = time.monotonic()
            if self.sending and now >= self.end:
                self.sending = False
                result.elapsed = now - start
                for conn in self.conns:
                    if not conn.outstanding:
                        self.leave(conn)
            if not self.sending and (now >= drain_end or not any(c.outstanding for c in self.conns if not c.closed)):
                break
            if progress is not None and now >= next_report:
                progress[slot] = result.completed
                next_report = now + 0.1
            timeout = 0.0 if spec.busy_poll else max(0.0, min((self.end if self.sending else drain_end) - now, 0.1))
            for fd, mask in poll(timeout * POLL_UNITS):
                conn = by_fd[fd]
                if mask & READABLE and not conn.closed:
                    self.read(conn)
                if mask & WRITE and not conn.closed:
                    self.flush(conn)
        if progress is not None:
            progress[slot] = result.completed
        for conn in self.conns:
            result.lost += conn.outstanding
            result.per_connection.append(conn.responses)
            if not conn.closed:
                conn.sock.close()
        if hasattr(self.poller, "close"):
            self.poller.close()
        return result

    def send(self, conn: Connection, k: int, now: float) -> None:
        data = conn.requests.get(k)
        if data is None:
            data = conn.requests[k] = conn.request * k
        conn.batches.append([now, k])
        conn.outstanding += k
        self.result.sent += k
        if conn.pending:
            conn.pending = bytes(conn.pending) + data  # sent when the socket takes more (WRITE)
        else:
            self.flush(conn, data)

    def flush(self, conn: Connection, data: bytes | memoryview | None = None) -> None:
        """Send ``data`` (by default what is pending); keep what the kernel does not take."""
        if data is None:
            data = conn.pending
        try:
            sent = conn.sock.send(data)
        except BlockingIOError:
            sent = 0
        except OSError as exc:
            self.fail(conn, f"send failed: {exc.strerror}")
            return
        conn.pending = memoryview(data)[sent:] if sent < len(data) else b""
        self.want_write(conn, bool(conn.pending))

    def want_write(self, conn: Connection, writing: bool) -> None:
        if writing != conn.writing:
            conn.writing = writing
            self.poller.modify(conn.fd, READ | WRITE if writing else READ)

    def read(self, conn: Connection) -> None:
        try:
            n = conn.sock.recv_into(self.buffer)
        except BlockingIOError:
            return
        except OSError as exc:
            self.fail(conn, f"connection reset ({exc.strerror})")
            return
        if n == 0:
            self.fail(conn, "server closed the connection" + (" with requests in flight" if conn.outstanding else ""))
            return
        now = time.monotonic()
        buf = conn.inbuf
        size = conn.expected_size
        # The usual case: this recv holds whole responses only, each the expected bytes.
        done = n // size if size and not buf and n % size == 0 else 0
        if not (done and self.buffer.startswith(self.repeated(conn, done))):
            buf += self.view[:n]
            done = self.consume(conn, buf)
            if not done:
                return
        if done > conn.outstanding:
            self.result.errors["unsolicited response"] += done - conn.outstanding
            done = conn.outstanding
        conn.outstanding -= done
        conn.responses += done
        result = self.result
        if now <= self.end:
            result.completed += done
        else:
            result.drained += done
        histogram, batches, left = result.histogram, conn.batches, done
        while left:
            batch = batches[0]
            take = min(batch[1], left)
            histogram[int((now - batch[0]) * 1e6)] += take
            if take == batch[1]:
                batches.popleft()
            else:
                batch[1] -= take
            left -= take
        if self.sending and not conn.closed:
            self.send(conn, done, now)
        elif not conn.outstanding:
            self.leave(conn)

    def leave(self, conn: Connection) -> None:
        """After the run, a client with nothing in flight goes away, as real ones do: a server
        that serves one connection at a time can then get to the clients queued behind it."""
        if not conn.closed:
            conn.closed = True
            self.poller.unregister(conn.fd)
            conn.sock.close()

    def consume(self, conn: Connection, buf: bytearray) -> int:
        """Check and remove the complete frames at the start of ``buf``; return how many."""
        expected = conn.expected
        if expected is not None:
            count = len(buf) // len(expected)
            if count:
                block = self.repeated(conn, count)
                if buf.startswith(block):
                    del buf[: len(block)]
                    return count
        count, pos, size = 0, 0, len(buf)
        while size - pos >= 4:
            (length,) = HEADER.unpack_from(buf, pos)
            if length == 0 or length > MAX_RESPONSE:
                self.fail(conn, f"bad frame length {length}")
                return count
            end = pos + 4 + length
            if end > size:
                break
            frame = bytes(buf[pos:end])
            if frame != expected:
                problem = validate(frame[4:], conn.params)
                if problem is not None:
                    self.result.errors[problem] += 1
                elif expected is None:
                    conn.expected = expected = frame
                    conn.expected_size = len(frame)
            count += 1
            pos = end
        del buf[:pos]
        return count

    @staticmethod
    def repeated(conn: Connection, count: int) -> bytes:
        """The expected response ``count`` times over, as one block to compare with."""
        block = conn.repeats.get(count)
        if block is None:
            assert conn.expected is not None
            block = conn.repeats[count] = conn.expected * count
        return block

    def fail(self, conn: Connection, reason: str) -> None:
        if not conn.closed:
            self.result.errors[reason] += 1
            conn.closed = True
            self.poller.unregister(conn.fd)
            conn.sock.close()


def _child(spec: LoadSpec, numbers: list[int], pipe: Any, progress: Any, slot: int) -> None:
    if spec.cpus and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, spec.cpus)
    worker = Worker(spec, numbers)
    try:
        worker.connect()
    except OSError as exc:
        pipe.send(("failed", f"cannot connect to {spec.host}:{spec.port}: {exc.strerror or exc}"))
        return
    pipe.send(("ready", None))
    start = pipe.recv()
    pipe.send(("done", worker.run(start, progress, slot)))


class LoadFailed(Exception):
    """The load could not be applied (target unreachable, a worker died)."""


def run_load(spec: LoadSpec, on_progress: Any = None) -> LoadResult:
    """Apply ``spec``'s load with ``spec.processes`` forked workers; merge what they measured.

    ``on_progress(elapsed, responses)`` is called about ten times a second while the load runs.
    """
    context = multiprocessing.get_context("fork")  # ``python -m reference`` has no __main__ guard for spawn
    processes = max(1, min(spec.processes, spec.connections))
    progress = context.Array("q", processes, lock=False)
    children = []
    try:
        for slot in range(processes):
            numbers = list(range(slot, spec.connections, processes))
            parent_end, child_end = context.Pipe()
            proc = context.Process(target=_child, args=(spec, numbers, child_end, progress, slot), daemon=True)
            proc.start()
            child_end.close()
            children.append((proc, parent_end))
        for _, pipe in children:
            if not pipe.poll(spec.connect_timeout * 2 + 5):
                raise LoadFailed("a load worker did not connect in time")
            kind, detail = pipe.recv()
            if kind == "failed":
                raise LoadFailed(detail)
        start = time.monotonic() + 0.05
        for _, pipe in children:
            pipe.send(start)
        total = LoadResult(spec)
        deadline = start + spec.duration + spec.drain + 30
        for proc, pipe in children:
            while not pipe.poll(0.1):
                if on_progress is not None:
                    on_progress(max(0.0, time.monotonic() - start), sum(progress))
                if time.monotonic() > deadline or not proc.is_alive():
                    raise LoadFailed(f"load worker {proc.pid} did not finish")
            kind, part = pipe.recv()
            total.merge(part)
        if on_progress is not None:
            on_progress(spec.duration, sum(progress))
        return total
    except EOFError:
        raise LoadFailed("a load worker died") from None
    finally:
        for proc, pipe in children:
            pipe.close()
            proc.join(5)
            if proc.is_alive():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, 9)
                proc.join(5)
