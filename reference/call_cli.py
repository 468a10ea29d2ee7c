"""``lpj call`` and ``lpj ping``: talk to an LPJ-RPC/1 server from the command line.

Both use :class:`reference.client.Client`.  Exit codes, the same for both:
0 success; 1 a runtime failure (an error response, a ping that was not
answered with a matching pong, an unreachable server, a timeout, a closed
connection, a malformed response); 2 a usage mistake (bad HOST:PORT, params
that are not JSON, a bad option value), reported on one line before any
connection is attempted.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
import time
from typing import Any

from reference.cli import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, number
from reference.client import Client, ClientError, RemoteError, encode_request, parse_address
from reference.protocol import dumps

EXIT_CODES = """\
exit status:
  0  success
  1  {failure}, or the server unreachable, a timeout, a closed
     connection, a malformed response
  2  usage error: bad HOST:PORT, PARAMS_JSON that is not JSON, bad option value
"""

ADDRESS_HELP = "server address, e.g. 127.0.0.1:8080 or [::1]:8080"


_positive_float = number(float, 0, math.inf, "number", above_low=True)
_non_negative_float = number(float, 0, math.inf, "number")
_non_negative_int = number(int, 0, math.inf, "whole number")


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``call`` and ``ping``."""
    call = subparsers.add_parser(
        "call",
        help="send one request and print its result",
        description="Send one request on a new connection. The result is printed as JSON on\n"
        "stdout, the round-trip time on stderr; an error response prints\n"
        "'error CODE: MESSAGE' on stderr.",
        epilog=EXIT_CODES.format(failure="an error response"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    call.add_argument("address", metavar="HOST:PORT", help=ADDRESS_HELP)
    call.add_argument("method", metavar="METHOD", help='method name, e.g. "ping"')
    call.add_argument(
        "params", metavar="PARAMS_JSON", nargs="?", default="null", help="params as one JSON value (default: null)"
    )
    call.add_argument(
        "--timeout",
        type=_positive_float,
        default=5.0,
        metavar="S",
        help="seconds to wait for connecting, then for the response (default: 5)",
    )
    call.set_defaults(func=run_call)

    ping = subparsers.add_parser(
        "ping",
        help="send pings on one connection and report round-trip times",
        description="Send pings on one connection: one line per ping (result and round-trip\n"
        'time), then a summary. A ping succeeds when the server answers "pong" with\n'
        "a result equal to the params sent.",
        epilog=EXIT_CODES.format(failure="a ping that did not succeed"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ping.add_argument("address", metavar="HOST:PORT", help=ADDRESS_HELP)
    ping.add_argument(
        "params",
        metavar="PARAMS_JSON",
        nargs="?",
        default=None,
        help="params of every ping as one JSON value (default: the ping's sequence number 1, 2, ...)",
    )
    ping.add_argument(
        "-c",
        "--count",
        type=_non_negative_int,
        default=1,
        metavar="N",
        help="number of pings; 0 pings until interrupted with Ctrl-C (default: 1)",
    )
    ping.add_argument(
        "-i",
        "--interval",
        type=_non_negative_float,
        default=1.0,
        metavar="S",
        help="seconds to wait between pings (default: 1)",
    )
    ping.add_argument(
        "--timeout",
        type=_positive_float,
        default=5.0,
        metavar="S",
        help="seconds to wait for connecting, then for each pong (default: 5)",
    )
    ping.set_defaults(func=run_ping)


def _usage_error(command: str, message: str) -> int:
    print(f"lpj {command}: {message}", file=sys.stderr)
    return EXIT_USAGE


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _parse_params(text: str) -> Any:
    """Strict JSON from the command line; ValueError if it is not one JSON value.

    The standard library keeps big integers exact (orjson would turn them into
    floats); NaN and Infinity, which it would accept, are refused.
    """
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:
        raise ValueError(f"PARAMS_JSON is not valid JSON: {exc} in {text[:60]!r}") from None
    except RecursionError:
        raise ValueError("PARAMS_JSON is nested too deeply") from None


def _json_text(value: Any, limit: int | None = None) -> str:
    text = dumps(value).decode()
    if limit is not None and len(text) > limit:
        return text[: limit - 3] + "..."
    return text


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f}"


def run_call(args: argparse.Namespace) -> int:
    try:
        host, port = parse_address(args.address)
        params = _parse_params(args.params)
        encode_request(args.method, params)  # refuse what cannot be sent before connecting
    except (ValueError, TypeError) as exc:
        return _usage_error("call", str(exc))
    try:
        started = time.perf_counter()
        with Client(host, port, timeout=args.timeout) as client:
            connected = time.perf_counter()
            try:
                result = client.call(args.method, params)
                error = None
            except RemoteError as exc:
                error = exc
            answered = time.perf_counter()
    except ClientError as exc:
        print(f"lpj call: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    if error is None:
        print(_json_text(result))
    else:
        print(f"error {error.code}: {error.message}", file=sys.stderr)
        if error.data is not None:
            print(f"data: {_json_text(error.data)}", file=sys.stderr)
    print(f"round trip {_ms(answered - connected)} ms (connect {_ms(connected - started)} ms)", file=sys.stderr)
    return EXIT_OK if error is None else EXIT_FAILURE


def run_ping(args: argparse.Namespace) -> int:
    try:
        host, port = parse_address(args.address)
        fixed_params = None if args.params is None else _parse_params(args.params)
        encode_request("ping", fixed_params)  # refuse what cannot be sent before connecting
    except (ValueError, TypeError) as exc:
        return _usage_error("ping", str(exc))
    times: list[float] = []
    sent = 0
    in_flight = False
    try:
        client = Client(host, port, timeout=args.timeout)
    except ClientError as exc:
        print(f"lpj ping: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    with client:
        sequence = itertools.count(1) if args.count == 0 else range(1, args.count + 1)
        try:
            for seq in sequence:
                if seq > 1 and args.interval:
                    time.sleep(args.interval)
                params = seq if args.params is None else fixed_params
                started = time.perf_counter()
                sent += 1
                in_flight = True
                try:
                    result = client.ping(params)
                except RemoteError as error:
                    in_flight = False
                    print(f"seq={seq} error {error.code}: {error.message} time={_ms(time.perf_counter() - started)} ms")
                    continue
                elapsed = time.perf_counter() - started
                in_flight = False
                if result == params:
                    times.append(elapsed)
                    line = f"pong from {client.address}: seq={seq} result={_json_text(result, 80)}"
                else:
                    line = f"seq={seq} MISMATCH: sent {_json_text(params, 40)}, got {_json_text(result, 40)}"
                print(f"{line} time={_ms(elapsed)} ms", flush=True)
        except KeyboardInterrupt:
            sent -= in_flight  # a ping cut short is not counted
        except ClientError as exc:  # the connection is gone: stop
            print(f"lpj ping: {exc}", file=sys.stderr)
    print(f"--- {client.address} ping statistics ---")
    print(f"{sent} sent, {len(times)} ponged, {sent - len(times)} failed")
    if times:
        average = sum(times) / len(times)
        print(f"round trip min/avg/max = {_ms(min(times))}/{_ms(average)}/{_ms(max(times))} ms")
    return EXIT_OK if sent and len(times) == sent else EXIT_FAILURE
