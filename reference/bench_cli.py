"""``lpj bench``: measure LPJ-RPC/1 servers (see :mod:`reference.bench`)."""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import math
import os
import platform
import socket
import sys
from collections.abc import Iterator
from typing import Any, NoReturn

from reference.cli import number, usage_error
from reference.client import parse_address
from reference.servers import MODELS

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2

DESCRIPTION = """\
Measure LPJ-RPC/1 servers with ping requests.  With --target, measure that server;
without it, start the reference models (and the yardstick, a plain asyncio + uvloop +
json server) as subprocesses on port 0, measure them one after another and compare.
--suite runs the scenarios S1-S5 instead of the one given by --connections etc.:
  S1 1 connection; S2 16 connections, 1 in flight each; S3 16 x 16 pipelined;
  S4 256 connections; S5 16 connections with 64 KiB params."""

EPILOG = """\
With two CPUs or more the load generator runs on the first half of them and the
servers it starts on the other half (--no-pin to let the kernel place them).  On
CPUs of its own it busy-polls instead of sleeping between responses, so its own
wake-ups (tens of microseconds across CPUs on a VM) are not counted against the
server at low concurrency; --no-busy-poll to let it sleep.
Every response is checked (framing, "pong", the result equal to the params).
Bad arguments print one line and exit 2; an unreachable target exits 1."""


def _fail(message: str) -> NoReturn:
    usage_error("bench", message)


def _connections(text: str) -> list[int]:
    parse = number(int, 1, 10_000, "number of connections")
    return [parse(part) for part in text.split(",")]


