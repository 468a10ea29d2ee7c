"""Informational measurements of a target: they shape some cases, never fail any.

The concurrency class decides how the robustness and stateful cases use
several connections: a sequential server is not expected to answer a second
connection while the first is open (spec section 12).
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from conformance.targets import Target
from conformance.wire import Ended, Transcript, Wire, frame

PING_PROBE = frame(b'{"in":"ping","params":"probe"}')
CONCURRENCY_LIMIT = 8


def concurrency(target: Target, io_timeout: float) -> dict[str, Any]:
    """Hold connections that each got a pong; the first one left unanswered gives the class."""
    if "concurrency" in target.character:
        return target.character["concurrency"]  # type: ignore[return-value]
    assert target.address is not None
    wait = min(io_timeout, 0.5)
    held: list[Wire] = []
    served = 0
    try:
        for _ in range(CONCURRENCY_LIMIT):
            wire = Wire(target.address, Transcript(), io_timeout=io_timeout, name="held").connect()
            held.append(wire)
            wire.send(PING_PROBE)
            if isinstance(wire.read_frame("pong", timeout=wait), Ended):
                break
            served += 1
    finally:
        for wire in held:
            wire.close()
    if served <= 1:
        found = {"class": "sequential", "connections": 1}
    elif served < CONCURRENCY_LIMIT:
        found = {"class": "bounded", "connections": served}
    else:
        found = {"class": "unbounded", "connections": f">={CONCURRENCY_LIMIT}"}
    target.character["concurrency"] = found
    return found


def latency_and_throughput(
    target: Target, io_timeout: float, pings: int = 200, pipelined: int = 2000
) -> dict[str, Any]:
    assert target.address is not None
    wire = Wire(target.address, Transcript(), io_timeout=io_timeout, name="measure").connect()
    try:
        times = []
        for _ in range(pings):
            started = time.perf_counter()
            wire.send(PING_PROBE)
            if isinstance(wire.read_frame("pong"), Ended):
                return {"latency": "no answer"}
            times.append(time.perf_counter() - started)
        wire.transcript.lines.clear()
        started = time.perf_counter()
        wire.send(PING_PROBE * pipelined)
        for _ in range(pipelined):
            if isinstance(wire.read_frame("pong"), Ended):
                return {"latency": "no answer"}
        elapsed = time.perf_counter() - started
    finally:
        wire.close()
    times.sort()
    return {
        "rtt_median_ms": round(statistics.median(times) * 1000, 3),
        "rtt_p99_ms": round(times[int(len(times) * 0.99) - 1] * 1000, 3),
        "pipelined_req_per_s": round(pipelined / elapsed),
    }


def largest_frame(target: Target, io_timeout: float, cap: int = 16 << 20) -> str:
    """The largest body (powers of two from 1 MiB, up to ``cap``) answered with a pong."""
    assert target.address is not None
    size, largest = 1 << 20, "none"
    while size <= cap:
        text = "a" * (size - len('{"in":"ping","params":""}'))
        body = ('{"in":"ping","params":"' + text + '"}').encode()
        with Wire(target.address, Transcript(), io_timeout=io_timeout, name="big") as wire:
            if wire.send(frame(body)) is not None:
                break
            received = wire.read_frame("pong to a large frame")
            if isinstance(received, Ended) or b'"pong"' not in received.body[:64] + received.body[-64:]:
                break
        largest = f"{size >> 20} MiB"
        size *= 2
    return largest if size <= cap else f">= {cap >> 20} MiB (the kit's cap)"
