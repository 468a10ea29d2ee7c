"""Characterisation (informational): measured, reported, never failed.

``--no-characterise`` skips these.  The findings appear after the requirement
matrix and in the JSON report.
"""

from __future__ import annotations

import struct

import pytest

from conformance.characterise import concurrency, largest_frame, latency_and_throughput
from conformance.plugin import Kit
from conformance.targets import Target
from conformance.wire import Ended, Transcript, Wire

pytestmark = pytest.mark.informational


def test_concurrency_class(target: Target, kit: Kit) -> None:
    concurrency(target, kit.io_timeout)


def test_largest_frame_accepted(target: Target, kit: Kit) -> None:
    target.character["largest_frame"] = largest_frame(target, kit.io_timeout)


def test_latency_and_quick_throughput(target: Target, kit: Kit) -> None:
    target.character.update(latency_and_throughput(target, kit.io_timeout))


def test_byte_order(target: Target, kit: Kit) -> None:
    body = b'{"in":"ping","params":"order"}'
    found = []
    for name, prefix in (("little-endian", struct.pack("<I", len(body))), ("big-endian", struct.pack(">I", len(body)))):
        assert target.address is not None
        with Wire(target.address, Transcript(), io_timeout=min(kit.io_timeout, 2.0)) as wire:
            wire.send(prefix + body)
            received = wire.read_frame("pong")
            if not isinstance(received, Ended) and b'"pong"' in received.body:
                found.append(name)
    target.character["byte_order"] = " and ".join(found) or "answers neither little- nor big-endian frames"
