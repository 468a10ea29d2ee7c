"""Run the conformance kit against the zoo in tests/servers and say what it found.

Used by tests/test_kit_selftest.py, and runnable on its own to print the table
of broken servers and the requirement each was caught on:

    python tests/kit_selftest.py [NAME ...]
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

SERVERS = Path(__file__).resolve().parent / "servers"
BREAKS = re.compile(r'^BREAKS = (None|"(LPJ-[A-Z]+-\d+)")', re.M)
# Extra kit options some servers need to show their bug within a short run.
EXTRA_OPTIONS = {
    "broken_idle_close.py": ["--idle-wait", "3"],
    "broken_midframe_idle_close.py": ["--idle-wait", "3"],
    # It dies only after a connection that named an unknown method has ended.
    "broken_exit_on_unknown.py": ["--requirement", "LPJ-ERR-2"],
    # 20 ms per response: a thousand pipelined pings alone would take 20 s.
    "correct_slow.py": ["-k", "not thousand"],
}


@dataclass
class KitRun:
    server: str
    breaks: str | None
    exit_code: int
    failed: dict[str, str]  # requirement -> status (FAIL / WARN / ERROR / BLOCKED)
    output: str
    seconds: float

    @property
    def caught(self) -> bool:
        return self.breaks in self.failed


def servers(prefix: str = "") -> list[tuple[str, str | None]]:
    found = []
    for path in sorted(SERVERS.glob(f"{prefix}*.py")):
        if path.name.startswith("_"):
            continue
        match = BREAKS.search(path.read_text(encoding="utf-8"))
        if match:
            found.append((path.name, match.group(2)))
    return found


def run_kit(server: str, breaks: str | None, examples: int = 10, timeout: float = 300) -> KitRun:
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        argv = [
            sys.executable,
            "-m",
            "pytest",
            "--pyargs",
            "conformance",
            "-p",
            "no:cacheprovider",
            "-q",
            "--target-cmd",
            f"{sys.executable} {SERVERS / server} {{port}}",
            "--report-json",
            str(report),
            "--no-characterise",
            "--examples",
            str(examples),
            "--strict",
            *EXTRA_OPTIONS.get(server, []),
        ]
        if breaks:
            argv += ["--requirement", breaks]
        started = time.monotonic()
        environment = {k: v for k, v in os.environ.items() if not k.startswith("LPJ_")}  # the kit reads LPJ_*
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout, cwd=folder, check=False, env=environment
        )
        failed: dict[str, str] = {}
        if report.exists():
            for requirement in json.loads(report.read_text())["requirements"]:
                for result in requirement["results"].values():
                    if result["status"] not in ("pass", "-"):
                        failed[requirement["id"]] = result["status"]
        output = done.stdout[-6000:] + done.stderr[-2000:]
        return KitRun(server, breaks, done.returncode, failed, output, time.monotonic() - started)


def run_all(names: list[tuple[str, str | None]], parallel: int = 4) -> dict[str, KitRun]:
    with ThreadPoolExecutor(parallel) as pool:
        runs = pool.map(lambda pair: run_kit(*pair), names)
        return {run.server: run for run in runs}


if __name__ == "__main__":
    wanted = set(sys.argv[1:])
    chosen = [(name, breaks) for name, breaks in servers() if not wanted or name in wanted]
    print(f"{'server':<34} {'breaks':<13} {'exit':>4} {'time':>6}  caught on")
    for run in run_all(chosen).values():
        verdict = ", ".join(f"{k} {v}" for k, v in sorted(run.failed.items())) or "nothing"
        flag = "" if (run.caught if run.breaks else not run.failed) else "   <-- WRONG"
        print(
            f"{run.server:<34} {run.breaks or '(correct)':<13} {run.exit_code:>4} {run.seconds:5.1f}s  {verdict}{flag}"
        )
