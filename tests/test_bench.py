"""``lpj bench``, its load generator, the yardstick and the Locust user, over real TCP on port 0.

Runs are short (about a second); every socket has a timeout and every process is
stopped by its pid.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from reference.bench.loadgen import LoadSpec, run_load
from reference.bench.servers import ServerProcess
from tests.support import REPO, TIMEOUT, call, run_lpj, running_server

HEADER = struct.Struct("<I")


@pytest.fixture(scope="module")
def evented() -> Iterator:
    with running_server("evented") as server:
        yield server


@pytest.mark.parametrize("busy_poll", [False, True], ids=["sleeping", "busy-polling"])
def test_load_generator_counts_and_validates_responses(evented, busy_poll: bool) -> None:
    spec = LoadSpec(
        evented.host, evented.port, connections=4, pipeline=4, duration=1.0, processes=2, drain=2.0, busy_poll=busy_poll
    )
    result = run_load(spec)
    summary = result.summary()
    assert summary["errors"] == 0, summary["error_kinds"]
    assert summary["lost"] == 0
    assert summary["requests"] > 1000
    assert summary["sent"] == summary["requests"] + summary["drained"]
    assert len(result.per_connection) == 4 and summary["fairness"]["min"] > 0
    assert 0 < summary["latency_ms"]["p50"] <= summary["latency_ms"]["p99"] <= summary["latency_ms"]["max"]


def test_clients_leave_after_the_run_so_a_one_at_a_time_server_answers_everyone() -> None:
    with running_server("single") as server:
        spec = LoadSpec(server.host, server.port, connections=3, duration=0.5, drain=3.0)
        summary = run_load(spec).summary()
    assert summary["errors"] == 0 and summary["lost"] == 0  # the queued two are answered after the run...
    assert summary["drained"] >= 2 and summary["fairness"]["min"] == 1  # ...once each, when the first leaves
    assert summary["latency_ms"]["max"] >= 500  # and the wait shows


@contextlib.contextmanager
def wrong_server(result: object) -> Iterator[tuple[str, int]]:
    """A tiny server that answers every frame with a pong whose result is ``result``."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()
    body = json.dumps({"out": "pong", "result": result}).encode()
    answer = HEADER.pack(len(body)) + body

    def serve(conn: socket.socket) -> None:
        conn.settimeout(TIMEOUT)
        buffer = b""
        with conn, contextlib.suppress(OSError):
            while not stop.is_set():
                data = conn.recv(65536)
                if not data:
                    return
                buffer += data
                while len(buffer) >= 4 and len(buffer) >= 4 + HEADER.unpack_from(buffer)[0]:
                    buffer = buffer[4 + HEADER.unpack_from(buffer)[0] :]
                    conn.sendall(answer)

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[:2]
    finally:
        stop.set()
        thread.join(TIMEOUT)
        listener.close()


@pytest.mark.parametrize("busy_poll", [False, True], ids=["sleeping", "busy-polling"])
@pytest.mark.parametrize("result", ["wrong", [0, "x" * 16], [0, "x" * 15]])
def test_load_generator_counts_wrong_answers_as_errors(result: object, busy_poll: bool) -> None:
    # [0, 16 x's] would be right for connection 0 only: connection 1 must notice crossed wires.
    with wrong_server(result) as (host, port):
        summary = run_load(LoadSpec(host, port, connections=2, duration=0.5, drain=1.0, busy_poll=busy_poll)).summary()
    assert summary["errors"] > 0
    assert "result differs from params" in summary["error_kinds"]
    assert summary["lost"] == 0


def test_yardstick_answers_like_a_server() -> None:
    with ServerProcess("yardstick") as server:
        sock = socket.create_connection((server.host, server.port), timeout=TIMEOUT)
        with sock:
            assert call(sock, {"a": [1, "é"]}) == {"out": "pong", "result": {"a": [1, "é"]}}
            assert call(sock, 1, method="nope")["result"]["code"] == -32601
    assert server.proc.returncode is not None


@pytest.mark.parametrize(
    "args",
    [
        ["--connections", "0"],
        ["--connections", "x"],
        ["--pipeline", "-1"],
        ["--duration", "nan"],
        ["--target", "nowhere"],
        ["--target", "127.0.0.1:1", "--model", "evented"],
        ["--model", "nosuch"],
    ],
)
def test_bad_arguments_exit_2_with_one_line(args: list[str]) -> None:
    done = run_lpj("bench", *args)
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stderr.startswith("lpj bench: ")


