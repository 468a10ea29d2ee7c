"""Start the servers a benchmark compares, each a subprocess on port 0, and stop them by pid.

A server is ready when its stderr says ``listening on HOST:PORT``; stopping is SIGTERM,
a wait, SIGKILL if needed, then SIGKILL for any descendant (a pool's worker) still alive.
``/proc`` gives the CPU time of a server's whole process tree and the connections each
of its processes holds (Linux only; elsewhere both read as unknown).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

READY = re.compile(r"listening on (\S+):(\d+)")
YARDSTICK = "yardstick"
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


class ServerFailed(Exception):
    """A server did not start."""


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def descendants(pid: int) -> dict[int, int]:
    """Every descendant of ``pid``: pid -> start time (to tell a reused pid apart)."""
    parents: dict[int, list[int]] = {}
    starts: dict[int, int] = {}
    with contextlib.suppress(OSError):
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                fields = _stat(int(entry))
                if fields is not None:
                    parents.setdefault(int(fields[1]), []).append(int(entry))
                    starts[int(entry)] = int(fields[19])
    found: dict[int, int] = {}
    frontier = [pid]
    while frontier:
        for child in parents.get(frontier.pop(), []):
            found[child] = starts[child]
            frontier.append(child)
    return found


def sockets_held(pid: int) -> int:
    """How many sockets process ``pid`` has open (OSError if it is gone)."""
    return sum(os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:") for fd in os.listdir(f"/proc/{pid}/fd"))


class ServerProcess:
    """One server under test: ``name`` is a model of ``lpj serve`` or ``yardstick``."""

    def __init__(self, name: str, workers: int | None = None, startup: float = 15.0) -> None:
        self.name = name
        if name == YARDSTICK:
            argv = [sys.executable, "-m", "reference.bench.yardstick", "--port", "0"]
        else:
            argv = [sys.executable, "-m", "reference", "serve", "--model", name, "--port", "0"]
            if workers and name in ("prefork", "prefork-evented"):
                argv += ["--workers", str(workers)]
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.log: list[str] = []
        self._ready = threading.Event()
        self._reader = threading.Thread(target=self._drain, name=f"stderr-{name}", daemon=True)
        self._reader.start()
        if not self._ready.wait(startup) or self.proc.poll() is not None:
            self.stop()
            raise ServerFailed(f"{name} server did not start: {' | '.join(self.log[-3:]) or 'no output'}")
        match = next(m for m in map(READY.search, self.log) if m)
        self.host, self.port = match.group(1).strip("[]"), int(match.group(2))

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            self.log.append(raw.decode("utf-8", "replace").rstrip())
            if READY.search(self.log[-1]):
                self._ready.set()
        self._ready.set()

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def target(self) -> str:
        return f"{self.host}:{self.port}"

    def cpu_seconds(self) -> float | None:
        """CPU time (user + system) of the server and every process it has started, reaped or not."""
        fields = _stat(self.pid)
        if fields is None:
            return None
        ticks = sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
        for child in descendants(self.pid):
            child_fields = _stat(child)
            if child_fields is not None:
                ticks += int(child_fields[11]) + int(child_fields[12])
        return ticks / _TICKS

    def connections_per_process(self) -> dict[int, int]:
        """pid -> sockets it holds, minus its listener, for each process of the server that serves."""
        counts = {}
        for pid in [self.pid, *descendants(self.pid)]:
            with contextlib.suppress(OSError):
                counts[pid] = max(0, sockets_held(pid) - 1)
        return counts

    def pin(self, cpus: tuple[int, ...]) -> None:
        """Run the server (every process it has, and those it forks later) on ``cpus`` only."""
        if hasattr(os, "sched_setaffinity"):
            for pid in [self.pid, *descendants(self.pid)]:
                with contextlib.suppress(OSError):
                    os.sched_setaffinity(pid, cpus)

    def stop(self) -> None:
        family = descendants(self.pid) if self.proc.poll() is None else {}
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    self.proc.send_signal(signal.SIGKILL)
                self.proc.wait(10)
        for pid, started in family.items():
            fields = _stat(pid)
            if fields is not None and int(fields[19]) == started:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        self._reader.join(5)
        if self.proc.stderr is not None:
            self.proc.stderr.close()

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
