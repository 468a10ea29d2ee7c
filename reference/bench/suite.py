"""Scenarios, the loop that runs them against several servers, and the tables that report them.

The suite's scenarios (``lpj bench --suite``) are those of issue 5:

== ===========  ========  ==========  =================================================
S1 1 connection   1 in flight  16 B params   latency-bound: one request at a time
S2 16 conns       1 in flight  16 B params   many clients, none pipelining
S3 16 conns       16 in flight 16 B params   pipelined: throughput per syscall
S4 256 conns      1 in flight  16 B params   many connections: fairness, starvation
S5 16 conns       1 in flight  64 KiB params large bodies: copying and JSON of big strings
== ===========  ========  ==========  =================================================

Servers are interleaved round by round (every server runs S1, then every server S2...),
so that a drift of the machine during the run (another job, thermal limits) spreads over
all servers instead of favouring the ones measured first.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from reference.bench.loadgen import LoadSpec, run_load
from reference.bench.servers import YARDSTICK, ServerProcess


@dataclass(frozen=True)
class Scenario:
    name: str
    connections: int
    pipeline: int
    payload: int


SUITE = (
    Scenario("S1", 1, 1, 16),
    Scenario("S2", 16, 1, 16),
    Scenario("S3", 16, 16, 16),
    Scenario("S4", 256, 1, 16),
    Scenario("S5", 16, 1, 64 * 1024),
)


@dataclass
class Target:
    """A server to measure: one this process started (``process``), or an address it was given."""

    name: str
    host: str
    port: int
    process: ServerProcess | None = None


Progress = Callable[[str, float, int], None]  # (cell label, elapsed seconds, responses so far)


def run_cell(target: Target, scenario: Scenario, base: LoadSpec, progress: Progress | None = None) -> dict[str, Any]:
    """One scenario against one server: the load generator's summary plus what /proc says about the server."""
    spec = replace(
        base,
        host=target.host,
        port=target.port,
        connections=scenario.connections,
        pipeline=scenario.pipeline,
        payload=scenario.payload,
    )
    process = target.process
    label = f"{scenario.name} {target.name}"
    spread: dict[int, int] = {}

    def on_progress(elapsed: float, responses: int) -> None:
        if process is not None and not spread and elapsed >= spec.duration / 2:
            spread.update(process.connections_per_process())
        if progress is not None:
            progress(label, elapsed, responses)

    cpu_before = process.cpu_seconds() if process else None
    result = run_load(spec, on_progress)
    cpu_after = process.cpu_seconds() if process else None
    summary = {"server": target.name, "scenario": scenario.name, **result.summary()}
    done = result.completed + result.drained
    if cpu_before is not None and cpu_after is not None and done:
        summary["server_cpu_us_per_request"] = round((cpu_after - cpu_before) / done * 1e6, 2)
    if process is not None and process.name in ("prefork", "prefork-evented") and spread:
        summary["connections_per_worker"] = sorted(n for pid, n in spread.items() if pid != process.pid)
    return summary


def run_rounds(
    targets: list[Target],
    scenarios: Iterable[Scenario],
    base: LoadSpec,
    rounds: int = 1,
    progress: Progress | None = None,
) -> list[dict[str, Any]]:
    results = []
    scenarios = list(scenarios)
    for number in range(1, rounds + 1):
        for scenario in scenarios:
            for target in targets:
                cell = run_cell(target, scenario, base, progress)
                cell["round"] = number
                results.append(cell)
    return results


