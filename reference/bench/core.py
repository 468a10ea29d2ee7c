"""CPU cost of the protocol core alone, no sockets: ``python -m reference.bench.core``.

Feeds pings to one :class:`~reference.protocol.ServerConnection` in a loop and
prints microseconds per request, for one request per read, 16 pipelined, and
64 KiB params.  Useful to see a change in the core apart from the kernel.
"""

from __future__ import annotations

import time

import orjson

from reference.protocol import ServerConnection, encode_frame


def per_request_us(chunk: bytes, requests_per_chunk: int, rounds: int) -> float:
    connection = ServerConnection()
    started = time.perf_counter()
    for _ in range(rounds):
        connection.receive_data(chunk)
    return (time.perf_counter() - started) / (rounds * requests_per_chunk) * 1e6


def main() -> None:
    small = encode_frame(orjson.dumps({"in": "ping", "params": {"n": 1, "s": "hello"}}))
    large = encode_frame(orjson.dumps({"in": "ping", "params": "x" * 65536}))
    for name, chunk, count, rounds in (
        ("1 request per read", small, 1, 200_000),
        ("16 pipelined per read", small * 16, 16, 20_000),
        ("64 KiB params", large, 1, 3_000),
    ):
        print(f"{name:<24} {per_request_us(chunk, count, rounds):7.2f} µs per request")


if __name__ == "__main__":
    main()
