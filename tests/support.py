"""Helpers for tests that run reference servers over real TCP.

* :func:`running_server` starts ``python -m reference serve --model M --port 0 ...`` in a
  subprocess, waits (with a deadline) for its ``listening on HOST:PORT`` line and, on exit,
  stops it by its pid: SIGTERM, a wait, SIGKILL if needed; any of its descendants still
  alive then are killed by pid too, so no test leaves a process behind.
* Raw frames with a timeout on every socket operation: :func:`frame`, :func:`request`,
  :func:`read_response`, :func:`call`, :func:`at_eof`.
* ``/proc`` readers: :func:`children`, :func:`alive`, :func:`rss_kib`; and :func:`wait_for`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from reference.bench.servers import descendants

REPO = Path(__file__).resolve().parents[1]
READY = re.compile(r"listening on (\S+):(\d+)")
TIMEOUT = 5.0  # seconds, for every socket operation unless a test says otherwise
HEADER = struct.Struct("<I")

T = TypeVar("T")


# -- processes ---------------------------------------------------------------


def _stat(pid: int) -> tuple[int, str, int] | None:
    """(parent pid, state letter, start time) of a process, or None if there is none."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), fields[0], int(fields[19])


def children(pid: int) -> dict[int, str]:
    """The children of ``pid``: pid -> state letter ("Z" for a zombie)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None and stat[0] == pid:
                found[int(entry.name)] = stat[1]
    return found


def alive(pid: int) -> bool:
    """True if ``pid`` exists and is not a zombie."""
    stat = _stat(pid)
    return stat is not None and stat[1] != "Z"


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for process {pid}")


def wait_for(predicate: Callable[[], T], timeout: float = 5.0, interval: float = 0.02) -> T:
    """Poll ``predicate`` until it returns something true; return it, or fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result or time.monotonic() >= deadline:
            assert result, f"condition not met within {timeout} s"
            return result
        time.sleep(interval)


# -- servers -----------------------------------------------------------------


@dataclass
class Server:
    model: str
    host: str
    port: int
    proc: subprocess.Popen[bytes]
    log: list[str] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def connect(self, timeout: float = TIMEOUT) -> socket.socket:
        sock = socket.create_connection((self.host, self.port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def workers(self) -> dict[int, str]:
        return children(self.pid)

    def signal(self, signum: int = signal.SIGTERM) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signum)

    def logged(self, text: str) -> bool:
        return any(text in line for line in list(self.log))


@contextlib.contextmanager
def running_server(model: str, *args: str, startup: float = 15.0, first: str = "") -> Iterator[Server]:
    """Run ``lpj serve --model model --port 0 *args``; yield it once it is listening.
    ``first`` is Python the server's interpreter runs before anything else."""
    argv = [sys.executable, "-m", "reference", "serve", "--model", model, "--port", "0", *args]
    if first:
        argv[1:3] = ["-c", f"{first}\nimport sys\nfrom reference.cli import main\nsys.exit(main(sys.argv[1:]))"]
    proc = subprocess.Popen(argv, cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    lines: list[str] = []
    ready = threading.Event()

    def drain() -> None:
        assert proc.stderr is not None
        for raw in proc.stderr:
            lines.append(raw.decode("utf-8", "replace").rstrip())
            if READY.search(lines[-1]):
                ready.set()
        ready.set()  # end of file: the server exited

    reader = threading.Thread(target=drain, name=f"stderr-{model}", daemon=True)
    reader.start()
    family: dict[int, int] = {}
    try:
        if not ready.wait(startup) or proc.poll() is not None:
            raise AssertionError(f"{model} server did not start: {lines[-5:]}")
        match = next(m for m in map(READY.search, lines) if m)
        server = Server(model, match.group(1).strip("[]"), int(match.group(2)), proc, lines)
        yield server
    finally:
        if proc.poll() is None:
            family = descendants(proc.pid)
            server_signal(proc, signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                server_signal(proc, signal.SIGKILL)
                proc.wait(10)
        for pid, started in family.items():  # a child the server failed to stop
            stat = _stat(pid)
            if stat is not None and stat[2] == started:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        reader.join(5)
        if proc.stderr is not None:
            proc.stderr.close()


def server_signal(proc: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signum)


def run_lpj(*args: str, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
    """Run ``python -m reference ARGS`` to completion (for command-line tests)."""
    return subprocess.run(
        [sys.executable, "-m", "reference", *args],
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# -- raw frames --------------------------------------------------------------


def frame(body: bytes) -> bytes:
    return HEADER.pack(len(body)) + body


def request(params: Any = None, method: str = "ping") -> bytes:
    return frame(json.dumps({"in": method, "params": params}).encode())


def recv_exact(sock: socket.socket, n: int) -> bytes:
    """Exactly ``n`` bytes; EOFError if the peer closes first (the socket's timeout applies)."""
    data = bytearray()
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError(f"connection closed after {len(data)} of {n} bytes")
        data += chunk
    return bytes(data)


def read_response(sock: socket.socket) -> dict[str, Any]:
    (length,) = HEADER.unpack(recv_exact(sock, 4))
    return json.loads(recv_exact(sock, length))


def call(sock: socket.socket, params: Any = None, method: str = "ping") -> dict[str, Any]:
    sock.sendall(request(params, method))
    return read_response(sock)


def error_code(response: dict[str, Any]) -> int | None:
    if response.get("out") != "error":
        return None
    return response["result"]["code"]


def at_eof(sock: socket.socket, timeout: float = TIMEOUT) -> bool:
    """True if the peer has closed the connection (end of file or reset) within ``timeout``."""
    sock.settimeout(timeout)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
