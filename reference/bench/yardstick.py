"""The yardstick: a plain asyncio ``Protocol`` server on uvloop, with the standard ``json`` module.

It is what a competent Python programmer writes in an afternoon, and what the
reference servers' speed targets are measured against (``lpj bench --suite``
prints every result as a ratio to it).  It answers ``ping`` like the reference
servers do (``pong`` with the params unchanged) and answers malformed frames and
requests with the same error codes, but it is a benchmark fixture, not a
conforming server: the standard ``json`` module accepts ``NaN`` and lone
surrogates, idle timeouts and graceful stops are missing, and nothing about it is
checked by the conformance kit.

    python -m reference.bench.yardstick --port 0
    # stderr: listening on 127.0.0.1:PORT model=yardstick workers=1 pid=PID
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import struct
import sys
from typing import Any

HEADER = struct.Struct("<I")
MAX_FRAME = 8 << 20
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _error(code: int, message: str) -> dict[str, Any]:
    return {"out": "error", "result": {"code": code, "message": message}}


def answer(body: bytes) -> bytes:
    """The framed response to one frame body."""
    try:
        message = json.loads(body)
    except (ValueError, RecursionError) as exc:
        response = _error(-32700, f"parse error: {exc}")
    else:
        if type(message) is not dict:
            response = _error(-32600, "invalid request: body is not a JSON object")
        elif type(message.get("in")) is not str or not message["in"]:
            response = _error(-32600, 'invalid request: "in" must be a non-empty string')
        elif "params" not in message:
            response = _error(-32600, 'invalid request: "params" is missing')
        elif message["in"] != "ping":
            response = _error(-32601, f"method not found: {message['in']!r}")
        else:
            response = {"out": "pong", "result": message["params"]}
    try:
        data = _dumps(response).encode()
    except (ValueError, RecursionError) as exc:
        data = _dumps(_error(-32600, f"invalid request: {exc}")).encode()
    return HEADER.pack(len(data)) + data


class PingProtocol(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: Any = transport  # uvloop's transports are not asyncio.Transport subclasses
        self.buffer = bytearray()

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        out = []
        pos, size = 0, len(buffer)
        while size - pos >= 4:
            (length,) = HEADER.unpack_from(buffer, pos)
            if length == 0:
                out.append(_framed(_error(-32600, "invalid request: zero-length frame")))
                pos += 4
                continue
            if length > MAX_FRAME:
                out.append(_framed(_error(-32600, "invalid request: frame too large")))
                self.transport.write(b"".join(out))
                self.transport.close()
                buffer.clear()
                return
            end = pos + 4 + length
            if end > size:
                break
            out.append(answer(bytes(buffer[pos + 4 : end])))
            pos = end
        del buffer[:pos]
        if out:
            self.transport.write(b"".join(out))

    def eof_received(self) -> bool:
        return False  # close once what was written is flushed


def _framed(response: dict[str, Any]) -> bytes:
    data = _dumps(response).encode()
    return HEADER.pack(len(data)) + data


async def _serve(host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(PingProtocol, host, port, backlog=1024, reuse_address=True)
    stopped = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopped.set)
    bound_host, bound_port = server.sockets[0].getsockname()[:2]
    print(f"listening on {bound_host}:{bound_port} model=yardstick workers=1 pid={os.getpid()}", file=sys.stderr)
    sys.stderr.flush()
    async with server:
        await stopped.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reference.bench.yardstick", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        import uvloop
    except ImportError:
        print("yardstick: uvloop is not installed (pip install 'lpj-rpc[bench]')", file=sys.stderr)
        return 2
    uvloop.run(_serve(args.host, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