def test_unreachable_target_exits_1_with_one_line() -> None:
    with socket.socket() as reserved:  # bound, never listening: connecting is refused
        reserved.bind(("127.0.0.1", 0))
        done = run_lpj("bench", "--target", f"127.0.0.1:{reserved.getsockname()[1]}", "--duration", "0.5")
    assert done.returncode == 1
    assert done.stderr.strip().startswith("lpj bench: cannot connect to 127.0.0.1:")
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.fixture(scope="module")
def bench_run(evented, tmp_path_factory) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = tmp_path_factory.mktemp("bench")
    done = run_lpj(
        "bench",
        "--target",
        f"{evented.host}:{evented.port}",
        "--connections",
        "1,4",
        "--pipeline",
        "2",
        "--duration",
        "0.5",
        "--drain",
        "1",
        "--json",
        str(out / "bench.json"),
        "--plot",
        str(out / "bench.png"),
        "--markdown",
        str(out / "bench.md"),
    )
    assert done.returncode == 0, done.stderr
    return done, out


def test_json_output_has_the_documented_fields(bench_run) -> None:
    done, out = bench_run
    document = json.loads((out / "bench.json").read_text())
    assert {"date", "cpus", "python", "argv", "results", "busy_poll"} <= set(document)
    assert document["busy_poll"] is False  # a --target may share the load generator's CPUs: never spin on it
    assert len(document["results"]) == 2
    for result in document["results"]:
        assert {
            "server",
            "scenario",
            "target",
            "connections",
            "pipeline",
            "payload",
            "duration",
            "requests",
            "rps",
            "latency_ms",
            "errors",
            "error_kinds",
            "lost",
            "fairness",
            "sent",
        } <= set(result)
        assert set(result["latency_ms"]) == {"p50", "p90", "p99", "p99.9", "max"}
        assert set(result["fairness"]) == {"min", "max"}
        assert result["errors"] == 0 and result["lost"] == 0 and result["rps"] > 0
    assert "req/s" in done.stdout and "p99" in done.stdout


def test_markdown_has_a_row_per_server_and_a_column_per_scenario(bench_run) -> None:
    _, out = bench_run
    lines = (out / "bench.md").read_text().splitlines()
    assert lines[0] == "| server | c1xd2 | c4xd2 |"
    assert len(lines) == 3 and lines[2].startswith("| 127.0.0.1:")


def test_ratios_are_the_median_of_paired_rounds() -> None:
    from reference.bench.suite import best_of_rounds, markdown_table

    def cell(server: str, rnd: int, rps: float) -> dict:
        return {
            "scenario": "S1",
            "server": server,
            "round": rnd,
            "rps": rps,
            "errors": 0,
            "lost": 0,
            "latency_ms": {"p99": 0.1},
        }

    # The yardstick slows down in round 2 (a noisy minute) together with the server: the rounds'
    # ratios are 2, 2 and 1, so the paired median is 2, where medians of req/s would give 1.5.
    results = [
        cell("evented", 1, 300),
        cell("yardstick", 1, 150),
        cell("evented", 2, 100),
        cell("yardstick", 2, 50),
        cell("evented", 3, 150),
        cell("yardstick", 3, 150),
    ]
    chosen = {r["server"]: r for r in best_of_rounds(results)}
    assert chosen["evented"]["ratio"] == 2.0 and chosen["evented"]["rps"] == 150 and chosen["evented"]["rounds"] == 3
    assert chosen["yardstick"]["ratio"] == 1.0
    assert "150 (2.00x)" in markdown_table(list(chosen.values()))


def test_plot_writes_a_png(bench_run) -> None:
    pytest.importorskip("matplotlib", reason="--plot needs matplotlib (the bench extra)")
    _, out = bench_run
    assert (out / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_locust_master_and_worker_count_requests_without_failures(evented, tmp_path) -> None:
    if importlib.util.find_spec("locust") is None:  # not imported here: it monkey-patches the process
        pytest.skip("locust is not installed (pip install 'lpj-rpc[locust]')")
    with socket.socket() as probe:  # a free port for the master (released just before use)
        probe.bind(("127.0.0.1", 0))
        master_port = probe.getsockname()[1]
    locustfile = str(REPO / "reference" / "locust_user.py")
    common = [sys.executable, "-m", "locust", "-f", locustfile]
    master = subprocess.Popen(
        [*common, "--master", "--headless", "--expect-workers", "1", "-u", "4", "-r", "4", "-t", "3s",
         "--master-bind-host", "127.0.0.1", "--master-bind-port", str(master_port),
         "--host", f"{evented.host}:{evented.port}", "--csv", str(tmp_path / "run"), "--only-summary"],
        cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    worker = subprocess.Popen(
        [*common, "--worker", "--master-host", "127.0.0.1", "--master-port", str(master_port)],
        cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        output, _ = master.communicate(timeout=25)
        worker.wait(10)
    finally:
        for proc in (master, worker):
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(5)
    assert master.returncode == 0, output[-2000:]
    rows = (tmp_path / "run_stats.csv").read_text().splitlines()
    header = rows[0].split(",")
    ping = dict(zip(header, next(r for r in rows if ",ping," in r).split(","), strict=True))
    assert ping["Type"] == "LPJ"
    assert int(ping["Request Count"]) > 100
    assert int(ping["Failure Count"]) == 0
