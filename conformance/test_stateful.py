"""A stateful case: several connections at once, interleaving partial frames,
pipelined batches, invalid requests, half-closes and abrupt closes, checked
against a model of what each connection must receive.

The number of simultaneous connections follows the target's concurrency class
(one for a sequential server), so a correct sequential server is not accused.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule, run_state_machine_as_test

from conformance.characterise import concurrency
from conformance.checks import Case, Matcher, describe_matcher, describe_response, matches
from conformance.plugin import Kit, kit_settings
from conformance.targets import Target
from conformance.test_order import mixed_requests
from conformance.wire import Ended, Wire


@dataclass
class Connection:
    wire: Wire
    expected: list[Matcher] = field(default_factory=list)
    partial_rest: bytes = b""
    partial_matcher: Matcher | None = None


class ManyConnections(RuleBasedStateMachine):
    case: Case
    capacity: int

    def __init__(self) -> None:
        super().__init__()
        self.connections: list[Connection] = []

    def pick(self, data: st.DataObject) -> Connection:
        return data.draw(st.sampled_from(self.connections), label="connection")

    @precondition(lambda self: len(self.connections) < self.capacity)
    @rule()
    def open_connection(self) -> None:
        self.connections.append(Connection(self.case.connect()))

    @precondition(lambda self: self.connections)
    @rule(data=st.data(), batch=st.lists(mixed_requests(), min_size=1, max_size=6))
    def send_batch(self, data: st.DataObject, batch: list[tuple[bytes, Matcher]]) -> None:
        connection = self.pick(data)
        stream = b"".join(frame_bytes for frame_bytes, _ in batch)
        if connection.partial_matcher is not None:
            stream = connection.partial_rest + stream
            connection.expected.append(connection.partial_matcher)
            connection.partial_rest, connection.partial_matcher = b"", None
        connection.expected.extend(m for _, m in batch)
        connection.wire.send(stream)

    @precondition(lambda self: any(c.partial_matcher is None for c in self.connections))
    @rule(data=st.data(), request=mixed_requests(), cut=st.floats(0.0, 0.99))
    def send_part_of_a_frame(self, data: st.DataObject, request: tuple[bytes, Matcher], cut: float) -> None:
        connection = data.draw(st.sampled_from([c for c in self.connections if c.partial_matcher is None]))
        frame_bytes, matcher = request
        split = max(1, int(len(frame_bytes) * cut))
        connection.wire.send(frame_bytes[:split])
        connection.partial_rest, connection.partial_matcher = frame_bytes[split:], matcher

    @precondition(lambda self: self.connections)
    @rule(data=st.data())
    def read_what_is_due(self, data: st.DataObject) -> None:
        self.read_all(self.pick(data))

    @precondition(lambda self: self.connections)
    @rule(data=st.data())
    def half_close(self, data: st.DataObject) -> None:
        connection = self.pick(data)
        connection.wire.shutdown_write()
        self.read_all(connection, missing="LPJ-CONN-1")
        ended = connection.wire.read_frame("end of file after the last response")
        if not isinstance(ended, Ended) or ended.kind not in ("eof", "reset"):
            requirement = "LPJ-CONN-2" if connection.partial_matcher is not None else "LPJ-CONN-1"
            actual = ended.describe() if isinstance(ended, Ended) else "another frame"
            raise self.case.violation(
                requirement,
                "after a half-close and every response, the server did not close",
                wire=connection.wire,
                expected=["end of file"],
                actual=actual,
            )
        self.drop(connection)

    @precondition(lambda self: self.connections)
    @rule(data=st.data(), reset=st.booleans())
    def close_abruptly(self, data: st.DataObject, reset: bool) -> None:
        connection = self.pick(data)
        connection.wire.abort() if reset else connection.wire.close()
        self.drop(connection)

    def read_all(self, connection: Connection, missing: str = "LPJ-ORDER-1") -> None:
        """Read every response due; a missing one breaks ``missing``, a misplaced one LPJ-ORDER-2."""
        for index, matcher in enumerate(connection.expected):
            waiting_for = f"response {index + 1} of {len(connection.expected)} due"
            value = self.case.response(connection.wire, waiting_for, missing)
            if not matches(matcher, value):
                raise self.case.violation(
                    "LPJ-ORDER-2",
                    "a response does not answer the request in its place",
                    wire=connection.wire,
                    expected=[describe_matcher(matcher)],
                    actual=describe_response(value),
                )
        connection.expected.clear()

    def drop(self, connection: Connection) -> None:
        self.connections.remove(connection)

    def teardown(self) -> None:
        for connection in self.connections:
            connection.wire.close()


@pytest.mark.requirement("LPJ-ORDER-1", "LPJ-ORDER-2", "LPJ-CONN-1", "LPJ-CONN-2", "LPJ-ROBUST-2")
def test_many_connections_interleaved(case: Case, target: Target, kit: Kit) -> None:
    found = concurrency(target, kit.io_timeout)
    capacity = 1 if found["class"] == "sequential" else min(3, int(str(found["connections"]).lstrip(">=")))

    def machine() -> ManyConnections:
        instance = ManyConnections()
        instance.case = case  # a new transcript per example; the fixture closes what is left
        instance.capacity = capacity
        return instance

    run_state_machine_as_test(
        machine, settings=kit_settings(examples=max(5, kit.examples // 2), stateful_step_count=15)
    )
