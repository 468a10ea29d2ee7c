"""Plain check functions of the kit: exchanges, outcome matching, violations.

A check sends bytes over :class:`~conformance.wire.Wire` connections, reads
what comes back and compares it with every outcome the specification allows.
When none matches it raises :class:`Violation`, which carries everything a
report shows: the requirement broken, what was sent, what was expected, what
came back, the wire transcript and a replay command.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from hypothesis.control import current_build_context
from hypothesis.errors import InvalidArgument

from conformance.jsonvalue import JSONDecodeFailure, TooDeep, first_difference, json_equal, short, strict_loads
from conformance.specdata import requirements, validator
from conformance.wire import Ended, Frame, Transcript, Wire, frame

STALL_BUDGET = 10.0  # seconds of timeouts one hypothesis case may spend shrinking
PROBE_BODY = b'{"in":"ping","params":"probe"}'
PROBE = frame(PROBE_BODY)

Matcher = dict[str, Any]  # {"out": "pong", "result": V} | {"out": "pong"} | {"out": "error", "code": C}


@dataclass(frozen=True)
class Outcome:
    responses: tuple[Matcher, ...]
    connection: str  # "open" | "closed"

    @classmethod
    def of(cls, document: dict[str, Any]) -> Outcome:
        return cls(tuple(document["responses"]), document["connection"])

    def describe(self) -> str:
        shown = ", ".join(describe_matcher(m) for m in self.responses) or "no response"
        then = (
            "the connection stays open (answers a probe ping)"
            if self.connection == "open"
            else "the server closes the connection"
        )
        return f"[{shown}], then {then}"


def pong(result: Any = ...) -> Matcher:
    return {"out": "pong"} if result is ... else {"out": "pong", "result": result}


def error(code: int) -> Matcher:
    return {"out": "error", "code": code}


def describe_matcher(matcher: Matcher) -> str:
    if matcher["out"] == "error":
        return f"error {matcher['code']}"
    if "result" in matcher:
        return f"pong {short(matcher['result'], 80)}"
    return "pong (any result)"


def describe_response(value: dict[str, Any]) -> str:
    if value.get("out") == "error" and isinstance(value.get("result"), dict):
        return f"error {value['result'].get('code')} {short(value['result'].get('message'), 60)}"
    out = value.get("out")
    return f"{out if isinstance(out, str) else short(out, 20)} {short(value.get('result'), 80)}"


def matches(matcher: Matcher, value: dict[str, Any]) -> bool:
    if value.get("out") != matcher["out"]:
        return False
    if value["result"] is DEEP:
        return "result" not in matcher and matcher["out"] == "pong"
    if matcher["out"] == "error":
        return value["result"].get("code") == matcher["code"] and type(value["result"].get("code")) is int
    return "result" not in matcher or json_equal(matcher["result"], value.get("result"))


DEEP = "(a result nested too deeply for the kit to compare)"


def shallow_response(body: bytes) -> dict[str, Any]:
    """The "out" of a response too deep to decode; its result can only match "any result"."""
    found = re.match(rb'\s*\{\s*"out"\s*:\s*"(\w+)"', body) or re.search(rb'"out"\s*:\s*"(\w+)"\s*\}\s*$', body)
    return {"out": found.group(1).decode() if found else "(unreadable)", "result": DEEP}


@dataclass
class Replay:
    address: tuple[str, int]
    writes: list[bytes]
    half_close: bool

    def command(self, limit: int = 4096) -> str:
        hexes = " ".join(w.hex() for w in self.writes)
        if len(hexes) > limit:
            total = sum(len(w) for w in self.writes)
            return f"(the {total} bytes sent are too long to replay on one line; see the transcript)"
        host, port = self.address
        host = f"[{host}]" if ":" in host else host
        return f"lpj replay {host}:{port} {hexes}{' --half-close' if self.half_close else ''}"


class Violation(AssertionError):
    """A server broke a requirement; ``report()`` is what the user reads."""

    def __init__(
        self,
        requirement: str,
        problem: str,
        *,
        expected: Sequence[str] = (),
        actual: str = "",
        transcript: Transcript | None = None,
        replay: Replay | None = None,
        note: str = "",
        also: tuple[str, ...] = (),
    ) -> None:
        super().__init__(f"{requirement}: {problem}")
        self.requirement = requirement
        self.problem = problem
        self.expected = list(expected)
        self.actual = actual
        self.transcript = transcript
        self.replay = replay
        self.note = note
        self.also = also

    def report(self) -> str:
        spec = requirements().get(self.requirement)
        head = f"{self.requirement} ({spec.keyword}, {spec.binds}): {spec.summary}" if spec else self.requirement
        lines = [head, f"problem:  {self.problem}"]
        if self.expected:
            lines.append("expected one of:" if len(self.expected) > 1 else "expected:")
            lines.extend(f"  - {e}" for e in self.expected)
        if self.actual:
            lines.append(f"actual:   {self.actual}")
        if self.note:
            lines.append(f"note:     {self.note}")
        if self.transcript and self.transcript.lines:
            lines.append("wire transcript (time, connection, direction, frames as [len=N] body):")
            lines.extend(f"  {line}" for line in self.transcript.render().splitlines())
        if self.replay:
            lines.append(f"replay:   {self.replay.command()}")
        return "\n".join(lines)


@dataclass
class Case:
    """The context of one kit case: target address, timeouts, transcript, connections."""

    address: tuple[str, int]
    io_timeout: float
    requirement: str
    transcript: Transcript = field(default_factory=Transcript)
    wires: list[Wire] = field(default_factory=list)
    write_pause: float = 0.005
    stalled: bool = False
    _example: object = None
    _stalled_at: float = 0.0
    _stall_violation: Violation | None = None

    @property
    def wait(self) -> float:
        """The timeout for new connections.  Once the server has left a read
        unanswered (in this case or an earlier one on the same target), later
        waits are capped at a fifth of --io-timeout (at least 1 s), so a server
        that stops answering costs one full timeout, not one per case and per
        shrinking step."""
        return min(self.io_timeout, max(1.0, self.io_timeout / 5)) if self.stalled else self.io_timeout

    def __post_init__(self) -> None:
        if self.stalled:  # inherited from an earlier case on the same target
            self._stalled_at = time.monotonic()

    def _stall(self) -> None:
        if not self.stalled:
            self.stalled, self._stalled_at = True, time.monotonic()

    def __repr__(self) -> str:
        return f"Case({self.address[0]}:{self.address[1]})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # hypothesis prints failing examples' arguments
        printer.text(repr(self))

    def _start_example_if_new(self) -> None:
        """Hypothesis reuses one case across examples: give each its own transcript."""
        try:
            context = current_build_context()
        except InvalidArgument:
            return
        if context is not self._example:
            if self._stall_violation is not None and time.monotonic() - self._stalled_at > STALL_BUDGET:
                # Every example now costs a timeout: stop looking for a smaller one
                # and report the first real failure, with its own transcript.
                stopped = f"(the server kept timing out; shrinking stopped after {STALL_BUDGET:.0f} s)"
                if stopped not in self._stall_violation.note:
                    self._stall_violation.note = f"{self._stall_violation.note} {stopped}".strip()
                raise self._stall_violation
            if self._example is not None:
                self.close_all()
                self.wires.clear()
                self.transcript = Transcript()
            self._example = context

    def connect(self, *, max_response: int = 64 << 20) -> Wire:
        self._start_example_if_new()
        wire = Wire(
            self.address,
            self.transcript,
            io_timeout=self.wait,
            name=f"conn{len(self.wires) + 1}",
            max_response=max_response,
        )
        wire.on_stall = self._stall
        self.wires.append(wire)
        try:
            wire.connect(timeout=self.io_timeout)  # a full backlog may drop a SYN: allow the retransmit
        except OSError as exc:
            reason = "no answer" if isinstance(exc, TimeoutError) else (exc.strerror or str(exc))
            raise self.violation(
                "LPJ-TRANS-2",
                f"cannot open a new connection: {reason}",
                expected=["the server accepts the connection"],
                actual=reason,
            ) from None
        return wire

    def close_all(self) -> None:
        for wire in self.wires:
            wire.close()

    def violation(self, requirement: str | None, problem: str, *, wire: Wire | None = None, **kwargs: Any) -> Violation:
        replay = Replay(self.address, wire.writes, wire.half_closed) if wire is not None and wire.writes else None
        found = Violation(requirement or self.requirement, problem, transcript=self.transcript, replay=replay, **kwargs)
        if self.stalled and self._stall_violation is None:
            self._stall_violation = found
        return found

    # -- responses ------------------------------------------------------------
    def decode(self, wire: Wire, received: Frame) -> dict[str, Any]:
        """Check one received frame against the framing, JSON and schema rules."""
        if received.length == 0:
            raise self.violation(
                "LPJ-FRAME-5",
                "the server sent a zero-length frame",
                wire=wire,
                expected=["a frame with a JSON body"],
                actual="length prefix 00 00 00 00",
            )
        try:
            value = strict_loads(received.body)
        except TooDeep:
            return shallow_response(received.body)
        except JSONDecodeFailure as exc:
            # A byte-order mark or NaN/Infinity is JSON-2's own prohibition; anything else is not JSON at all.
            forbidden = received.body.startswith(b"\xef\xbb\xbf") or "is not JSON" in str(exc)
            raise self.violation(
                "LPJ-JSON-2" if forbidden else "LPJ-JSON-1",
                f"the server sent a body that is not strict JSON: {exc}",
                wire=wire,
                expected=["a UTF-8 JSON body without byte-order mark, NaN or Infinity"],
                actual=received.body[:200].hex(" "),
            ) from None
        problems = sorted(validator("response").iter_errors(value), key=lambda e: list(e.path))
        if problems:
            is_error = isinstance(value, dict) and value.get("out") == "error"
            raise self.violation(
                "LPJ-ERR-1" if is_error else "LPJ-RESP-1",
                f"the response does not have the shape of spec/schema/response.schema.json: {problems[0].message}",
                wire=wire,
                expected=[
                    '{"out": <string>, "result": <any>}, errors with result {"code": <int>, "message": <string>}'
                ],
                actual=short(value, 300),
            )
        return value

    def response(
        self, wire: Wire, waiting_for: str, requirement: str | None = None, timeout: float | None = None
    ) -> dict[str, Any]:
        """Read and decode one response; a timeout or close is a violation of ``requirement``."""
        received = wire.read_frame(waiting_for, timeout)
        if isinstance(received, Ended):
            raise self.violation(
                requirement, received.describe(), wire=wire, expected=[waiting_for], actual=received.describe()
            )
        return self.decode(wire, received)

    def ping(self, wire: Wire, params: Any, *, requirement: str | None = None, body: bytes | None = None) -> None:
        """Send one ping and demand a pong whose result is JSON-equal to ``params``."""
        if body is None:
            body = json.dumps({"in": "ping", "params": params}, ensure_ascii=False).encode()
        wire.send_frame(body)
        value = self.response(wire, f"the pong to {short(params, 60)}", requirement)
        self.expect_pong(wire, value, params, requirement)

    def expect_pong(self, wire: Wire, value: dict[str, Any], params: Any, requirement: str | None = None) -> None:
        if value["out"] != "pong":
            raise self.violation(
                requirement or self.requirement,
                "ping was not answered with a pong",
                wire=wire,
                expected=[f"pong {short(params, 80)}"],
                actual=describe_response(value),
            )
        difference = first_difference(params, value["result"])
        if difference is not None:
            raise self.violation(
                requirement or self.requirement,
                f"the pong's result is not JSON-equal to params ({difference})",
                wire=wire,
                expected=[f"pong {short(params, 120)}"],
                actual=describe_response(value),
            )

    def expect_alive(self, after: str) -> None:
        """LPJ-ROBUST-1: a fresh connection still gets a pong."""
        wire = self.connect()
        wire.send(PROBE)
        received = wire.read_frame("the pong to a probe on a fresh connection")
        if isinstance(received, Ended):
            raise self.violation(
                "LPJ-ROBUST-1",
                f"after {after}, a fresh connection got no pong: {received.describe()}",
                wire=wire,
                expected=['pong "probe" on a new connection'],
                actual=received.describe(),
            )
        value = self.decode(wire, received)
        self.expect_pong(wire, value, "probe", "LPJ-ROBUST-1")
        wire.close()

    # -- whole exchanges ------------------------------------------------------
    def exchange(
        self,
        writes: Sequence[bytes],
        outcomes: Sequence[Outcome],
        *,
        half_close: bool = False,
        requirement: str | None = None,
        wire: Wire | None = None,
    ) -> list[dict[str, Any]]:
        """Write bytes on a connection, then demand one of the allowed outcomes. Returns the responses."""
        wire = wire or self.connect()
        for index, data in enumerate(writes):
            if index and self.write_pause:
                time.sleep(self.write_pause)
            if wire.send(data) is not None:
                break
        if half_close:
            wire.shutdown_write()
        most = max(len(o.responses) for o in outcomes)
        responses: list[dict[str, Any]] = []
        ended: Ended | None = None
        while len(responses) < most:
            received = wire.read_frame(f"response {len(responses) + 1}")
            if isinstance(received, Ended):
                ended = received
                break
            responses.append(self.decode(wire, received))
        fitting = [
            o
            for o in outcomes
            if len(o.responses) == len(responses)
            and all(matches(m, r) for m, r in zip(o.responses, responses, strict=True))
        ]
        if fitting or ended is not None:
            state, state_text = self._connection_state(wire, ended, fitting, half_close)
        else:  # the responses already rule out every outcome: no need to wait on the connection
            state, state_text = "unchecked", "(connection state not checked)"
        if any(o.connection == state for o in fitting):
            return responses
        shown = ", ".join(describe_response(r) for r in responses) or "no response"
        raise self.violation(
            requirement,
            self._diagnose(outcomes, responses, state),
            wire=wire,
            expected=[o.describe() for o in outcomes],
            actual=f"[{shown}], then {state_text}",
        )

    def _connection_state(
        self, wire: Wire, ended: Ended | None, fitting: list[Outcome], half_close: bool
    ) -> tuple[str, str]:
        if ended is not None:
            if ended.kind in ("eof", "reset"):
                return "closed", ended.describe()
            return ended.kind, ended.describe()
        if any(o.connection == "open" for o in fitting) and not half_close:
            if wire.send(PROBE) is not None:
                return "closed", "the connection was closed (the probe ping could not be written)"
            received = wire.read_frame("the pong to a probe ping")
            if isinstance(received, Ended):
                state = "closed" if received.kind in ("eof", "reset") else received.kind
                return state, f"a probe ping got nothing: {received.describe()}"
            value = self.decode(wire, received)
            if value.get("out") == "pong" and json_equal(value.get("result"), "probe"):
                return "open", "the connection stayed open (a probe ping got its pong)"
            return "extra", f"the probe ping got {describe_response(value)} instead of its pong"
        received = wire.read_frame("the end of the connection")
        if isinstance(received, Ended):
            state = "closed" if received.kind in ("eof", "reset") else received.kind
            if received.kind == "timeout":
                return "open", f"the connection stayed open: {received.describe()}"
            return state, received.describe()
        value = self.decode(wire, received)
        return "extra", f"an unexpected extra response: {describe_response(value)}"

    @staticmethod
    def _diagnose(outcomes: Sequence[Outcome], responses: list[dict[str, Any]], state: str) -> str:
        most = max(len(o.responses) for o in outcomes)
        if state == "extra":
            return "the server sent a response that answers no request"
        if len(responses) < min(len(o.responses) for o in outcomes):
            return f"expected {most} response(s), got {len(responses)}"
        for outcome in outcomes:
            if len(outcome.responses) != len(responses):
                continue
            for index, (matcher, value) in enumerate(zip(outcome.responses, responses, strict=True)):
                if not matches(matcher, value):
                    detail = ""
                    if matcher["out"] == value.get("out") == "pong" and "result" in matcher:
                        detail = f": {first_difference(matcher['result'], value.get('result'))}"
                    return (
                        f"response {index + 1} is {describe_response(value)}, "
                        f"where {describe_matcher(matcher)} was expected{detail}"
                    )
            return f"the connection was {state} where the specification requires otherwise"
        return "the responses differ from what the specification allows"
