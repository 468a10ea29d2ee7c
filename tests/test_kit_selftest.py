"""The kit against the zoo in tests/servers: it fails every broken server on the
requirement that server breaks, and passes every unusual but correct server.

All kit runs start together (a few at a time) in one session fixture; see
tests/kit_selftest.py, which also prints the table on its own.
"""

from __future__ import annotations

import pytest

from tests.kit_selftest import KitRun, run_all, servers

ZOO = servers()
BROKEN = [(name, breaks) for name, breaks in ZOO if breaks]
CORRECT = [name for name, breaks in ZOO if not breaks]

pytestmark = pytest.mark.timeout(1200)


@pytest.fixture(scope="session")
def runs() -> dict[str, KitRun]:
    return run_all(ZOO)


def test_the_zoo_is_big_enough() -> None:
    assert len(BROKEN) >= 25 and len(CORRECT) >= 6


@pytest.mark.parametrize(("server", "breaks"), BROKEN, ids=[name for name, _ in BROKEN])
def test_kit_fails_broken_server_on_the_requirement_it_breaks(
    runs: dict[str, KitRun], server: str, breaks: str
) -> None:
    run = runs[server]
    assert run.exit_code == 1, run.output
    assert breaks in run.failed, f"caught on {run.failed}, not {breaks}:\n{run.output}"


@pytest.mark.parametrize("server", CORRECT)
def test_kit_passes_unusual_but_correct_server(runs: dict[str, KitRun], server: str) -> None:
    run = runs[server]
    assert run.exit_code == 0 and not run.failed, run.output
