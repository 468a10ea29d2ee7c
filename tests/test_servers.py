"""The six reference server models over real TCP, each in its own subprocess on port 0.

Servers that tests only talk to are shared per model for the module (``servers``);
tests that stop, kill or measure a server start their own.  Every socket operation
has a timeout and every process is stopped by its pid (see ``support.py``).
Conformance to the spec vectors is checked by ``conformance/``, not here.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from reference.bench.servers import sockets_held
from tests.support import (
    REPO,
    TIMEOUT,
    Server,
    alive,
    at_eof,
    call,
    children,
    error_code,
    frame,
    read_response,
    request,
    rss_kib,
    run_lpj,
    running_server,
    wait_for,
)

MODELS = ("single", "threaded", "forking", "prefork", "evented", "prefork-evented")
CONCURRENT = ("threaded", "forking", "evented", "prefork-evented")
POOLS = ("prefork", "prefork-evented")
WORKERS = ("--workers", "2")
DEFAULT_MAX_FRAME = 8 << 20


@pytest.fixture(scope="module")
def servers() -> Iterator[Callable[[str], Server]]:
    """``servers(model)``: a running server of that model, started on first use, kept for the module."""
    with contextlib.ExitStack() as stack:
        started: dict[str, Server] = {}

        def get(model: str) -> Server:
            if model not in started:
                started[model] = stack.enter_context(running_server(model, *WORKERS))
            assert started[model].proc.poll() is None, f"the shared {model} server has exited"
            return started[model]

        yield get


# -- the protocol, through every model ------------------------------------------


@pytest.mark.parametrize("model", MODELS)
def test_ping_round_trips_whole_pipelined_and_split(servers, model):
    server = servers(model)
    with server.connect() as sock:
        params = {"list": [1, -2.5, "é😀", None, True], "nested": {"a": [[]]}}
        assert call(sock, params) == {"out": "pong", "result": params}

        sock.sendall(b"".join(request(i) for i in range(200)))  # pipelined, read afterwards
        assert [read_response(sock) for _ in range(200)] == [{"out": "pong", "result": i} for i in range(200)]

        data = request("split")  # header one byte at a time, then the body in two pieces
        for piece in (data[0:1], data[1:2], data[2:3], data[3:4], data[4:9], data[9:]):
            sock.sendall(piece)
            time.sleep(0.01)
        assert read_response(sock) == {"out": "pong", "result": "split"}

        two_and_a_half = request(1) + request(2) + request(3)[:6]  # a frame and part of the next
        sock.sendall(two_and_a_half)
        assert [read_response(sock)["result"] for _ in range(2)] == [1, 2]
        sock.sendall(request(3)[6:])
        assert read_response(sock)["result"] == 3


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("length", [DEFAULT_MAX_FRAME + 1, 0xFFFFFFFF])
def test_frame_too_large_gets_32600_then_close(servers, model, length):
    server = servers(model)
    with server.connect() as sock:
        sock.sendall(struct.pack("<I", length) + b"x" * 4096)  # the server must not wait for the body
        assert error_code(read_response(sock)) == -32600
        assert at_eof(sock)
    with server.connect() as sock:  # and the server goes on serving
        assert call(sock, "after")["result"] == "after"


@pytest.mark.parametrize("model", MODELS)
def test_zero_length_frame_gets_32600_and_connection_stays_open(servers, model):
    with servers(model).connect() as sock:
        sock.sendall(b"\0\0\0\0")
        assert error_code(read_response(sock)) == -32600
        assert call(sock, "still open") == {"out": "pong", "result": "still open"}


@pytest.mark.parametrize("model", MODELS)
def test_bad_json_gets_32700_and_connection_stays_open(servers, model):
    with servers(model).connect() as sock:
        sock.sendall(frame(b'{"in": "ping", "params": '))
        assert error_code(read_response(sock)) == -32700
        assert error_code(call(sock, None, method="no-such-method")) == -32601
        assert call(sock, "still open") == {"out": "pong", "result": "still open"}


# -- concurrency, as each model says ---------------------------------------------


def _waits(sock: socket.socket, seconds: float = 0.5) -> bool:
    """True if no response arrives on ``sock`` within ``seconds`` (the request is queued)."""
    sock.settimeout(seconds)
    try:
        read_response(sock)
    except TimeoutError:
        return True
    finally:
        sock.settimeout(5.0)
    return False


def test_single_answers_a_second_connection_only_after_the_first_closes(servers):
    server = servers("single")
    with server.connect() as first:
        assert call(first, 1)["result"] == 1
        with server.connect() as second:
            second.sendall(request(2))
            assert _waits(second)
            assert call(first, 3)["result"] == 3
            first.close()
            assert read_response(second)["result"] == 2  # first closed: now second is served


def test_prefork_with_two_workers_serves_exactly_two_connections(servers):
    server = servers("prefork")
    with server.connect() as a, server.connect() as b, server.connect() as c:
        assert call(a, "a")["result"] == "a"
        assert call(b, "b")["result"] == "b"
        c.sendall(request("c"))
        assert _waits(c)  # both workers hold an idle connection: the third waits in the backlog
        a.close()
        assert read_response(c)["result"] == "c"
        assert call(b, "b again")["result"] == "b again"


@pytest.mark.parametrize("model", CONCURRENT)
def test_fifty_concurrent_connections(servers, model):
    server = servers(model)
    with contextlib.ExitStack() as stack:
        socks = [stack.enter_context(server.connect()) for _ in range(50)]
        for i, sock in enumerate(socks):
            sock.sendall(request(i))
        assert [read_response(sock)["result"] for sock in socks] == list(range(50))
        assert [call(sock, -i)["result"] for i, sock in enumerate(socks)] == [-i for i in range(50)]


@pytest.mark.parametrize("model", MODELS)
def test_a_slow_client_delays_nobody_but_on_single(servers, model):
    """One client sends a frame one byte per 100 ms; another pings meanwhile."""
    server = servers(model)
    data = request("slow")
    dribbled = 15
    with server.connect() as slow:

        def dribble() -> None:
            for i in range(dribbled):
                slow.sendall(data[i : i + 1])
                time.sleep(0.1)

        thread = threading.Thread(target=dribble, daemon=True)
        thread.start()
        try:
            time.sleep(0.05)  # the slow connection is the one being served
            with server.connect() as other:
                if model == "single":
                    other.sendall(request("other"))
                    assert _waits(other)
                    thread.join(5)
                    slow.sendall(data[dribbled:])
                    assert read_response(slow)["result"] == "slow"
                    slow.close()
                    assert read_response(other)["result"] == "other"
                else:
                    for i in range(5):
                        started = time.monotonic()
                        assert call(other, i)["result"] == i
                        assert time.monotonic() - started < 0.5
                    assert thread.is_alive(), "the pings did not overlap the slow frame"
        finally:
            thread.join(5)
        if model != "single":
            slow.sendall(data[dribbled:])
            assert read_response(slow)["result"] == "slow"


# -- processes -------------------------------------------------------------------


def test_forking_leaves_no_zombies_after_100_connections(servers):
    server = servers("forking")
    for i in range(100):
        with server.connect() as sock:
            assert call(sock, i)["result"] == i
    wait_for(lambda: not children(server.pid))  # every child exited and was reaped
    assert alive(server.pid)


def test_forking_children_yield_the_cpu_to_the_parent_that_accepts(servers):
    # Under a burst of busy clients the accepting parent must not queue behind its own children.
    server = servers("forking")
    with server.connect() as sock:
        assert call(sock, 1)["result"] == 1
        (child,) = children(server.pid)
        assert os.getpriority(os.PRIO_PROCESS, child) == 19
        assert os.getpriority(os.PRIO_PROCESS, server.pid) == os.getpriority(os.PRIO_PROCESS, 0)


@pytest.mark.skipif(sys.platform != "linux", reason="SO_REUSEPORT spreads connections only on Linux")
def test_prefork_evented_spreads_a_burst_of_clients_over_its_workers():
    # On one shared listener the first worker to wake took a whole burst (0/16 measured).
    with running_server("prefork-evented", *WORKERS) as server, contextlib.ExitStack() as stack:
        workers = wait_for(lambda: len(server.workers()) == 2 and server.workers())
        one_cpu = {min(os.sched_getaffinity(0))}  # as lpj bench runs it: where the herd is worst
        for pid in (server.pid, *workers):
            os.sched_setaffinity(pid, one_cpu)
        baseline = {pid: sockets_held(pid) for pid in workers}
        clients = [stack.enter_context(socket.socket()) for _ in range(64)]
        for sock in clients:  # a burst: every handshake is under way before any worker wakes
            sock.setblocking(False)
            sock.connect_ex((server.host, server.port))
        for sock in clients:
            select.select([], [sock], [], TIMEOUT)
            sock.settimeout(TIMEOUT)
        for i, sock in enumerate(clients):
            assert call(sock, i)["result"] == i
        served = sorted(sockets_held(pid) - baseline[pid] for pid in workers)
        assert sum(served) == 64
        assert served[0] >= 16, served  # a fair coin gives fewer than 16 of 64 once in 30,000 runs


@pytest.mark.parametrize("model", POOLS)
def test_pool_replaces_a_killed_worker_and_stops_clean(model):
    with running_server(model, *WORKERS) as server:
        workers = wait_for(lambda: len(server.workers()) == 2 and server.workers())
        victim = min(workers)
        os.kill(victim, signal.SIGKILL)
        pool = wait_for(lambda: (w := server.workers()) and len(w) == 2 and victim not in w and w)
        assert all(state != "Z" for state in pool.values())
        wait_for(lambda: server.logged(f"worker {victim} was killed by SIGKILL"))
        for i in range(4):
            with server.connect() as sock:
                assert call(sock, i)["result"] == i
        everyone = set(pool) | set(workers)
        server.signal(signal.SIGTERM)
        assert server.proc.wait(10) == 0
        assert not [pid for pid in everyone if alive(pid)]


def test_pool_gives_up_when_workers_crash_at_start():
    """A worker that dies at once must stop the master (restart budget), not loop forever."""
    code = (
        "import logging, sys\n"
        "from reference.servers._plumbing import ServerConfig, Supervisor, bind\n"
        "def worker(stop, listener, config, master):\n"
        "    raise RuntimeError('cannot start')\n"
        "logging.basicConfig(level='INFO')\n"
        "config = ServerConfig(port=0, workers=2, max_restarts=3)\n"
        "sys.exit(Supervisor(config).run_pool([bind(config)], 'crashing', worker))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 1, result.stderr
    assert "giving up" in result.stderr
    assert result.stderr.count("RuntimeError: cannot start") <= 6


# -- stopping --------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS)
def test_sigterm_finishes_requests_in_flight_and_exits_0(model):
    with running_server(model, *WORKERS) as server:
        busy = server.connect()
        assert call(busy, "ready")["result"] == "ready"
        batch = idle = None
        if model != "single":
            batch = server.connect()
            assert call(batch, "ready")["result"] == "ready"
        if model not in ("single", "prefork"):  # prefork --workers 2 is full already
            idle = server.connect()
            assert call(idle, "ready")["result"] == "ready"
        family = set(children(server.pid))
        half = request("in flight")
        busy.sendall(half[:10])
        time.sleep(0.2)
        if batch is not None:
            batch.sendall(b"".join(request(i) for i in range(50)))
        server.signal(signal.SIGTERM)
        if idle is not None:
            assert at_eof(idle), "an idle connection was not closed on stop"
        else:
            time.sleep(0.3)
        busy.sendall(half[10:])
        assert read_response(busy) == {"out": "pong", "result": "in flight"}
        assert at_eof(busy)
        if batch is not None:
            assert [read_response(batch)["result"] for _ in range(50)] == list(range(50))
            assert at_eof(batch)
        assert server.proc.wait(10) == 0
        assert not [pid for pid in family if alive(pid)]
        for sock in (busy, batch, idle):
            if sock is not None:
                sock.close()


@pytest.mark.parametrize("model", ["evented", "prefork-evented"])
def test_event_loops_work_on_poll_where_there_is_no_epoll(model):
    no_epoll = "import select, reference.servers._plumbing as p\np.new_poller, p.POLL_UNITS = select.poll, 1000.0"
    with running_server(model, *WORKERS, first=no_epoll) as server:
        loops = wait_for(lambda: server.workers()) if model in POOLS else [server.pid]
        for pid in loops:
            fds = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
            assert "anon_inode:[eventpoll]" not in fds  # the fallback is what runs
        with server.connect() as sock:
            sock.sendall(b"".join(request(i) for i in range(50)))  # pipelined
            assert [read_response(sock)["result"] for _ in range(50)] == list(range(50))
            sock.shutdown(socket.SHUT_WR)
            assert at_eof(sock)


def minor_faults(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[7])  # minflt, the 10th field


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="counts page faults in /proc")
def test_large_requests_do_not_page_fault_every_time(servers):
    # glibc's defaults hand a freed 64 KiB body back to the kernel and fault it in again:
    # 13-26 faults per request were measured before the server kept its freed memory.
    server = servers("evented")
    big = "x" * 65536
    with server.connect() as sock:
        for _ in range(20):  # the heap grows to its working size first
            assert call(sock, big)["result"] == big
        before = minor_faults(server.pid)
        for _ in range(100):
            assert call(sock, big)["result"] == big
        assert minor_faults(server.pid) - before < 100  # fewer than one per request


# -- backpressure ----------------------------------------------------------------


def test_evented_memory_stays_bounded_when_a_client_does_not_read():
    count, payload = 10_000, "x" * 8000
    data = memoryview(request(payload) * count)
    with running_server("evented") as server, server.connect() as sock:
        assert call(sock, "warm up")["result"] == "warm up"
        before = rss_kib(server.pid)
        sock.settimeout(0.2)
        sent, stalled_since = 0, None
        while sent < len(data):
            try:
                sent += sock.send(data[sent : sent + (1 << 20)])
                stalled_since = None
            except TimeoutError:
                stalled_since = stalled_since or time.monotonic()
                if time.monotonic() - stalled_since > 1.0:
                    break
        grown = rss_kib(server.pid) - before
        print(f"sent {sent} of {len(data)} bytes before stalling; server RSS {before} KiB, grew {grown} KiB")
        assert sent < len(data), "the server read everything: no backpressure to observe"
        assert grown < 32 * 1024, f"server RSS grew by {grown} KiB while the client did not read"

        received: list[object] = []

        def reader() -> None:
            sock.settimeout(10)
            received.extend(read_response(sock)["result"] == payload for _ in range(count))

        thread = threading.Thread(target=reader, daemon=True)
        thread.start()
        sock.settimeout(10)
        sock.sendall(data[sent:])
        thread.join(30)
        assert received == [True] * count  # every request answered once the client reads


# -- the command line ------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--model", "nope"], "invalid choice"),
        (["--model", "single", "--port", "70000"], "port number must be between 0 and 65535"),
        (["--model", "single", "--port", "http"], "not a port number"),
        (["--model", "single", "--idle-timeout", "5"], "LPJ-CONN-3"),
        (["--model", "single", "--max-frame", "10"], "frame limit must be between"),
    ],
)
def test_bad_command_line_is_one_line_and_exit_2(args, expected):
    result = run_lpj("serve", *args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], result.stderr


def test_port_in_use_is_one_line_and_exit_2():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_lpj("serve", "--model", "evented", "--port", str(port))
    assert result.returncode == 2
    assert result.stderr.strip() == f"lpj serve: cannot listen on 127.0.0.1:{port}: address already in use"
