"""``lpj serve``: run one of the six reference server models."""

from __future__ import annotations

import argparse
import logging
import math
import sys
from typing import Any, NoReturn

from reference.cli import number, usage_error
from reference.protocol import DEFAULT_FRAME_LIMIT, IDLE_FLOOR_SECONDS, check_frame_limit
from reference.servers import MODELS, POOL_MODELS, ListenError, ServerConfig, serve

log = logging.getLogger("reference.servers")

EXIT_USAGE = 2

DESCRIPTION = """\
Run an LPJ-RPC/1 server.  When it is ready it logs one line to stderr:
  listening on HOST:PORT model=MODEL workers=N pid=PID
with the port actually bound, so --port 0 picks a free port and tells you which.
SIGTERM or SIGINT stops it gracefully: it stops accepting, finishes the requests in
flight, closes every connection, reaps every child and exits 0; a second signal
forces it."""

EPILOG = """\
models:
  single           one connection at a time; the next one waits
  threaded         a thread per connection
  forking          a process per connection (os.fork)
  prefork          N processes forked up front, each serving one connection at a time
  evented          one process, non-blocking sockets and an event loop (epoll)
  prefork-evented  N processes, each running the evented loop (on Linux, a listener each)

A bad command line (unknown model, bad number, address in use) prints one line and
exits with status 2."""


def _fail(message: str) -> NoReturn:
    usage_error("serve", message)


_port = number(int, 0, 65535, "port number")
_workers = number(int, 1, 1024, "number of workers")
_seconds = number(float, 0, math.inf, "number of seconds")


def _max_frame(text: str) -> int:
    try:
        return check_frame_limit(int(text))
    except ValueError as exc:
        message = str(exc) if text.strip().lstrip("-").isdigit() else f"not a whole number: {text!r}"
        raise argparse.ArgumentTypeError(message) from None


def _idle_timeout(text: str) -> float:
    seconds = _seconds(text)
    if 0 < seconds < IDLE_FLOOR_SECONDS:
        raise argparse.ArgumentTypeError(
            f"idle timeout must be 0 (never) or at least {IDLE_FLOOR_SECONDS:g} s: "
            f"LPJ-CONN-3 forbids closing sooner, got {text}"
        )
    return seconds


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run a reference server (one of six concurrency models)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--model", required=True, choices=list(MODELS), help="the server model to run")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    parser.add_argument(
        "--port", type=_port, default=8080, help="TCP port to bind; 0 picks a free one (default: %(default)s)"
    )
    parser.add_argument(
        "--workers",
        type=_workers,
        metavar="N",
        help="worker processes for prefork and prefork-evented (default: one per CPU); "
        "the other models ignore it, with a warning",
    )
    parser.add_argument(
        "--max-frame",
        type=_max_frame,
        default=DEFAULT_FRAME_LIMIT,
        metavar="BYTES",
        help="largest frame body accepted; a larger one gets -32600 and the connection closes "
        "(LPJ-LIMIT-1..3: at least 1048576, below 2^31; default: %(default)s)",
    )
    parser.add_argument(
        "--idle-timeout",
        type=_idle_timeout,
        default=300.0,
        metavar="SECONDS",
        help=f"close a connection that has sent nothing for this long; 0 = never; values below "
        f"{IDLE_FLOOR_SECONDS:g} are refused (LPJ-CONN-3) (default: %(default)g)",
    )
    parser.add_argument(
        "--grace",
        type=_seconds,
        default=5.0,
        metavar="SECONDS",
        help="on SIGTERM/SIGINT, how long requests in flight may take before their connections "
        "are cut and workers killed (default: %(default)g)",
    )
    parser.add_argument(
        "--log-level",
        type=str.upper,
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="log level; logs go to stderr, nothing per request above DEBUG (default: %(default)s)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.workers is not None and args.model not in POOL_MODELS:
        log.warning("--workers is ignored by model %s", args.model)
    try:
        config = ServerConfig(
            host=args.host,
            port=args.port,
            workers=args.workers if args.model in POOL_MODELS else None,
            max_frame=args.max_frame,
            idle_timeout=args.idle_timeout,
            grace=args.grace,
        )
    except ValueError as exc:
        print(f"lpj serve: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        return serve(args.model, config)
    except ListenError as exc:
        print(f"lpj serve: {exc}", file=sys.stderr)
        return EXIT_USAGE
