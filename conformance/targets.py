"""Servers under test: an address given with --target, a command the kit starts
(--target-cmd), or, by default, the six reference models started as subprocesses.

The kit never imports the reference implementation: it runs ``python -m
reference serve`` and reads the ``listening on HOST:PORT`` line it logs.
"""

from __future__ import annotations

import collections
import contextlib
import json
import logging
import os
import re
import shlex
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

REFERENCE_MODELS = ("single", "threaded", "forking", "prefork", "evented", "prefork-evented")
READY_LINE = re.compile(r"listening on (\[[^\]]+\]|[^\s:]+):(\d+)")


class TargetError(Exception):
    """The target cannot be used at all (malformed, unreachable, does not start)."""


def parse_address(text: str) -> tuple[str, int]:
    match = re.fullmatch(r"(\[[^\]]+\]|[^\s:\[\]]+):(\d{1,5})", text.strip())
    if not match or not 0 < int(match.group(2)) < 65536:
        raise TargetError(f"expected HOST:PORT (for example 127.0.0.1:8080), got {text!r}")
    return match.group(1).strip("[]"), int(match.group(2))


def probe(address: tuple[str, int], timeout: float, *, big_endian: bool = False) -> str | None:
    """None if a fresh connection gets a pong to a probe ping, else what went wrong.

    A liveness check, deliberately lenient: the cases judge the details (a
    byte-order mark, a stray greeting frame); this only asks "is it serving?".
    """
    body = b'{"in":"ping","params":"probe"}'
    order = ">I" if big_endian else "<I"
    try:
        with socket.create_connection(address, timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(struct.pack(order, len(body)) + body)
            data = b""
            for _ in range(4):  # the pong may follow a frame or two the cases will complain about
                while len(data) < 4 or len(data) < 4 + struct.unpack_from(order, data)[0]:
                    chunk = sock.recv(65536)
                    if not chunk:
                        return "the server closed the connection without answering a ping"
                    data += chunk
                    if len(data) > 1 << 16:
                        return "the answer to a ping is not a short frame"
                length = struct.unpack_from(order, data)[0]
                if _is_pong(data[4 : 4 + length]):
                    return None
                data = data[4 + length :]
    except TimeoutError:
        return f"no answer to a ping within {timeout:.1f} s"
    except OSError as exc:
        return f"cannot connect to {address[0]}:{address[1]}: {(exc.strerror or str(exc)).lower()}"
    return "a ping was not answered with a pong"


def _is_pong(body: bytes) -> bool:
    try:
        answer = json.loads(body.decode("utf-8-sig", "replace"))
    except ValueError:
        return False
    return isinstance(answer, dict) and answer.get("out") == "pong"


def accepts_connections(address: tuple[str, int]) -> bool:
    try:
        socket.create_connection(address, timeout=1.0).close()
    except OSError:
        return False
    return True


@dataclass
class Target:
    """One server under test."""

    name: str
    address: tuple[str, int] | None = None
    argv: list[str] | None = None  # set when the kit starts and supervises the server
    startup_timeout: float = 20.0
    process: subprocess.Popen[bytes] | None = None
    stderr_tail: collections.deque[str] = field(default_factory=lambda: collections.deque(maxlen=30))
    down_since: str | None = None
    answered_once: bool | None = None  # False: it has never answered a ping
    stalled: bool = False  # it has left a read unanswered: later cases wait less
    restarts: int = 0
    character: dict[str, object] = field(default_factory=dict)

    @property
    def picks_port(self) -> bool:
        """The kit chooses the port and substitutes it for {port} in the command."""
        return any("{port}" in a for a in self.argv or [])

    @property
    def managed(self) -> bool:
        return self.argv is not None

    def describe(self) -> str:
        where = f"{self.address[0]}:{self.address[1]}" if self.address else "(not started)"
        return f"{self.name} at {where}" if self.name != where else where

    # -- lifecycle of a managed server ----------------------------------------
    def start(self) -> None:
        assert self.argv is not None
        argv = list(self.argv)
        if self.picks_port:
            port = _free_port()
            argv = [a.replace("{port}", str(port)) for a in argv]
            self.address = ("127.0.0.1", port)
        ready = threading.Event()
        found: list[tuple[str, int]] = []
        try:
            self.process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as exc:
            raise TargetError(f"cannot start {shlex.join(argv)}: {exc.strerror or exc}") from None
        threading.Thread(target=self._drain_stderr, args=(self.process, ready, found), daemon=True).start()
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = "; ".join(list(self.stderr_tail)[-3:])
                raise TargetError(f"the server command exited with status {self.process.returncode}: {tail}")
            if found and self.address is None:
                self.address = found[0]
            if self.address is not None and accepts_connections(self.address):
                self.check_answers_pings()
                return
            ready.wait(0.05)
        self.stop()
        raise TargetError(f"the server command did not answer a ping within {self.startup_timeout:.0f} s")

    def check_answers_pings(self, timeout: float = 2.0) -> None:
        """Cases run only against a server that answers a ping; say plainly when it does not."""
        assert self.address is not None
        problem = probe(self.address, timeout)
        self.answered_once = problem is None
        if problem is None:
            return
        if probe(self.address, timeout, big_endian=True) is None:
            problem = "it answers only frames with a BIG-ENDIAN length prefix (LPJ-FRAME-2)"
        self.down_since = f"the start: the server answers no ping ({problem})"

    def _drain_stderr(self, process: subprocess.Popen[bytes], ready: threading.Event, found: list) -> None:
        assert process.stderr is not None
        for raw in process.stderr:
            line = raw.decode("utf-8", "replace").rstrip()
            self.stderr_tail.append(line)
            match = READY_LINE.search(line)
            if match and not found:
                found.append((match.group(1).strip("[]"), int(match.group(2))))
                ready.set()

    def stop(self, grace: float = 5.0) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            # The server ignored SIGTERM: kill its whole session so no worker survives.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(grace)

    def restart(self) -> None:
        self.stop(grace=2.0)
        if not self.picks_port:
            self.address = None
        self.restarts += 1
        self.start()

    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()


def _die_with_parent() -> None:
    """In the server's process: get SIGTERM if the kit dies, so no server outlives a killed run (Linux)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _free_port() -> int:
    # The kit, not the server, picks the port for a {port} command: bind port 0
    # and release it.  Another process could take it in between; that race is
    # reported as a server that failed to start.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def reference_target(model: str, workers: int = 2) -> Target:
    argv = [sys.executable, "-m", "reference", "serve", "--model", model, "--port", "0"]
    if model.startswith("prefork"):
        argv += ["--workers", str(workers)]
    return Target(name=model, argv=argv)


def command_target(command: str) -> Target:
    argv = shlex.split(command)
    if not argv:
        raise TargetError("--target-cmd is empty")
    scripts = [a for a in argv if a.endswith((".py", ".js", ".go", ".rb")) or os.sep in a]
    return Target(name=os.path.basename(scripts[-1] if scripts else argv[0]), argv=argv)