def best_of_rounds(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One result per (scenario, server): the round with the median req/s.

    Each also carries ``ratio``, the median over rounds of its req/s divided by the
    yardstick's in the same scenario *and round*: a paired comparison, so that a noisy
    minute of the machine lowers both sides of a ratio instead of one.
    """
    yard = {(r["scenario"], r.get("round", 1)): r["rps"] for r in results if r["server"] == YARDSTICK}
    cells: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for result in results:
        cells.setdefault((result["scenario"], result["server"]), []).append(result)
    chosen = []
    for runs in cells.values():
        paired = [r["rps"] / yard[key] for r in runs if yard.get(key := (r["scenario"], r.get("round", 1)))]
        runs.sort(key=lambda r: r["rps"])
        median_run = dict(runs[(len(runs) - 1) // 2], rounds=len(runs))
        if paired:
            median_run["ratio"] = round(statistics.median(paired), 3)
        chosen.append(median_run)
    return chosen


def ratios(results: list[dict[str, Any]]) -> dict[tuple[str, str], float]:
    """(scenario, server) -> its ``ratio`` to the yardstick, or NaN where there is none."""
    return {(r["scenario"], r["server"]): r.get("ratio", math.nan) for r in results}


def _ms(value: float) -> str:
    return "-" if value != value else f"{value:.2f}"


def detail_table(results: list[dict[str, Any]], title: str = "lpj bench") -> Any:
    from rich.table import Table

    table = Table(title=title)
    for column in (
        "scenario",
        "server",
        "conns x depth",
        "payload",
        "req/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "p99.9 ms",
        "max ms",
        "errors",
        "lost",
        "fairness min/max",
        "cpu µs/req",
    ):
        table.add_column(column, justify="left" if column in ("scenario", "server") else "right")
    for r in results:
        lat = r["latency_ms"]
        table.add_row(
            r["scenario"],
            r["server"],
            f"{r['connections']} x {r['pipeline']}",
            str(r["payload"]),
            f"{r['rps']:,.0f}",
            *(_ms(lat[k]) for k in ("p50", "p90", "p99", "p99.9", "max")),
            _flag(r["errors"]),
            _flag(r["lost"]),
            f"{r['fairness']['min']}/{r['fairness']['max']}",
            str(r.get("server_cpu_us_per_request", "-")),
        )
    return table


def _flag(n: int) -> str:
    return f"[bold red]{n}[/]" if n else "0"


def ratio_table(results: list[dict[str, Any]]) -> Any:
    """Rows: servers; columns: scenarios; cells: req/s, ratio to the yardstick, p99."""
    from rich.table import Table

    ratio = ratios(results)
    scenarios = list(dict.fromkeys(r["scenario"] for r in results))
    servers = list(dict.fromkeys(r["server"] for r in results))
    by = {(r["scenario"], r["server"]): r for r in results}
    rounds = max((r.get("rounds", 1) for r in results), default=1)
    title = "req/s (ratio to the yardstick) p99 ms"
    if rounds > 1:
        title += f": the median of {rounds} rounds; the ratio is the median of the rounds' ratios"
    table = Table(title=title)
    table.add_column("server")
    for name in scenarios:
        table.add_column(name, justify="right")
    for server in servers:
        cells = []
        for name in scenarios:
            r = by.get((name, server))
            if r is None:
                cells.append("-")
                continue
            mark = " [red]![/]" if r["errors"] or r["lost"] else ""
            cells.append(f"{r['rps']:,.0f} ({ratio[name, server]:.2f}x) {_ms(r['latency_ms']['p99'])}{mark}")
        table.add_row(server, *cells)
    return table


def markdown_table(results: list[dict[str, Any]]) -> str:
    """The ratio table as Markdown, for docs/benchmarks.md."""
    ratio = ratios(results)
    scenarios = list(dict.fromkeys(r["scenario"] for r in results))
    servers = list(dict.fromkeys(r["server"] for r in results))
    by = {(r["scenario"], r["server"]): r for r in results}
    lines = ["| server | " + " | ".join(scenarios) + " |", "|---" * (len(scenarios) + 1) + "|"]
    for server in servers:
        cells = []
        for name in scenarios:
            r = by[name, server]
            extra = f", **{r['errors']} err, {r['lost']} lost**" if r["errors"] or r["lost"] else ""
            cells.append(f"{r['rps']:,.0f} ({ratio[name, server]:.2f}x) p99 {_ms(r['latency_ms']['p99'])}{extra}")
        lines.append(f"| {server} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
