"""The kit's own wire code: a strict, recording, always-timed-out TCP peer.

Every operation has a timeout and never raises for what a server may do:
``read_frame`` returns a :class:`Frame` or an :class:`Ended` saying how the
wait ended (end of file, reset, timeout, an impossible length).  Everything
sent and received lands in a :class:`Transcript`, which is what a failure
report shows.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from conformance.jsonvalue import JSONDecodeFailure, TooDeep, short, strict_loads

HEADER = struct.Struct("<I")
ENDED_KINDS = ("eof", "reset", "timeout", "bad-length")


def frame(body: bytes) -> bytes:
    return HEADER.pack(len(body)) + body


@dataclass
class Transcript:
    """A timestamped log of one case's traffic, over any number of connections."""

    started: float = field(default_factory=time.monotonic)
    lines: list[str] = field(default_factory=list)

    def add(self, connection: str, direction: str, text: str) -> None:
        self.lines.append(f"{time.monotonic() - self.started:8.3f}s  {connection:<7} {direction}  {text}")

    def render(self, limit: int = 60) -> str:
        if len(self.lines) <= limit:
            return "\n".join(self.lines)
        head, tail = self.lines[: limit // 2], self.lines[-limit // 2 :]
        return "\n".join([*head, f"          … {len(self.lines) - limit} lines elided …", *tail])


def render_body(body: bytes, limit: int = 200) -> str:
    try:
        return short(strict_loads(body), limit)
    except TooDeep:
        return f"{body[: limit // 2].decode('utf-8', 'replace')}… ({len(body)} bytes, deeply nested)"
    except (JSONDecodeFailure, RecursionError):
        hexed = body[: limit // 2].hex(" ")
        return f"hex {hexed}{' …' if len(body) > limit // 2 else ''}"


def render_bytes(data: bytes, limit: int = 200) -> str:
    """Describe bytes as the frames they hold (length + body), then any partial remainder."""
    parts = []
    position = 0
    while len(data) - position >= 4:
        (length,) = HEADER.unpack_from(data, position)
        if len(data) - position - 4 < length or length == 0:
            break
        parts.append(f"[len={length}] {render_body(data[position + 4 : position + 4 + length], limit)}")
        position += 4 + length
        if len(parts) >= 8 and len(data) - position > 0:
            parts.append(f"… {len(data) - position} more bytes")
            position = len(data)
            break
    rest = data[position:]
    if rest:
        note = ""
        if len(rest) >= 4:
            (length,) = HEADER.unpack_from(rest)
            note = f" (prefix says len={length}, {len(rest) - 4} body bytes follow)"
        shown = rest[:48].hex(" ")
        parts.append(f"raw {len(rest)} bytes{note}: {shown}{' …' if len(rest) > 48 else ''}")
    return " | ".join(parts) if parts else "(nothing)"


@dataclass(frozen=True)
class Frame:
    length: int
    body: bytes


@dataclass(frozen=True)
class Ended:
    """How a wait for a frame ended without one."""

    kind: str  # one of ENDED_KINDS
    waiting_for: str
    waited: float
    partial: bytes = b""
    detail: str = ""

    def describe(self) -> str:
        partial = f" after {len(self.partial)} bytes of a frame" if self.partial else ""
        if self.kind == "timeout":
            return f"no answer within {self.waited:.1f} s while waiting for {self.waiting_for}{partial}"
        if self.kind == "eof":
            return f"the server closed the connection (end of file) while we waited for {self.waiting_for}{partial}"
        if self.kind == "reset":
            return f"the connection was reset while we waited for {self.waiting_for}{partial}"
        return self.detail


class Wire:
    """One client connection under the kit's control."""

    def __init__(
        self,
        address: tuple[str, int],
        transcript: Transcript,
        *,
        io_timeout: float,
        name: str = "conn1",
        max_response: int = 64 << 20,
    ) -> None:
        self.address = address
        self.transcript = transcript
        self.io_timeout = io_timeout
        self.name = name
        self.max_response = max_response
        self.writes: list[bytes] = []
        self.half_closed = False
        self.on_stall: Callable[[], None] | None = None
        self._buffer = bytearray()
        self._sock: socket.socket | None = None

    # -- connection ---------------------------------------------------------
    def connect(self, timeout: float | None = None) -> Wire:
        self._sock = socket.create_connection(self.address, timeout=timeout or self.io_timeout)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.transcript.add(self.name, "--", f"connected to {self.address[0]}:{self.address[1]}")
        return self

    @property
    def sock(self) -> socket.socket:
        if self._sock is None:
            raise RuntimeError("not connected")
        return self._sock

    def __enter__(self) -> Wire:
        return self.connect() if self._sock is None else self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
            self._sock = None

    def abort(self) -> None:
        """Close with a reset (SO_LINGER 0), as a crashed client would."""
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.transcript.add(self.name, "C>S", "RESET (abortive close)")
            self.close()

    # -- sending ------------------------------------------------------------
    def send(self, data: bytes) -> str | None:
        """Write bytes; returns None, or how the write failed (the server may have closed)."""
        self.writes.append(data)
        self.transcript.add(self.name, "C>S", render_bytes(data))
        try:
            self.sock.sendall(data)
        except TimeoutError:
            problem = f"the server stopped reading: a {len(data)}-byte write did not finish in {self.io_timeout:.1f} s"
        except (ConnectionResetError, BrokenPipeError) as exc:
            problem = f"write failed: {exc.strerror or exc}"
        else:
            return None
        self.transcript.add(self.name, "--", problem)
        return problem

    def send_frame(self, body: bytes) -> str | None:
        return self.send(frame(body))

    def shutdown_write(self) -> None:
        self.half_closed = True
        self.transcript.add(self.name, "C>S", "HALF-CLOSE (shutdown write side)")
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_WR)

    # -- receiving ----------------------------------------------------------
    def _fill(self, deadline: float) -> Ended | None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return Ended("timeout", "", 0.0)
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(1 << 16)
        except TimeoutError:
            return Ended("timeout", "", 0.0)
        except ConnectionResetError:
            return Ended("reset", "", 0.0)
        except OSError as exc:
            return Ended("reset", "", 0.0, detail=str(exc))
        if not chunk:
            return Ended("eof", "", 0.0)
        self._buffer += chunk
        return None

    def read_frame(self, waiting_for: str, timeout: float | None = None) -> Frame | Ended:
        started = time.monotonic()
        deadline = started + (self.io_timeout if timeout is None else timeout)
        while True:
            buffer = self._buffer
            if len(buffer) >= 4:
                (length,) = HEADER.unpack_from(buffer)
                if length > self.max_response:
                    as_big_endian = struct.unpack(">I", bytes(buffer[:4]))[0]
                    detail = (
                        f"the server sent a length prefix of {length} bytes ({bytes(buffer[:4]).hex(' ')}),"
                        f" more than any response to this case could be"
                    )
                    if as_big_endian <= self.max_response:
                        detail += (
                            f"; read as big-endian it would be {as_big_endian}:"
                            " the server seems to write big-endian length prefixes"
                        )
                    self.transcript.add(self.name, "S>C", render_bytes(bytes(buffer[:64])))
                    return Ended("bad-length", waiting_for, time.monotonic() - started, bytes(buffer), detail)
                if len(buffer) >= 4 + length:
                    body = bytes(buffer[4 : 4 + length])
                    del buffer[: 4 + length]
                    self.transcript.add(self.name, "S>C", f"[len={length}] {render_body(body)}")
                    return Frame(length, body)
            ended = self._fill(deadline)
            if ended is not None:
                partial = bytes(self._buffer)
                result = Ended(ended.kind, waiting_for, time.monotonic() - started, partial, ended.detail)
                note = f" with {len(partial)} unframed bytes: {render_bytes(partial)}" if partial else ""
                if ended.kind == "timeout" and timeout is None and self.on_stall is not None:
                    # Only a wait for something that must come counts; deliberate short waits do not.
                    self.on_stall()
                label = {"eof": "END OF FILE", "reset": "RESET", "timeout": f"(nothing for {result.waited:.1f} s)"}
                self.transcript.add(self.name, "S>C", label[ended.kind] + note)
                return result
