"""``lpj conform`` (run the kit with a readable summary) and ``lpj replay`` (send exact bytes, show what comes back)."""

from __future__ import annotations

import argparse
import sys
import time

from conformance.targets import TargetError, parse_address
from conformance.wire import Ended, Transcript, Wire

EXIT_USAGE = 2


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    conform = subparsers.add_parser(
        "conform",
        help="run the conformance kit against a server",
        description="Run the LPJ-RPC/1 conformance kit (pytest --pyargs conformance) against HOST:PORT, or, "
        "without an address, against the six reference models. Arguments after the address are passed to "
        "pytest, e.g. --strict, --requirement LPJ-FRAME-3, --report-md report.md, -k vector, -x.",
    )
    conform.add_argument("address", nargs="?", metavar="HOST:PORT", help="the server to test")
    conform.add_argument("pytest_args", nargs=argparse.REMAINDER, help="further options for the kit / pytest")
    conform.set_defaults(func=run_conform)

    replay = subparsers.add_parser(
        "replay",
        help="send exact bytes to a server and show every frame that comes back",
        description="Open one connection to HOST:PORT, write each HEX argument as one write, optionally "
        "half-close, then print a transcript of what the server sends until it closes or goes quiet. "
        "Failure reports of the kit end with such a command.",
    )
    replay.add_argument("address", metavar="HOST:PORT")
    replay.add_argument("writes", nargs="+", metavar="HEX", help="bytes of one write, as hexadecimal")
    replay.add_argument("--half-close", action="store_true", help="shut down the write side after the last write")
    replay.add_argument(
        "--timeout", type=float, default=2.0, metavar="S", help="stop after the server is silent this long (default 2)"
    )
    replay.add_argument("--pause", type=float, default=0.005, metavar="S", help="pause between writes (default 0.005)")
    replay.set_defaults(func=run_replay)


def run_conform(args: argparse.Namespace) -> int:
    import pytest

    argv = ["--pyargs", "conformance", "-p", "no:cacheprovider", "--tb=short"]
    if args.address:
        if args.address.startswith("-"):
            args.pytest_args.insert(0, args.address)
        else:
            argv += ["--target", args.address]
    return int(pytest.main([*argv, *args.pytest_args]))


def run_replay(args: argparse.Namespace) -> int:
    try:
        address = parse_address(args.address)
        writes = [bytes.fromhex(h) for h in args.writes]
    except (TargetError, ValueError) as exc:
        print(f"lpj replay: {exc}", file=sys.stderr)
        return EXIT_USAGE
    transcript = Transcript()
    wire = Wire(address, transcript, io_timeout=args.timeout, name="replay")
    try:
        wire.connect()
    except OSError as exc:
        print(f"lpj replay: cannot connect to {args.address}: {(exc.strerror or str(exc)).lower()}", file=sys.stderr)
        return 1
    with wire:
        for index, data in enumerate(writes):
            if index:
                time.sleep(args.pause)
            if wire.send(data) is not None:
                break
        if args.half_close:
            wire.shutdown_write()
        while not isinstance(wire.read_frame("more frames", timeout=args.timeout), Ended):
            pass
    print(transcript.render(limit=10_000))
    return 0
