"""Fixtures of the kit's cases: ``target`` (the server under test) and ``case``.

Every case is run once per target.  After each case the server must still
answer a ping on a fresh connection; if it does not, that case fails
(LPJ-ROBUST-1), a server the kit started is restarted, and an external
server's remaining cases are reported as blocked, not as a hundred failures.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.checks import Case, Violation
from conformance.plugin import KIT_KEY, Kit, item_requirements
from conformance.targets import Target, TargetError, probe


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "target" in metafunc.fixturenames:
        kit: Kit = metafunc.config.stash[KIT_KEY]
        metafunc.parametrize("target", list(kit.targets), indirect=True)


@pytest.fixture
def kit(request: pytest.FixtureRequest) -> Kit:
    return request.config.stash[KIT_KEY]


@pytest.fixture
def target(request: pytest.FixtureRequest, kit: Kit) -> Target:
    found = kit.targets[request.param]
    if found.managed and found.process is None and not found.down_since:
        try:
            found.start()
        except TargetError as exc:
            found.down_since = f"startup ({exc})"
            pytest.fail(f"cannot start the server under test: {exc}", pytrace=False)
    if found.down_since and not (found.answered_once is False and request.node.get_closest_marker("runs_when_down")):
        pytest.skip(f"blocked: server down since {found.down_since}")
    return found


@pytest.fixture
def case(request: pytest.FixtureRequest, kit: Kit, target: Target) -> Iterator[Case]:
    ids = item_requirements(request.node)
    assert target.address is not None
    current = Case(target.address, kit.io_timeout, ids[0] if ids else "LPJ-ROBUST-1", stalled=target.stalled)
    yield current
    current.close_all()
    target.stalled = target.stalled or current.stalled
    if target.answered_once is False:
        return  # it never answered a ping: its cases are blocked, not failed one by one
    problem = probe(target.address, kit.io_timeout)
    if problem is None:
        return
    name = request.node.nodeid.split("::", 1)[-1]
    detail = problem
    if target.managed:
        status = target.exited()
        detail += (
            "; the server process is still running" if status is None else f"; the server exited with status {status}"
        )
        tail = list(target.stderr_tail)[-5:]
        try:
            target.restart()
        except TargetError as exc:
            target.down_since = name
            detail += f"; restart failed: {exc}"
        else:
            detail += "; the kit restarted it for the remaining cases"
        if tail:
            detail += "\nlast lines of the server's stderr:\n  " + "\n  ".join(tail)
    else:
        target.down_since = name
        detail += "; the remaining cases on this target are reported as blocked"
    raise Violation(
        "LPJ-ROBUST-1",
        f"the server stopped answering after this case: {detail}",
        transcript=current.transcript,
        also=("LPJ-TRANS-2",),
    )