def _target(text: str) -> tuple[str, int]:
    try:
        return parse_address(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="benchmark servers: req/s, latency percentiles, errors, fairness",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--target", type=_target, metavar="HOST:PORT", help="measure this server")
    parser.add_argument(
        "--model",
        choices=[*MODELS, "yardstick", "all"],
        help="without --target: the model to start and compare with the yardstick (default: all)",
    )
    parser.add_argument(
        "--connections",
        type=_connections,
        default=[16],
        metavar="N[,N...]",
        help="connections; a list measures each (default: 16)",
    )
    parser.add_argument(
        "--pipeline",
        type=number(int, 1, 4096, "pipeline depth"),
        default=1,
        metavar="D",
        help="requests in flight per connection (default: 1)",
    )
    parser.add_argument(
        "--duration",
        type=number(float, 0.1, 86_400, "duration"),
        metavar="S",
        help="seconds per measurement (default: 5, or 3 per cell with --suite)",
    )
    parser.add_argument(
        "--payload",
        type=number(int, 0, 4 << 20, "payload size"),
        default=16,
        metavar="BYTES",
        help="length of the string in each request's params (default: 16)",
    )
    parser.add_argument(
        "--processes",
        type=number(int, 1, 256, "number of processes"),
        metavar="P",
        help="load generator processes (default: half the CPUs, at least 1)",
    )
    parser.add_argument(
        "--workers",
        type=number(int, 1, 1024, "number of workers"),
        metavar="N",
        help="workers of the prefork models started here (default: one per CPU)",
    )
    parser.add_argument(
        "--rounds",
        type=number(int, 1, 100, "number of rounds"),
        default=1,
        metavar="R",
        help="repeat every measurement R times, interleaved; report the median (default: 1)",
    )
    parser.add_argument(
        "--drain",
        type=number(float, 0, 60, "drain time"),
        default=2.0,
        metavar="S",
        help="after the run, seconds to wait for answers in flight before calling them lost",
    )
    parser.add_argument("--suite", action="store_true", help="run the scenarios S1-S5")
    parser.add_argument("--no-pin", dest="pin", action="store_false", help="do not pin processes to CPUs")
    parser.add_argument(
        "--busy-poll",
        action=argparse.BooleanOptionalAction,
        help="the load generator polls without ever sleeping, so its wake-ups do not count in the latency "
        "(default: on when it has CPUs to itself: servers started here, pinned, one process per load CPU)",
    )
    parser.add_argument("--json", metavar="PATH", help="also write every result as JSON to PATH")
    parser.add_argument("--plot", metavar="PATH.png", help="draw req/s and p99 against concurrency to PATH")
    parser.add_argument("--markdown", metavar="PATH", help="also write the ratio table as Markdown to PATH")
    parser.set_defaults(func=run, log_level="WARNING")


def _reachable(host: str, port: int) -> str | None:
    try:
        socket.create_connection((host, port), timeout=3).close()
    except OSError as exc:
        return f"cannot connect to {host}:{port}: {exc.strerror or exc}"
    return None


def _cpu_split(pin: bool) -> tuple[tuple[int, ...] | None, tuple[int, ...] | None]:
    """(CPUs for the load generator, CPUs for the servers), or Nones when not pinning."""
    if not pin or not hasattr(os, "sched_getaffinity"):
        return None, None
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None, None
    half = len(cpus) // 2
    return tuple(cpus[:half]), tuple(cpus[half:])


@contextlib.contextmanager
def _progress(total_cells: int, seconds: float) -> Iterator[Any]:
    """A rich progress bar on a terminal; None (and silence) otherwise."""
    if not sys.stdout.isatty():
        yield None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (
        TextColumn("{task.description:<24}"),
        BarColumn(),
        TextColumn("{task.fields[rate]:>12}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, transient=True) as bar:
        task = bar.add_task("", total=total_cells * seconds, rate="")
        state = {"label": None, "base": 0.0, "last": 0.0}

        def update(label: str, elapsed: float, responses: int) -> None:
            if label != state["label"]:
                state["base"] += state["last"]
                state["label"], state["last"] = label, 0.0
            state["last"] = min(elapsed, seconds)
            rate = f"{responses / elapsed:,.0f} req/s" if elapsed > 0.2 else ""
            bar.update(task, completed=state["base"] + state["last"], description=label, rate=rate)

        yield update


def run(args: argparse.Namespace) -> int:
    from reference.bench.loadgen import LoadFailed, LoadSpec
    from reference.bench.servers import YARDSTICK, ServerFailed, ServerProcess
    from reference.bench.suite import (
        SUITE,
        Scenario,
        Target,
        best_of_rounds,
        detail_table,
        markdown_table,
        ratio_table,
        run_rounds,
    )

    if args.target and args.model:
        _fail("--target and --model exclude each other")
    if args.suite and len(args.connections) > 1:
        _fail("--suite chooses its own connections; do not give a list")
    duration = args.duration or (3.0 if args.suite else 5.0)
    load_cpus, server_cpus = _cpu_split(args.pin)
    processes = args.processes or max(1, len(load_cpus or []) or (os.cpu_count() or 2) // 2)
    busy_poll = args.busy_poll
    if busy_poll is None:
        busy_poll = bool(load_cpus) and not args.target and processes <= len(load_cpus or ())
    base = LoadSpec(
        "", 0, duration=duration, processes=processes, drain=args.drain, cpus=load_cpus, busy_poll=busy_poll
    )
    if args.suite:
        scenarios = list(SUITE)
    else:
        scenarios = [Scenario(f"c{n}xd{args.pipeline}", n, args.pipeline, args.payload) for n in args.connections]
    if args.plot:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            _fail("--plot needs matplotlib (pip install 'lpj-rpc[bench]')")

    targets: list[Target] = []
    with contextlib.ExitStack() as stack:
        if args.target:
            host, port = args.target
            problem = _reachable(host, port)
            if problem:
                print(f"lpj bench: {problem}", file=sys.stderr)
                return EXIT_FAILURE
            targets.append(Target(f"{host}:{port}", host, port))
        else:
            names = list(MODELS) if args.model in (None, "all") else [args.model]
            if YARDSTICK not in names:
                names.append(YARDSTICK)
            try:
                for name in names:
                    server = stack.enter_context(ServerProcess(name, workers=args.workers))
                    if server_cpus:
                        server.pin(server_cpus)
                    targets.append(Target(name, server.host, server.port, server))
            except ServerFailed as exc:
                print(f"lpj bench: {exc}", file=sys.stderr)
                return EXIT_FAILURE
        cells = len(targets) * len(scenarios) * args.rounds
        try:
            with _progress(cells, duration + 0.0) as progress:
                results = run_rounds(targets, scenarios, base, args.rounds, progress)
        except LoadFailed as exc:
            print(f"lpj bench: {exc}", file=sys.stderr)
            return EXIT_FAILURE

    chosen = best_of_rounds(results)
    from rich.console import Console

    console = Console(width=None if sys.stdout.isatty() else 200)
    polling = ", busy-polling" if busy_poll else ""
    title = f"lpj bench ({processes} load process(es){polling}, {duration:g} s per cell)"
    console.print(detail_table(chosen, title=title))
    if any(r["server"] == YARDSTICK for r in chosen) and len(targets) > 1:
        console.print(ratio_table(chosen))
    if args.json:
        document = {
            "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "machine": platform.machine(),
            "argv": sys.argv[1:],
            "load_cpus": load_cpus,
            "server_cpus": server_cpus,
            "busy_poll": busy_poll,
            "rounds": args.rounds,
            "results": results,
            "medians": chosen,
        }
        with open(args.json, "w") as out:
            json.dump(_finite(document), out, indent=1)
    if args.markdown:
        with open(args.markdown, "w") as out:
            out.write(markdown_table(chosen) + "\n")
    if args.plot:
        from reference.bench.plot import plot

        plot(chosen, args.plot)
    return EXIT_OK


def _finite(value: Any) -> Any:
    """NaN (no response, no latency) becomes null: JSON has no NaN."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value
