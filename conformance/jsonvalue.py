"""Strict JSON for the kit: decoding what a server sent, and JSON-equality.

The kit is an oracle, so it is stricter than the servers it tests: a response
body must be UTF-8 without a byte-order mark, exactly one JSON value, and free
of NaN/Infinity (LPJ-JSON-1, LPJ-JSON-2).
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any


class JSONDecodeFailure(ValueError):
    """The bytes are not strict RFC 8259 JSON text in UTF-8."""


class TooDeep(ValueError):
    """Valid so far, but nested deeper than the kit's decoder can follow."""


KIT_DEPTH = 3000  # deeper responses only come back from "no guaranteed meaning" inputs


def _refuse_constant(name: str) -> Any:
    raise JSONDecodeFailure(f"{name} is not JSON")


_decoder = json.JSONDecoder(parse_constant=_refuse_constant)


def strict_loads(body: bytes) -> Any:
    if body.startswith(b"\xef\xbb\xbf"):
        raise JSONDecodeFailure("body starts with a UTF-8 byte-order mark")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JSONDecodeFailure(f"body is not valid UTF-8 ({exc.reason} at byte {exc.start})") from None
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, KIT_DEPTH + 100))
    try:
        value = _decoder.decode(text)
    except json.JSONDecodeError as exc:
        raise JSONDecodeFailure(f"body is not JSON ({exc.msg} at character {exc.pos})") from None
    except RecursionError:
        raise TooDeep(f"nested more than about {KIT_DEPTH} levels deep") from None
    finally:
        sys.setrecursionlimit(limit)
    return value


def _numbers_equal(a: int | float, b: int | float) -> bool:
    # spec 2.4: the same mathematical value, or both round to the same finite
    # double; so 1, 1.0 and 1e0 are equal, 0 equals -0.0, and 0.1 equals
    # 0.10000000000000001 (two spellings of one double).
    if a == b:
        return True
    try:
        x, y = float(a), float(b)
    except OverflowError:
        return False
    return math.isfinite(x) and x == y


def json_equal(a: Any, b: Any) -> bool:
    """JSON-equality as spec/SPEC.md defines it (objects unordered, numbers by value)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if a is None or b is None:
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return _numbers_equal(a, b)
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    return False


def first_difference(expected: Any, actual: Any, path: str = "$") -> str | None:
    """A short description of where two JSON values first differ, or None."""
    if json_equal(expected, actual):
        return None
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return f"{path}: array of {len(expected)} items expected, got {len(actual)}"
        for i, (x, y) in enumerate(zip(expected, actual, strict=True)):
            found = first_difference(x, y, f"{path}[{i}]")
            if found:
                return found
    if isinstance(expected, dict) and isinstance(actual, dict):
        missing = expected.keys() - actual.keys()
        extra = actual.keys() - expected.keys()
        if missing or extra:
            return f"{path}: members missing {sorted(missing)!r}, unexpected {sorted(extra)!r}"
        for k in expected:
            found = first_difference(expected[k], actual[k], f"{path}.{k}")
            if found:
                return found
    return f"{path}: expected {short(expected)}, got {short(actual)}"


def dumps(value: Any) -> str:
    """Compact JSON text for messages; non-ASCII escaped so the reader sees what was meant."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=True)


def short(value: Any, limit: int = 160) -> str:
    try:
        text = dumps(value)
    except RecursionError:
        return "(a deeply nested value)"
    return text if len(text) <= limit else f"{text[: limit - 30]}…({len(text)} chars)"
